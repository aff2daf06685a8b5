/**
 * ParleyApi for the renderer, built on an allow-listed set of IPC channels. Calls become
 * `invoke`s answered by the main process's router; the synchronous getters answer from a StateCache
 * kept current by the events; sendText and sendFile mint their id here so they can return at once;
 * upload bytes stay in the page and are read only when main asks (see upload-bridge.ts).
 * Failures reject with (or, for fire-and-forget calls, emit as an `error` event) a plain
 * `{ code, message }`.
 */
import type { FileRef, ParleyApi, ParleyEvents, UploadSource } from '@parley/client';
import {
  EVENT_NAMES,
  TRANSFER_STARTED_CHANNEL,
  UPLOAD_READ_CHANNEL,
  eventChannel,
  invokeChannel,
  isEventName,
  isStateEvent,
  type EventName,
  type InvokeMethod,
  type RouterMethod,
} from '../shared/channels';
import type { Reply, Snapshot, TransferStarted, UploadMeta, UploadReadRequest, WireError } from '../shared/wire';
import type { IpcRendererLike } from './ipc-renderer-types';
import { StateCache } from './state-cache';

export interface PreloadApiOptions {
  /** Mints clientMsgIds, upload ids and download tags. Default crypto.randomUUID. */
  mintId?: () => string;
  /** Uploads whose source the page holds at once. Default 32. */
  maxUploads?: number;
}

export interface PreloadBridge {
  api: ParleyApi;
  /** Settles once the first snapshot has filled the cache. */
  ready: Promise<void>;
}

type Listener = (value: never) => void;

