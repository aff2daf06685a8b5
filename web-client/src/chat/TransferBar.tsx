/** A transfer's progress bar with pause / resume / cancel. */
import type { TransferView } from '@parley/client';
import { Icon } from '../common/Icon';
import { useApi } from '../lib/api-context';
import { bytes } from '../lib/format';

export function TransferBar({ transfer: t, compact = false }: { transfer: TransferView; compact?: boolean }) {
  const api = useApi();
  const pct = t.total > 0 ? Math.min(100, Math.round((t.bytesDone / t.total) * 100)) : 0;
  const verb = t.direction === 'upload' ? (t.state === 'done' ? 'Uploaded' : 'Uploading') : t.state === 'done' ? 'Downloaded' : 'Downloading';
  return (
    <div className={`transfer ${compact ? 'compact' : ''} transfer-${t.state}`}>
      {!compact && (
        <span className="transfer-name">
          {verb} {t.name} — {bytes(t.bytesDone)} / {bytes(t.total)}
          {t.state === 'running' && t.bytesPerSec > 0 ? ` · ${bytes(t.bytesPerSec)}/s` : ''}
          {t.state === 'paused' ? ' · paused' : t.state === 'failed' ? ` · failed${t.error ? ` (${t.error})` : ''}` : ''}
        </span>
      )}
      <div className="progress" role="progressbar" aria-label={`${verb} ${t.name}`} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
        <div className="progress-fill" style={{ width: `${pct}%` }} />
      </div>
      {t.state === 'running' && (
        <button type="button" className="icon-btn small" aria-label={`Pause ${t.name}`} onClick={() => api.pauseTransfer(t.transferId)}>
          <Icon name="pause" size={16} />
        </button>
      )}
      {(t.state === 'paused' || t.state === 'failed') && (
        <button type="button" className="icon-btn small" aria-label={`Resume ${t.name}`} onClick={() => api.resumeTransfer(t.transferId)}>
          <Icon name="play" size={16} />
        </button>
      )}
      {t.state !== 'done' && (
        <button type="button" className="icon-btn small" aria-label={`Cancel ${t.name}`} onClick={() => api.cancelTransfer(t.transferId)}>
          <Icon name="close" size={16} />
        </button>
      )}
    </div>
  );
}
