/**
 * The web build's entry: creates the client core running in the page and mounts the UI on it.
 * The desktop app has its own entry that hands the same `mountApp` an IPC-backed ParleyApi.
 */
// First: the global Buffer and eval-free zod the core needs (ES modules evaluate in import order).
import './page-env';
import { IndexedDbStore, MemoryStore, ParleyClient, webSocketTransports, type LocalStore, type ParleyApi, type WebSocketConstructor } from '@parley/client';
import { mountApp } from './mount';

/** IndexedDB keeps history, the outbox and the session across reloads; without it (some private modes) the page still works, forgetting on reload. */
async function openStore(): Promise<LocalStore> {
  try {
    return await IndexedDbStore.open('parley');
  } catch {
    return new MemoryStore();
  }
}

// ─── THE ONE PLACE THE WEB BUILD CONSTRUCTS THE CLIENT CORE ───────────────────────────────────────────
// The gate serves this page, so the gate is this page's origin; chat and file servers are reached over
// WebSocket at the ports the gate's login answer names (wss: when it says they speak TLS).
async function createCore(): Promise<ParleyApi> {
  return new ParleyClient({
    gateUrl: window.location.origin,
    store: await openStore(),
    // The DOM's handler types name DOM events; the core's WebSocketLike describes only what it reads.
    transport: webSocketTransports(WebSocket as unknown as WebSocketConstructor),
  });
}
// ──────────────────────────────────────────────────────────────────────────────────────────────────────

const root = document.getElementById('root');
if (root) mountApp(root, await createCore());