function wireError(code: string, message: string): WireError {
  return { code, message };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function isReply(v: unknown): v is Reply {
  return isObject(v) && typeof v.ok === 'boolean' && (v.ok ? 'value' in v : isObject(v.error));
}

export function createPreloadApi(ipc: IpcRendererLike, options: PreloadApiOptions = {}): PreloadBridge {
  const mintId = options.mintId ?? (() => globalThis.crypto.randomUUID());
  const maxUploads = options.maxUploads ?? 32;
  const cache = new StateCache();
  const listeners = new Map<EventName, Set<Listener>>(EVENT_NAMES.map((n) => [n, new Set()]));
  const uploads = new Map<string, UploadSource>();
  /** The core's transferId → our upload id, should the core not adopt the id we minted. */
  const uploadAliases = new Map<string, string>();
  const downloadTags = new Map<string, (transferId: string) => void>();

  function emit<K extends EventName>(name: K, value: ParleyEvents[K]): void {
    for (const listener of [...(listeners.get(name) ?? [])]) {
      try {
        (listener as (v: ParleyEvents[K]) => void)(value);
      } catch (err) {
        // One failing UI listener must not starve the others; rethrown where devtools will show it.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  async function call<T>(method: RouterMethod, ...args: unknown[]): Promise<T> {
    const reply = await ipc.invoke(invokeChannel(method), ...args);
    if (!isReply(reply)) throw wireError('INTERNAL', 'The desktop app gave an unexpected answer.');
    if (!reply.ok) throw wireError(String(reply.error.code), String(reply.error.message));
    return reply.value as T;
  }

  function toWire(err: unknown): WireError {
    if (isObject(err) && typeof err.code === 'string' && typeof err.message === 'string') return wireError(err.code, err.message);
    return wireError('INTERNAL', 'Something went wrong in the desktop app.');
  }

  /** For ParleyApi's void methods: the failure is shown as an `error` event (a toast). */
  function fire(method: InvokeMethod, ...args: unknown[]): void {
    call(method, ...args).catch((err: unknown) => emit('error', toWire(err)));
  }

  function releaseUpload(transferId: string): void {
    const uploadId = uploadAliases.get(transferId) ?? transferId;
    uploadAliases.delete(transferId);
    uploads.delete(uploadId);
  }

  function uploadMeta(uploadId: string, source: UploadSource): UploadMeta {
    return { uploadId, name: String(source.name), mime: String(source.mime), size: Number(source.size) };
  }

  for (const name of EVENT_NAMES) {
    ipc.on(eventChannel(name), (_event, payload) => {
      if (!isObject(payload) || typeof payload.seq !== 'number' || !('value' in payload)) return;
      const value = payload.value as ParleyEvents[typeof name];
      if (isStateEvent(name) && !cache.applyEvent(name, payload.seq, value as never)) return;
      if (name === 'transfer') {
        const t = value as ParleyEvents['transfer'];
        if (t.direction === 'upload' && (t.state === 'done' || t.state === 'failed')) releaseUpload(t.transferId);
      }
      emit(name, value);
    });
  }

  ipc.on(UPLOAD_READ_CHANNEL, (_event, payload) => {
    const req = payload as UploadReadRequest;
    if (!isObject(req) || typeof req.uploadId !== 'string' || !Number.isSafeInteger(req.requestId)) return;
    const source = uploads.get(req.uploadId);
    const answer = (...args: unknown[]) => call('uploadData', req.requestId, ...args).catch(() => undefined);
    if (!source) {
      void answer(null, 'UPLOAD_SOURCE_GONE');
      return;
    }
    source.read(req.offset, req.length).then(
      (bytes) => answer(bytes.byteLength > req.length ? bytes.subarray(0, req.length) : bytes),
      () => answer(null, 'UPLOAD_BAD_DATA'),
    );
  });

  ipc.on(TRANSFER_STARTED_CHANNEL, (_event, payload) => {
    const started = payload as TransferStarted;
    if (!isObject(started) || typeof started.tag !== 'string' || typeof started.transferId !== 'string') return;
    downloadTags.get(started.tag)?.(started.transferId);
  });

  const ready = call<Snapshot>('snapshot').then(
    (snapshot) => {
      for (const name of cache.applySnapshot(snapshot)) emit(name, cache.get(name) as never);
    },
    (err: unknown) => emit('error', toWire(err)),
  );

  const api: ParleyApi = {
    on(event, listener) {
      if (!isEventName(event)) throw new TypeError(`unknown event: ${String(event)}`);
      const set = listeners.get(event)!;
      const entry = listener as Listener;
      set.add(entry);
      // State events replay the value held, so a view mounted late still renders the current state.
      if (isStateEvent(event) && cache.has(event)) {
        queueMicrotask(() => {
          if (set.has(entry)) (listener as (v: unknown) => void)(cache.get(event));
        });
      }
      return () => void set.delete(entry);
    },

    connectionStatus: () => cache.get('connection') ?? { state: 'signed-out' },
    currentUser: () => cache.get('me'),

    sendCode: (email, purpose) => call('sendCode', email, purpose),
    register: (form) => call('register', form),
    resetPassword: (form) => call('resetPassword', form),
    login: (account, password) => call('login', account, password),
    resume: () => call('resume'),
    logout: () => call('logout'),

    conversations: () => cache.get('conversations') ?? [],
    history: (conversationId, beforeSeq, limit) => call('history', conversationId, beforeSeq, limit),
    sendText(conversationId, text) {
      const clientMsgId = mintId();
      fire('sendText', conversationId, text, clientMsgId);
      return clientMsgId;
    },
    retry: (clientMsgId) => fire('retry', clientMsgId),
    markRead: (conversationId) => fire('markRead', conversationId),
    directConversation: (peerUid) => cache.get('contacts')?.find((c) => c.uid === peerUid)?.conversationId,

    contacts: () => cache.get('contacts') ?? [],
    searchUsers: (query) => call('searchUsers', query),
    requestFriend: (uid, note) => call('requestFriend', uid, note),
    answerFriendRequest: (requestId, accept) => call('answerFriendRequest', requestId, accept),
    friendRequests: () => cache.get('friendRequests') ?? [],
    user(uid) {
      // From the cached state: me, friends, requests (group members come from groupMembers()).
      const me = cache.get('me');
      if (me?.uid === uid) return { uid, name: me.name, nickname: me.nickname, avatar: me.avatar };
      const contact = cache.get('contacts')?.find((c) => c.uid === uid);
      if (contact) return { uid, name: contact.name, nickname: contact.nickname, avatar: contact.avatar };
      const request = cache.get('friendRequests')?.flatMap((r) => [r.from, r.to]).find((u) => u.uid === uid);
      return request ? { ...request } : undefined;
    },
    avatarImage: (avatar) => call('avatarImage', avatar),
    updateProfile: (change) => call('updateProfile', change),

    groups: () => cache.get('groups') ?? [],
    createGroup: (name, memberUids) => call('createGroup', name, memberUids),
    groupMembers: (groupId) => call('groupMembers', groupId),
    invite: (groupId, uids) => call('invite', groupId, uids),
    removeMember: (groupId, uid) => call('removeMember', groupId, uid),
    leaveGroup: (groupId) => call('leaveGroup', groupId),
    renameGroup: (groupId, name) => call('renameGroup', groupId, name),

    sendFile(conversationId, source) {
      const transferId = mintId();
      if (uploads.size >= maxUploads) {
        queueMicrotask(() => emit('error', wireError('UPLOAD_BUSY', 'Too many uploads at once; try again in a moment.')));
        return transferId;
      }
      uploads.set(transferId, source);
      call<string>('sendFile', conversationId, uploadMeta(transferId, source)).then(
        (coreId) => {
          if (coreId !== transferId) uploadAliases.set(coreId, transferId);
        },
        (err: unknown) => {
          uploads.delete(transferId);
          emit('error', toWire(err));
        },
      );
      return transferId;
    },
    async uploadFile(source) {
      if (uploads.size >= maxUploads) throw wireError('UPLOAD_BUSY', 'Too many uploads at once; try again in a moment.');
      const uploadId = mintId();
      uploads.set(uploadId, source);
      try {
        return await call('uploadFile', uploadMeta(uploadId, source));
      } finally {
        uploads.delete(uploadId);
      }
    },
    async download(file: FileRef, onTransfer?: (transferId: string) => void) {
      const tag = mintId();
      if (onTransfer) downloadTags.set(tag, onTransfer);
      try {
        return await call<Uint8Array>('download', file, tag);
      } finally {
        downloadTags.delete(tag);
      }
    },
    pauseTransfer: (transferId) => fire('pauseTransfer', transferId),
    resumeTransfer: (transferId) => fire('resumeTransfer', transferId),
    cancelTransfer(transferId) {
      fire('cancelTransfer', transferId);
      releaseUpload(transferId);
    },
  };

  return { api, ready };
}
