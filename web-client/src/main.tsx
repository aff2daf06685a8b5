/**
 * The web build's entry: creates the client core running in the page and mounts the UI on it.
 * The desktop app has its own entry that hands the same `mountApp` an IPC-backed ParleyApi.
 */
import type { ParleyApi } from '@parley/client';
import { mountApp } from './mount';

// ─── THE ONE PLACE THE WEB BUILD CONSTRUCTS THE CLIENT CORE ───────────────────────────────────────────
// Until @parley/client ships its browser core there is none: the app shows the login page and a toast
// saying so (never a fake backend). When it lands, this becomes e.g.
//   import { createBrowserClient } from '@parley/client';
//   return createBrowserClient({ gateUrl: window.location.origin });
function createCore(): ParleyApi | undefined {
  return undefined;
}
// ──────────────────────────────────────────────────────────────────────────────────────────────────────

const root = document.getElementById('root');
if (root) mountApp(root, createCore());
