/** Running transfers from the core's `transfer` events; finished ones linger briefly, then go. */
import { useEffect, useState } from 'react';
import type { ParleyApi, TransferView } from '@parley/client';

const LINGER_MS = 4000;

export function useTransfers(api: ParleyApi): Map<string, TransferView> {
  const [transfers, setTransfers] = useState(() => new Map<string, TransferView>());
  useEffect(() => {
    const timers = new Set<ReturnType<typeof setTimeout>>();
    const off = api.on('transfer', (t) => {
      setTransfers((m) => new Map(m).set(t.transferId, t));
      if (t.state === 'done') {
        const timer = setTimeout(() => {
          timers.delete(timer);
          setTransfers((m) => {
            const copy = new Map(m);
            copy.delete(t.transferId);
            return copy;
          });
        }, LINGER_MS);
        timers.add(timer);
      }
    });
    return () => {
      off();
      timers.forEach(clearTimeout);
    };
  }, [api]);
  return transfers;
}
