import { useState, type FormEvent } from 'react';
import type { ParleyApi } from '@parley/client';
import { useToast } from '../common/toast-context';
import type { AuthPage } from './AuthScreens';
import { Field } from './Field';
import { SendCodeButton } from './SendCodeButton';
import { NO_CORE, useSubmit } from './use-submit';

export function ResetPage({ api, go }: { api: ParleyApi | undefined; go: (p: AuthPage, notice?: string) => void }) {
  const toast = useToast();
  const [form, setForm] = useState({ email: '', code: '', password: '' });
  const [busy, run] = useSubmit();
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [k]: e.target.value }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!api) return toast(NO_CORE);
    void run(async () => {
      await api.resetPassword({ email: form.email.trim(), code: form.code.trim(), password: form.password });
      go('login', 'Password changed. Log in with the new one.');
    });
  };
  return (
    <form className="auth-form" onSubmit={submit} aria-labelledby="reset-title">
      <h2 id="reset-title">Reset password</h2>
      <Field
        label="Email"
        name="email"
        type="email"
        autoComplete="email"
        required
        value={form.email}
        onChange={set('email')}
        extra={<SendCodeButton api={api} email={form.email} purpose="reset" />}
      />
      <Field label="Verification code" name="code" inputMode="numeric" autoComplete="one-time-code" required value={form.code} onChange={set('code')} />
      <Field label="New password" name="password" type="password" autoComplete="new-password" required minLength={8} value={form.password} onChange={set('password')} />
      <button type="submit" className="primary wide" disabled={busy}>
        {busy ? 'Saving…' : 'Set new password'}
      </button>
      <div className="auth-links">
        <button type="button" className="link" onClick={() => go('login')}>
          Back to log in
        </button>
      </div>
    </form>
  );
}
