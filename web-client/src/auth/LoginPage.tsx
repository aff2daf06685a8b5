import { useState, type FormEvent } from 'react';
import type { Me, ParleyApi } from '@parley/client';
import { useToast } from '../common/toast-context';
import type { AuthPage } from './AuthScreens';
import { Field } from './Field';
import { NO_CORE, useSubmit } from './use-submit';

export function LoginPage({ api, notice, onSignedIn, go }: { api: ParleyApi | undefined; notice: string; onSignedIn: (me: Me) => void; go: (p: AuthPage) => void }) {
  const toast = useToast();
  const [account, setAccount] = useState('');
  const [password, setPassword] = useState('');
  const [busy, run] = useSubmit();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!api) return toast(NO_CORE);
    void run(async () => onSignedIn(await api.login(account.trim(), password)));
  };
  return (
    <form className="auth-form" onSubmit={submit} aria-labelledby="login-title">
      <h2 id="login-title">Log in</h2>
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <Field label="Email or user name" name="account" autoComplete="username" required value={account} onChange={(e) => setAccount(e.target.value)} />
      <Field label="Password" name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
      <button type="submit" className="primary wide" disabled={busy}>
        {busy ? 'Logging in…' : 'Log in'}
      </button>
      <div className="auth-links">
        <button type="button" className="link" onClick={() => go('register')}>
          Create an account
        </button>
        <button type="button" className="link" onClick={() => go('reset')}>
          Forgot password?
        </button>
      </div>
    </form>
  );
}
