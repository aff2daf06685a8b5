/** `mountApp(element, api)`: the one entry every shell (web page, Electron renderer) calls. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import type { ParleyApi } from '@parley/client';
import { App } from './App';
import './styles/base.css';
import './styles/auth.css';
import './styles/layout.css';
import './styles/chat.css';
import './styles/panels.css';

/** Renders the app into `element`; `api` undefined means no client core (login page plus an error toast). Returns an unmount. */
export function mountApp(element: HTMLElement, api: ParleyApi | undefined): () => void {
  const root = createRoot(element);
  root.render(
    <StrictMode>
      <App api={api} />
    </StrictMode>,
  );
  return () => root.unmount();
}
