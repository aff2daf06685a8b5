/**
 * An in-process stand-in for Electron's IPC: one main side (handle/removeHandler) and one renderer
 * side (invoke/on) joined like Electron joins them — arguments and payloads are structured-cloned
 * (so a value that could not cross, like a function, fails here too), delivery is asynchronous, and
 * an invoke on a channel with no handler rejects.
 */
import { EventEmitter } from 'node:events';
import type { IpcInvokeEventLike, IpcMainLike, SenderFrameLike, WebContentsLike } from '../../src/main/ipc-types';
import type { IpcRendererLike } from '../../src/preload/ipc-renderer-types';

export const APP_PAGE = 'app://parley/index.html';

export interface IpcPair {
  ipcMain: IpcMainLike & { channels(): string[] };
  ipcRenderer: IpcRendererLike;
  webContents: WebContentsLike & { destroy(): void };
  /** The frame the renderer's invokes come from; tests move it to play a foreign page. */
  frame: { url: string; parent: unknown };
  /** Every payload main sent, by channel. */
  sent: { channel: string; payload: unknown }[];
}

type Handler = (event: IpcInvokeEventLike, ...args: unknown[]) => unknown;

let nextId = 1;

export function createIpcPair(url = APP_PAGE): IpcPair {
  const handlers = new Map<string, Handler>();
  const toRenderer = new EventEmitter();
  const frame = { url, parent: null as unknown };
  const sent: IpcPair['sent'] = [];
  let destroyed = false;

  const webContents: IpcPair['webContents'] = {
    id: nextId++,
    send(channel, payload) {
      if (destroyed) throw new Error('webContents destroyed');
      const copy = structuredClone(payload);
      sent.push({ channel, payload: copy });
      setImmediate(() => toRenderer.emit(channel, {}, copy));
    },
    isDestroyed: () => destroyed,
    destroy() {
      destroyed = true;
    },
  };

  return {
    frame,
    sent,
    webContents,
    ipcMain: {
      handle(channel, listener) {
        if (handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
        handlers.set(channel, listener as Handler);
      },
      removeHandler(channel) {
        handlers.delete(channel);
      },
      channels: () => [...handlers.keys()],
    },
    ipcRenderer: {
      async invoke(channel, ...args) {
        const cloned = structuredClone(args);
        await new Promise((r) => setImmediate(r));
        const handler = handlers.get(channel);
        if (!handler) throw new Error(`Error invoking remote method '${channel}': Error: No handler registered for '${channel}'`);
        const senderFrame: SenderFrameLike = { url: frame.url, parent: frame.parent };
        const result = await handler({ senderFrame, sender: webContents }, ...cloned);
        // Replies travel the same ordered pipe as webContents.send: queue behind what main already sent.
        await new Promise((r) => setImmediate(r));
        return structuredClone(result);
      },
      on(channel, listener) {
        toRenderer.on(channel, listener);
      },
    },
  };
}
