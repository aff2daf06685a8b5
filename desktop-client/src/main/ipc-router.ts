/**
 * The main-process side of the bridge: one `handle` per allow-listed channel. Every request is checked
 * in the same order — the sender is the app's top-level page, the channel is allow-listed, the
 * arguments match their schema — before it reaches the core; every answer is a Reply envelope with
 * errors as `{ code, message }`. Nothing the renderer sends is trusted.
 */
import { BridgeError, toWireError } from '../shared/bridge-errors';
import { BRIDGE_METHODS, INVOKE_METHODS, TRANSFER_STARTED_CHANNEL, invokeChannel, methodOfChannel, type RouterMethod } from '../shared/channels';
import type { Reply, TransferStarted } from '../shared/wire';
import { parseArgs, type RouterArgs } from './arg-schemas';
import type { DesktopCore } from './desktop-core';
import type { EventForwarder } from './event-forwarder';
import type { IpcInvokeEventLike, IpcMainLike } from './ipc-types';
import { isTrustedSender } from './sender-policy';
import type { UploadBridge } from './upload-bridge';

export interface IpcRouterOptions {
  events: Pick<EventForwarder, 'snapshot'>;
  uploads: UploadBridge;
  /** Defaults to the app-origin, top-frame check. */
  isTrustedSender?: (event: IpcInvokeEventLike) => boolean;
  /** Where uncoded failures are logged (they reach the page only as INTERNAL). */
  logError?: (method: string, err: unknown) => void;
}

export interface IpcRouter {
  /** Checks and runs one request; what every registered handler calls. */
  dispatch(channel: string, event: IpcInvokeEventLike, args: unknown[]): Promise<Reply>;
  /** The channels registered with ipcMain. */
  readonly channels: readonly string[];
  dispose(): void;
}

type Handlers = { [M in RouterMethod]: (args: RouterArgs[M], event: IpcInvokeEventLike) => unknown };

function handlers(core: DesktopCore, options: IpcRouterOptions): Handlers {
  const { uploads, events } = options;
  return {
    sendCode: ([email, purpose]) => core.sendCode(email, purpose),
    register: ([form]) => core.register(form),
    resetPassword: ([form]) => core.resetPassword(form),
    login: ([account, password]) => core.login(account, password),
    resume: () => core.resume(),
    logout: () => core.logout(),
    history: ([conversationId, beforeSeq, limit]) => core.history(conversationId, beforeSeq, limit),
    sendText: ([conversationId, text, clientMsgId]) => core.sendText(conversationId, text, clientMsgId),
    retry: ([clientMsgId]) => core.retry(clientMsgId),
    markRead: ([conversationId]) => core.markRead(conversationId),
    searchUsers: ([query]) => core.searchUsers(query),
    requestFriend: ([uid, note]) => core.requestFriend(uid, note),
    answerFriendRequest: ([requestId, accept]) => core.answerFriendRequest(requestId, accept),
    updateProfile: ([change]) => core.updateProfile(change),
    createGroup: ([name, uids]) => core.createGroup(name, uids),
    groupMembers: ([groupId]) => core.groupMembers(groupId),
    invite: ([groupId, uids]) => core.invite(groupId, uids),
    removeMember: ([groupId, uid]) => core.removeMember(groupId, uid),
    leaveGroup: ([groupId]) => core.leaveGroup(groupId),
    renameGroup: ([groupId, name]) => core.renameGroup(groupId, name),
    sendFile: ([conversationId, meta], event) => core.sendFile(conversationId, uploads.source(meta, event.sender), meta.uploadId),
    uploadFile: ([meta], event) => core.uploadFile(uploads.source(meta, event.sender)),
    download: ([file, tag], event) =>
      core.download(file, (transferId) => {
        const started: TransferStarted = { tag, transferId };
        if (!event.sender.isDestroyed()) event.sender.send(TRANSFER_STARTED_CHANNEL, started);
      }),
    pauseTransfer: ([transferId]) => core.pauseTransfer(transferId),
    resumeTransfer: ([transferId]) => core.resumeTransfer(transferId),
    cancelTransfer: ([transferId]) => core.cancelTransfer(transferId),
    avatarImage: ([avatar]) => core.avatarImage(avatar),
    snapshot: () => events.snapshot(),
    uploadData: ([requestId, bytes, errorCode], event) => uploads.answer(event.sender.id, requestId, bytes, errorCode),
  };
}

function refuse(code: 'BRIDGE_UNKNOWN_CHANNEL' | 'BRIDGE_BAD_ARGUMENT' | 'BRIDGE_FORBIDDEN_SENDER', message?: string): Reply {
  return { ok: false, error: toWireError(new BridgeError(code, message)) };
}

export function createIpcRouter(core: DesktopCore, ipc: IpcMainLike, options: IpcRouterOptions): IpcRouter {
  const table = handlers(core, options);
  const trusted = options.isTrustedSender ?? isTrustedSender;
  const logError = options.logError ?? (() => undefined);

  async function dispatch(channel: string, event: IpcInvokeEventLike, args: unknown[]): Promise<Reply> {
    if (!trusted(event)) return refuse('BRIDGE_FORBIDDEN_SENDER');
    const method = methodOfChannel(channel);
    if (!method) return refuse('BRIDGE_UNKNOWN_CHANNEL');
    if (!Array.isArray(args)) return refuse('BRIDGE_BAD_ARGUMENT');
    const parsed = parseArgs(method, args);
    if (!parsed.ok) return refuse('BRIDGE_BAD_ARGUMENT', parsed.reason);
    try {
      const run = table[method] as (a: unknown, e: IpcInvokeEventLike) => unknown;
      const value = await run(parsed.args, event);
      return { ok: true, value };
    } catch (err) {
      const wire = toWireError(err);
      if (wire.code === 'INTERNAL') logError(method, err);
      return { ok: false, error: wire };
    }
  }

  const channels = [...INVOKE_METHODS, ...BRIDGE_METHODS].map(invokeChannel);
  for (const channel of channels) ipc.handle(channel, (event, ...args) => dispatch(channel, event, args));

  return {
    dispatch,
    channels,
    dispose() {
      for (const channel of channels) ipc.removeHandler(channel);
    },
  };
}
