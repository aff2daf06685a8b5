/**
 * The contract between the client core and every UI (the web app in the page, the desktop app through
 * its preload bridge). Everything here is plain data so it can cross Electron's contextBridge: no class
 * instances, no functions inside values. The core implements `ParleyApi`; UIs depend only on this file.
 */

export type ConnectionState =
  /** No credentials: the UI shows the login page. */
  | 'signed-out'
  /** First connection after login, or a restart with a saved session. */
  | 'connecting'
  | 'online'
  /** Lost the connection; retrying with backoff (the UI shows a banner). */
  | 'reconnecting'
  /** Kicked (logged in elsewhere, password changed) or the token was refused: stopped, `reason` says why. */
  | 'stopped';

export interface ConnectionStatus {
  state: ConnectionState;
  /** stopped: the Kick reason or `TOKEN_INVALID: …`; reconnecting: `connection_lost` or the server's Reconnect reason. */
  reason?: string;
  /** When the next reconnect attempt is due (ms since epoch), while reconnecting. */
  retryAtMs?: number;
}

export interface Me {
  uid: number;
  name: string;
  nickname: string;
  /** `file:<fileId>` or '' (see docs/protocol.md PublicUser). */
  avatar: string;
}

export interface PublicUserView {
  uid: number;
  name: string;
  nickname: string;
  avatar: string;
}

export interface ContactView extends PublicUserView {
  online: boolean;
  conversationId: number;
}

export interface FriendRequestView {
  requestId: number;
  from: PublicUserView;
  to: PublicUserView;
  note: string;
  status: 'pending' | 'accepted' | 'declined';
  createdAt: number;
  /** True when addressed to me. */
  incoming: boolean;
}

export interface FileRef {
  fileId: string;
  name: string;
  size: number;
  sha256: string;
  mime: string;
}

export type DeliveryState = 'sending' | 'sent' | 'failed';

export interface MessageView {
  conversationId: number;
  /** Undefined while the message is only in the outbox. */
  seq?: number;
  senderUid: number;
  clientMsgId: string;
  type: 'text' | 'image' | 'file' | 'system';
  /** Text, or for image/file the JSON string naming a FileRef, or for system the JSON event. */
  body: string;
  /** Server time once stored; the local send time while sending. */
  timeMs: number;
  /** Only for my own messages. */
  delivery?: DeliveryState;
  /** Why a send failed (an error code from docs/protocol.md), when delivery is 'failed'. */
  error?: string;
}

export interface ConversationView {
  conversationId: number;
  kind: 'direct' | 'group';
  peerUid?: number;
  groupId?: number;
  /** Peer's nickname or the group's name. */
  title: string;
  avatar: string;
  lastMessage?: MessageView;
  lastActivityMs: number;
  unread: number;
  /** I left or was removed (groups). */
  left?: boolean;
}

export interface GroupView {
  groupId: number;
  conversationId: number;
  name: string;
  avatar: string;
  ownerUid: number;
  approvalRequired: boolean;
  memberCount: number;
  myRole: 'owner' | 'admin' | 'member';
}

export interface GroupMemberView extends PublicUserView {
  role: 'owner' | 'admin' | 'member';
  joinedAt: number;
}

export interface HistoryPage {
  messages: MessageView[];
  /** Older messages exist before messages[0]. */
  hasMore: boolean;
}

export type TransferState = 'running' | 'paused' | 'done' | 'failed';

export interface TransferView {
  transferId: string;
  direction: 'upload' | 'download';
  name: string;
  conversationId?: number;
  /** The clientMsgId of the file message an upload by sendFile becomes (sent once the upload is done). */
  clientMsgId?: string;
  fileId?: string;
  bytesDone: number;
  total: number;
  bytesPerSec: number;
  state: TransferState;
  error?: string;
}

/** What the UI hands the core to upload: the bytes (browser File → ArrayBuffer chunks are read by the core). */
export interface UploadSource {
  name: string;
  mime: string;
  size: number;
  /** Reads `length` bytes at `offset`. In the browser a File/Blob slice; in Node a file handle. */
  read(offset: number, length: number): Promise<Uint8Array>;
}

export interface AccountForm {
  email: string;
  code: string;
  name: string;
  password: string;
}

/** Events the core emits to the UI; each carries the full current value, so a UI can just re-render. */
export interface ParleyEvents {
  connection: ConnectionStatus;
  me: Me | undefined;
  conversations: ConversationView[];
  /** New or changed messages (a push, an ack turning 'sending' into 'sent', a failure). */
  messages: { conversationId: number; messages: MessageView[] };
  contacts: ContactView[];
  friendRequests: FriendRequestView[];
  groups: GroupView[];
  transfer: TransferView;
  /** A message from someone else arrived (the UI decides whether to notify). */
  incoming: MessageView;
  /** A failure the user should see as a toast: a stable code and a human sentence, never a stack. */
  error: { code: string; message: string };
}

