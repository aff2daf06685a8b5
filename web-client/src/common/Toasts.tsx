/** The toast stack (bottom-centre); each toast leaves after a few seconds or when dismissed. */
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import type { UiError } from '../lib/errors';
import { ToastContext } from './toast-context';

const TOAST_MS = 6000;
/** Older toasts drop off beyond this many, so a storm of failures cannot pile up. */
const MAX_TOASTS = 4;

interface Toast extends UiError {
  id: number;
}

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const next = useRef(1);
  const timers = useRef(new Set<ReturnType<typeof setTimeout>>());

  const dismiss = useCallback((id: number) => setToasts((list) => list.filter((t) => t.id !== id)), []);
  const show = useCallback(
    (e: UiError) => {
      const id = next.current++;
      setToasts((list) => [...list.filter((t) => t.code !== e.code || t.message !== e.message), { ...e, id }].slice(-MAX_TOASTS));
      const timer = setTimeout(() => {
        timers.current.delete(timer);
        dismiss(id);
      }, TOAST_MS);
      timers.current.add(timer);
    },
    [dismiss],
  );
  useEffect(() => {
    const pending = timers.current;
    return () => pending.forEach(clearTimeout);
  }, []);

  return (
    <ToastContext.Provider value={show}>
      {children}
      <div className="toasts" role="region" aria-label="Notifications" aria-live="assertive">
        {toasts.map((t) => (
          <div key={t.id} className="toast" role="alert" data-code={t.code}>
            <span className="toast-code">{t.code}</span>
            <span className="toast-text">{t.message}</span>
            <button type="button" className="toast-close" aria-label="Dismiss" onClick={() => dismiss(t.id)}>
              ×
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}
