/** "Send code": asks the gate to mail a code, then counts down until another may be asked for. */
import { useEffect, useState } from 'react';
import type { ParleyApi } from '@parley/client';
import { useToast } from '../common/toast-context';
import { retryAfterSec, toUiError } from '../lib/errors';
import { NO_CORE } from './use-submit';

/** The verify-server's per-address cooldown (docs/security.md); a refusal's retryAfterSec overrides it. */
export const RESEND_AFTER_SEC = 60;

export function SendCodeButton({ api, email, purpose }: { api: ParleyApi | undefined; email: string; purpose: 'register' | 'reset' }) {
  const toast = useToast();
  const [left, setLeft] = useState(0);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (left <= 0) return undefined;
    const t = setTimeout(() => setLeft((n) => n - 1), 1000);
    return () => clearTimeout(t);
  }, [left]);

  const send = async () => {
    if (!api) return toast(NO_CORE);
    if (!/^\S+@\S+\.\S+$/.test(email.trim())) return toast({ code: 'BAD_EMAIL', message: 'Enter your email address first.' });
    setBusy(true);
    try {
      await api.sendCode(email.trim(), purpose);
      setLeft(RESEND_AFTER_SEC);
    } catch (err) {
      toast(toUiError(err));
      const wait = retryAfterSec(err);
      if (wait !== undefined) setLeft(Math.ceil(wait));
    } finally {
      setBusy(false);
    }
  };
  return (
    <button type="button" className="secondary code-btn" disabled={busy || left > 0} onClick={() => void send()} aria-live="polite">
      {left > 0 ? `Resend in ${left}s` : busy ? 'Sending…' : 'Send code'}
    </button>
  );
}
