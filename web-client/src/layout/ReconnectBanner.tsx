/** A banner while the connection is not online: connecting, reconnecting (with the next try), or stopped and why. */
import { useEffect, useState } from 'react';
import type { ConnectionStatus } from '@parley/client';
import { useApi } from '../lib/api-context';

export function ReconnectBanner({ status }: { status: ConnectionStatus }) {
  const api = useApi();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (status.state !== 'reconnecting' || status.retryAtMs === undefined) return undefined;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [status]);
  if (status.state === 'online' || status.state === 'signed-out') return null;
  let text = 'Connecting…';
  if (status.state === 'reconnecting') {
    const sec = status.retryAtMs === undefined ? 0 : Math.max(0, Math.ceil((status.retryAtMs - now) / 1000));
    text = sec > 0 ? `Connection lost. Reconnecting in ${sec}s…` : 'Connection lost. Reconnecting…';
  } else if (status.state === 'stopped') {
    text = `Disconnected${status.reason ? `: ${status.reason}` : ''}.`;
  }
  return (
    <div className={`banner banner-${status.state}`} role="status">
      {text}
      {status.state === 'stopped' && (
        <button type="button" className="link" onClick={() => void api.logout().catch(() => undefined)}>
          Log in again
        </button>
      )}
    </div>
  );
}