export type Unsubscribe = () => void;

/**
 * What every rejected ParleyApi promise carries: plain data, never a class instance or a stack, so it
 * crosses the desktop bridge unchanged. `code` is stable and documented (docs/protocol.md,
 * docs/http-api.md, docs/client.md "Errors", docs/desktop.md); `message` is a human sentence;
 * `details` is the code's extra data where it has some (e.g. `retryAfterSec`, `uids`, `fileId`).
 */
export interface ApiError {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** An avatar's image bytes, for a blob: URL. */
export interface AvatarImageData {
  bytes: Uint8Array;
  mime: string;
}

/** Promises reject with `ApiError` (plain `{ code, message, details? }`); void calls report failures as `error` events. */
export interface ParleyApi {
  on<K extends keyof ParleyEvents>(event: K, listener: (value: ParleyEvents[K]) => void): Unsubscribe;

  /** The connection state now (the `connection` event reports changes). */
  connectionStatus(): ConnectionStatus;
  /** The signed-in user now, or undefined while signed out (the `me` event reports changes). */
  currentUser(): Me | undefined;

  // Accounts (gate HTTP).
  sendCode(email: string, purpose: 'register' | 'reset'): Promise<void>;
  register(form: AccountForm): Promise<void>;
  resetPassword(form: Omit<AccountForm, 'name'>): Promise<void>;
  login(account: string, password: string): Promise<Me>;
  /** Resumes a saved session (after an app restart or page reload), if any; false when signed out. */
  resume(): Promise<boolean>;
  logout(): Promise<void>;

  // Conversations and messages.
  conversations(): ConversationView[];
  /** Newest first page when beforeSeq is undefined; served from the local store, fetched when missing. */
  history(conversationId: number, beforeSeq?: number, limit?: number): Promise<HistoryPage>;
  /**
   * Queues in the outbox and returns the clientMsgId at once; progress comes as `messages` events.
   * `clientMsgId` (1–64 characters) lets the caller make the id (the desktop bridge, which must return
   * it before its IPC call reaches the core); the core uses it as is, and a second call with an id
   * already queued returns that id without queuing the message twice.
   */
  sendText(conversationId: number, text: string, clientMsgId?: string): string;
  /** Resends a failed message with the same clientMsgId. */
  retry(clientMsgId: string): void;
  markRead(conversationId: number): void;
  /** The conversation with a friend (creating nothing: direct conversations exist once friends). */
  directConversation(peerUid: number): number | undefined;

  // People.
  contacts(): ContactView[];
  searchUsers(query: string): Promise<PublicUserView[]>;
  requestFriend(uid: number, note?: string): Promise<void>;
  answerFriendRequest(requestId: number, accept: boolean): Promise<void>;
  friendRequests(): FriendRequestView[];
  /** What the core knows of a user (me, friends, requests, group members fetched, search results): sender names. */
  user(uid: number): PublicUserView | undefined;
  /** The image an `avatar` string (`file:<fileId>`) names, fetched once and cached; undefined for '' or a non-image. */
  avatarImage(avatar: string): Promise<AvatarImageData | undefined>;
  updateProfile(change: { nickname?: string; avatarFileId?: string | null }): Promise<Me>;

  // Groups.
  groups(): GroupView[];
  createGroup(name: string, memberUids: number[]): Promise<GroupView>;
  groupMembers(groupId: number): Promise<GroupMemberView[]>;
  invite(groupId: number, uids: number[]): Promise<void>;
  removeMember(groupId: number, uid: number): Promise<void>;
  leaveGroup(groupId: number): Promise<void>;
  renameGroup(groupId: number, name: string): Promise<void>;

  // Files.
  /**
   * Uploads then sends an `image` (image/*) or `file` message; returns the transferId. `transferId`
   * (1–128 characters) lets the caller make the id, as for sendText.
   */
  sendFile(conversationId: number, source: UploadSource, transferId?: string): string;
  /** Uploads a file without sending a message (avatars); resolves with its fileId. */
  uploadFile(source: UploadSource): Promise<FileRef>;
  /** Downloads a file; resolves with its bytes, verified against sha256. */
  download(file: FileRef, onTransfer?: (transferId: string) => void): Promise<Uint8Array>;
  pauseTransfer(transferId: string): void;
  resumeTransfer(transferId: string): void;
  cancelTransfer(transferId: string): void;
}
