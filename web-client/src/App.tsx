/**
 * The app's root: signed out it shows the account pages, signed in the main layout. Without an api
 * (no client core in this build) it stays on the login page and says so in a toast.
 */
import { useEffect, useState } from 'react';
import type { ConnectionStatus, Me, ParleyApi } from '@parley/client';
import { AuthScreens } from './auth/AuthScreens';
import { ToastProvider } from './common/Toasts';
import { useToast } from './common/toast-context';
import { MainLayout } from './layout/MainLayout';
import { ApiContext } from './lib/api-context';
import { toUiError } from './lib/errors';

export function App({ api }: { api: ParleyApi | undefined }) {
  return (
    <ToastProvider>
      <Root api={api} />
    </ToastProvider>
  );
}

function Root({ api }: { api: ParleyApi | undefined }) {
  const toast = useToast();
  const [me, setMe] = useState<Me | undefined>(undefined);
  const [resuming, setResuming] = useState(api !== undefined);
  // Read now and followed from the start: the state may change before the layout mounts.
  const [connection, setConnection] = useState<ConnectionStatus>(() => api?.connectionStatus() ?? { state: 'signed-out' });

  useEffect(() => {
    if (!api) {
      toast({ code: 'NO_CLIENT_CORE', message: 'This build has no client core yet, so you cannot sign in.' });
      return undefined;
    }
    const offMe = api.on('me', setMe);
    const offError = api.on('error', toast);
    const offConn = api.on('connection', (s) => {
      setConnection(s);
      if (s.state === 'signed-out') setMe(undefined);
    });
    let live = true;
    api
      .resume()
      .catch((err: unknown) => toast(toUiError(err)))
      .finally(() => live && setResuming(false));
    return () => {
      live = false;
      offMe();
      offError();
      offConn();
    };
  }, [api, toast]);

  if (resuming) return <div className="splash" role="status" aria-label="Loading" />;
  if (!api || !me) return <AuthScreens api={api} onSignedIn={setMe} />;
  return (
    <ApiContext.Provider value={api}>
      <MainLayout me={me} connection={connection} />
    </ApiContext.Provider>
  );
}
