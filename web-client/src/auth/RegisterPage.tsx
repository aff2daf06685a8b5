import { useState, type FormEvent } from 'react';
import type { ParleyApi } from '@parley/client';
import { useToast } from '../common/toast-context';
import type { AuthPage } from './AuthScreens';
import { Field } from './Field';
import { SendCodeButton } from './SendCodeButton';
import { NO_CORE, useSubmit } from './use-submit';

export function RegisterPage({ api, go }: { api: ParleyApi | undefined; go: (p: AuthPage, notice?: string) => void }) {
  const toast = useToast();
  const [form, setForm] = useState({ email: '', code: '', name: '', password: '' });
  const [busy, run] = useSubmit();
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [k]: e.target.value }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!api) return toast(NO_CORE);
    void run(async () => {
      await api.register({ email: form.email.trim(), code: form.code.trim(), name: form.name.trim(), password: form.password });
      go('login', 'Account created. Log in with your new password.');
    });
  };
  return (
    <form className="auth-form" onSubmit={submit} aria-labelledby="register-title">
      <h2 id="register-title">Create an account</h2>
      <Field
        label="Email"
        name="email"
        type="email"
        autoComplete="email"
        required
        value={form.email}
        onChange={set('email')}
        extra={<SendCodeButton api={api} email={form.email} purpose="register" />}
      />
      <Field label="Verification code" name="code" inputMode="numeric" autoComplete="one-time-code" required value={form.code} onChange={set('code')} />
      <Field label="User name" name="name" autoComplete="username" required value={form.name} onChange={set('name')} />
      <Field label="Password" name="password" type="password" autoComplete="new-password" required minLength={8} value={form.password} onChange={set('password')} />
      <button type="submit" className="primary wide" disabled={busy}>
        {busy ? 'Creating…' : 'Register'}
      </button>
      <div className="auth-links">
        <button type="button" className="link" onClick={() => go('login')}>
          I have an account — log in
        </button>
      </div>
    </form>
  );
}
