/** Log in, register and reset password: one card, three pages, switched without changing the URL. */
import { useState } from 'react';
import type { Me, ParleyApi } from '@parley/client';
import { LoginPage } from './LoginPage';
import { RegisterPage } from './RegisterPage';
import { ResetPage } from './ResetPage';

export type AuthPage = 'login' | 'register' | 'reset';

export function AuthScreens({ api, onSignedIn }: { api: ParleyApi | undefined; onSignedIn: (me: Me) => void }) {
  const [page, setPage] = useState<AuthPage>('login');
  const [notice, setNotice] = useState('');
  const go = (p: AuthPage, message = '') => {
    setNotice(message);
    setPage(p);
  };
  return (
    <main className="auth">
      <div className="auth-card">
        <div className="brand">
          <img src="./favicon.svg" alt="" width={48} height={48} />
          <h1>Parley</h1>
        </div>
        {page === 'login' && <LoginPage api={api} notice={notice} onSignedIn={onSignedIn} go={go} />}
        {page === 'register' && <RegisterPage api={api} go={go} />}
        {page === 'reset' && <ResetPage api={api} go={go} />}
      </div>
      <p className="auth-foot">Parley — instant messaging</p>
    </main>
  );
}
