/**
 * The slices of Electron's main-process IPC the router uses, so the router runs under Node with a
 * stand-in (test/support/ipc-pair.ts) and in Electron with the real ipcMain.
 */
export interface SenderFrameLike {
  readonly url: string;
  /** null for a top-level frame. */
  readonly parent: unknown;
}

export interface WebContentsLike {
  readonly id: number;
  send(channel: string, payload: unknown): void;
  isDestroyed(): boolean;
}

export interface IpcInvokeEventLike {
  readonly senderFrame: SenderFrameLike | null;
  readonly sender: WebContentsLike;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcInvokeEventLike, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}
