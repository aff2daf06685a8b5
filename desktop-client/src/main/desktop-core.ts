import type { ParleyApi, UploadSource } from '@parley/client';

/**
 * What the main process needs from the client core: ParleyApi, with the ids the preload mints passed
 * along. sendText and sendFile return their id synchronously, which an IPC round trip cannot do, so
 * the preload mints the clientMsgId / transferId and the core is asked to use it (the proposed
 * contract change in docs/desktop.md). Any ParleyApi is assignable to this type.
 */
export type DesktopCore = Omit<ParleyApi, 'sendText' | 'sendFile'> & {
  sendText(conversationId: number, text: string, clientMsgId?: string): string;
  sendFile(conversationId: number, source: UploadSource, transferId?: string): string;
  /** Stops the session and keeps the local store (ParleyClient.close); called when the app quits. */
  close?(): Promise<void>;
};
