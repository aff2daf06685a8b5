/**
 * Joins a preload ParleyApi to a router over an IPC stand-in, around any core. Today the core is
 * FakeCore; once the client core lands, the same harness takes the real one (connected to a real
 * cluster from the e2e harness) and the round-trip tests run unchanged against it.
 */
import { createEventForwarder } from '../../src/main/event-forwarder';
import type { DesktopCore } from '../../src/main/desktop-core';
import { createIpcRouter, type IpcRouter } from '../../src/main/ipc-router';
import { createUploadBridge, type UploadBridge, type UploadBridgeOptions } from '../../src/main/upload-bridge';
import { createPreloadApi, type PreloadBridge } from '../../src/preload/preload-api';
import { createIpcPair, type IpcPair } from './ipc-pair';

export interface BridgeHarness extends PreloadBridge {
  pair: IpcPair;
  router: IpcRouter;
  uploads: UploadBridge;
  errors: { method: string; err: unknown }[];
  close(): void;
}

export function connectBridge(core: DesktopCore, options: { uploads?: UploadBridgeOptions; mintId?: () => string } = {}): BridgeHarness {
  const pair = createIpcPair();
  const uploads = createUploadBridge(options.uploads);
  const events = createEventForwarder(core, (channel, envelope) => {
    if (!pair.webContents.isDestroyed()) pair.webContents.send(channel, envelope);
  });
  const errors: BridgeHarness['errors'] = [];
  const router = createIpcRouter(core, pair.ipcMain, { events, uploads, logError: (method, err) => errors.push({ method, err }) });
  const preload = createPreloadApi(pair.ipcRenderer, options.mintId ? { mintId: options.mintId } : {});
  return {
    ...preload,
    pair,
    router,
    uploads,
    errors,
    close() {
      router.dispose();
      events.dispose();
    },
  };
}

/** Resolves after pending IPC deliveries (which use setImmediate) have run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}
