import { MsgId, type RequestMsgId, type ServerMessage, type SyncResp } from '@parley/protocol/codec';
import type {
  AccountForm, ConversationView, FileRef, HistoryPage,
  AvatarImageData, Me, MessageView, ParleyApi, ParleyEvents, PublicUserView, Unsubscribe, UploadSource, ConnectionStatus,
} from './client-api';
import { AvatarCache, MAX_AVATAR_BYTES } from './avatars';
import { ClientError, plainErrors } from './client-error';
import { ConversationBook } from './conversation-book';
import type { ChatConnection, RequestBody, ResponseOf } from './connection/chat-connection';
import { Directory } from './directory';
import { DirectoryApi } from './directory-api';
import { FileTransfers } from './file/file-transfers';
import { Emitter } from './events';
import { MessageFlow } from './message-flow';
import { historyPage } from './history';
import { checkId, MAX_CLIENT_MSG_ID, MAX_TRANSFER_ID, randomId } from './ids';
import { GateClient, type FetchLike, type LoginAnswer } from './gate/gate-client';
import { Backoff, type BackoffOptions } from './session/backoff';
import { Session } from './session/session';
import type { LocalStore, SavedSession } from './store/local-store';
import type { TransportFactory } from './transport/frame-transport';

export interface ParleyClientOptions {
  gateUrl: string;
  store: LocalStore;
  transport: TransportFactory;
  fetch?: FetchLike;
  backoff?: BackoffOptions;
  /** How often the friend list (and with it presence) is refreshed while online. */
  presenceRefreshMs?: number;
  requestTimeoutMs?: number;
}

const DEFAULT_HISTORY_PAGE = 50;
/** The client core: ParleyApi over a gate, a transport and a local store. One per signed-in user. */
export class ParleyClient extends DirectoryApi implements ParleyApi {
  readonly gate: GateClient;
  private readonly emitter = new Emitter();
  private readonly store: LocalStore;
  private readonly session: Session;
  private readonly flow: MessageFlow;
  private readonly files: FileTransfers;
  /** The latest gate answer: where the file server is. */
  private lastAnswer: LoginAnswer | undefined;
  private saved: SavedSession | undefined;
  private status: ConnectionStatus = { state: 'signed-out' };
  /** The profile the gate answered at registration: the first login's `Me` without a search. */
  private registered: Me | undefined;
  private readonly book: ConversationBook;
  private readonly avatars: AvatarCache;

  constructor(private readonly options: ParleyClientOptions) {
    super();
    this.store = options.store;
    this.gate = new GateClient(options.gateUrl, options.fetch);
    this.book = new ConversationBook(this.store);
    this.directory = new Directory((id, body) => this.request(id, body), this.emitter, () => this.onListsChanged());
    this.flow = new MessageFlow({
      store: this.store,
      emitter: this.emitter,
      book: this.book,
      request: (id, body) => this.request(id, body),
      myUid: () => this.saved?.uid,
      peerGuess: (conversationId) => this.directory.contacts().find((c) => c.conversationId === conversationId)?.uid,
      ackRead: (conversationId, seq) => this.ackRead(conversationId, seq),
      resync: () => this.resync(),
      emitConversations: () => this.emitConversations(),
    });
    this.files = new FileTransfers({
      transport: options.transport,
      fileServer: () => {
        const a = this.lastAnswer;
        if (!a?.fileHost || a.filePort === undefined || !this.saved) return undefined;
        return { host: a.fileHost, tcpPort: a.filePort, ...(a.fileWsPort === undefined ? {} : { wsPort: a.fileWsPort }), ...(a.fileTls ? { tls: true } : {}), uid: this.saved.uid, token: this.saved.token };
      },
      emit: (view) => this.emitter.emit('transfer', view),
    });
    this.avatars = new AvatarCache((fileId) => this.files.fetchById(fileId, MAX_AVATAR_BYTES));
    this.session = new Session({
      gate: this.gate,
      transport: options.transport,
      backoff: new Backoff(options.backoff),
      requestTimeoutMs: options.requestTimeoutMs,
      credentials: () => this.saved,
      onAnswer: (answer) => this.saveAnswer(answer),
      onOnline: (connection) => this.onOnline(connection),
      onOffline: () => this.onOffline(),
      onPush: (message) => this.onPush(message),
      onStatus: (status) => this.setStatus(status),
    });
  }

  on<K extends keyof ParleyEvents>(event: K, listener: (value: ParleyEvents[K]) => void): Unsubscribe {
    return this.emitter.on(event, listener);
  }

  connectionStatus(): ConnectionStatus {
    return { ...this.status };
  }

  currentUser(): Me | undefined {
    return this.saved?.me ? { ...this.saved.me } : undefined;
  }

  /** Resolves when the session is online (now or later); rejects if it stops first. */
  whenOnline(): Promise<void> {
    if (this.status.state === 'online') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const off = this.on('connection', (s) => {
        if (s.state === 'online') {
          off();
          resolve();
        } else if (s.state === 'stopped' || s.state === 'signed-out') {
          off();
          reject(new ClientError('SIGNED_OUT', `The session ended: ${s.reason ?? s.state}`));
        }
      });
    });
  }

  // Accounts.

  sendCode(email: string, purpose: 'register' | 'reset'): Promise<void> {
    return plainErrors(this.gate.sendCode(email, purpose).then(() => undefined));
  }

  register(form: AccountForm): Promise<void> {
    return plainErrors(this.gate.register(form).then((answer) => {
      this.registered = { uid: answer.uid, name: answer.name, nickname: answer.nickname, avatar: '' };
    }));
  }

  resetPassword(form: Omit<AccountForm, 'name'>): Promise<void> {
    return plainErrors(this.gate.resetPassword(form).then(() => undefined));
  }

  login(account: string, password: string): Promise<Me> {
    return plainErrors(this.signIn(account, password));
  }

  private async signIn(account: string, password: string): Promise<Me> {
    const answer = await this.gate.login(account, password);
    if (this.session.running) await this.session.stop({ state: 'signed-out' });
    this.lastAnswer = answer;
    const previous = await this.store.loadSession();
    // Another user's data must not show up under this login.
    if (previous && previous.uid !== answer.uid) await this.store.clear();
    const me: Me = this.registered?.uid === answer.uid ? this.registered : { uid: answer.uid, name: account.includes('@') ? '' : account, nickname: '', avatar: '' };
    this.saved = { uid: answer.uid, token: answer.token, gateUrl: this.options.gateUrl, me: previous?.uid === answer.uid && previous.me ? previous.me : me };
    await this.store.saveSession(this.saved);
    await this.loadLocal();
    this.session.start(answer);
    await this.whenOnline();
    await this.refreshMe(account);
    return this.currentUser() as Me;
  }

  resume(): Promise<boolean> {
    return plainErrors(this.resumeSaved());
  }

  private async resumeSaved(): Promise<boolean> {
    if (this.session.running) return true;
    const saved = await this.store.loadSession();
    if (!saved || saved.gateUrl !== this.options.gateUrl) return false;
    this.saved = saved;
    await this.loadLocal();
    this.session.start();
    return true;
  }

  logout(): Promise<void> {
    return plainErrors(this.signOut());
  }

  private async signOut(): Promise<void> {
    await this.session.stop({ state: 'signed-out' });
    this.saved = undefined;
    this.avatars.clear();
    await this.store.clear();
    this.book.clear();
    this.emitter.emit('me', undefined);
    this.emitConversations();
  }

  /** Stops the session and keeps the store (an app quitting); a new ParleyClient resumes from it. */
  async close(): Promise<void> {
    await this.session.stop({ state: 'signed-out' });
  }

  // Conversations and messages.

  conversations(): ConversationView[] {
    return this.book.views({ contactByUid: (uid) => this.directory.contactByUid(uid), groupById: (id) => this.directory.groupById(id) });
  }

  history(conversationId: number, beforeSeq?: number, limit = DEFAULT_HISTORY_PAGE): Promise<HistoryPage> {
    const online = this.session.connection !== undefined;
    return plainErrors(historyPage({
      store: this.store,
      fetchOlder: online ? (id, before, max) => this.request(MsgId.HistoryReq, { conversationId: id, beforeSeq: before, limit: max }) : undefined,
      position: this.flow.position(conversationId),
      myUid: this.saved?.uid,
      pending: this.pending(conversationId),
    }, conversationId, beforeSeq, limit));
  }

  sendText(conversationId: number, text: string, clientMsgId?: string): string {
    this.requireSaved();
    if (clientMsgId !== undefined) checkId(clientMsgId, MAX_CLIENT_MSG_ID, 'clientMsgId');
    return this.flow.add(conversationId, 'text', text, clientMsgId).clientMsgId;
  }

  retry(clientMsgId: string): void {
    this.flow.retry(clientMsgId);
  }

  markRead(conversationId: number): void {
    const position = this.flow.position(conversationId);
    if (!this.book.markRead(conversationId, position)) return;
    this.ackRead(conversationId, position);
    this.emitConversations();
  }

  /** DeliveredAck is the read position here: the server's ackedSeq makes unread counts agree across devices. */
  private ackRead(conversationId: number, seq: number): void {
    try {
      this.session.connection?.send(MsgId.DeliveredAck, { conversationId, seq });
    } catch {
      // Offline: the next markRead after the reconnect carries it (the ack is cumulative).
    }
  }

  directConversation(peerUid: number): number | undefined {
    return this.directory.contactByUid(peerUid)?.conversationId;
  }

  /** The sync position (highest gap-free seq held) of a conversation. */
  syncedSeq(conversationId: number): number {
    return this.flow.position(conversationId);
  }

  /** Messages still waiting for their SendAck (or failed), oldest first. */
  pending(conversationId?: number): MessageView[] {
    return this.flow.pending(conversationId);
  }

  // People and groups.

  user(uid: number): PublicUserView | undefined {
    const me = this.saved?.me;
    if (me?.uid === uid) return { uid, name: me.name, nickname: me.nickname, avatar: me.avatar };
    return this.directory.user(uid);
  }

  avatarImage(avatar: string): Promise<AvatarImageData | undefined> {
    return plainErrors(this.avatars.image(avatar));
  }

  updateProfile(change: { nickname?: string; avatarFileId?: string | null }): Promise<Me> {
    return plainErrors(this.changeProfile(change));
  }

  private async changeProfile(change: { nickname?: string; avatarFileId?: string | null }): Promise<Me> {
    const avatar = change.avatarFileId === undefined ? undefined : change.avatarFileId === null ? null : { fileId: Number(change.avatarFileId) };
    const resp = await this.request(MsgId.ProfileUpdateReq, { ...(change.nickname === undefined ? {} : { nickname: change.nickname }), ...(avatar === undefined ? {} : { avatar }) });
    await this.setMe({ uid: resp.user.uid, name: resp.user.name, nickname: resp.user.nickname, avatar: resp.user.avatar });
    return this.currentUser() as Me;
  }

  // Files.

  sendFile(conversationId: number, source: UploadSource, transferId?: string): string {
    this.requireSaved();
    if (transferId !== undefined) checkId(transferId, MAX_TRANSFER_ID, 'transferId');
    // The message's id is made now, so the transfer can name the bubble it becomes.
    const clientMsgId = randomId();
    let started = '';
    void this.files
      .upload(source, { conversationId, clientMsgId, ...(transferId === undefined ? {} : { transferId }) }, (id) => {
        started = id;
      })
      .then((ref) => this.sendFileMessage(conversationId, ref, clientMsgId))
      .catch((err: unknown) => this.reportError(err));
    return transferId ?? started;
  }

  /** Queues a `file` (or `image` for image/*) message naming an uploaded file; returns its clientMsgId. */
  sendFileMessage(conversationId: number, ref: FileRef, clientMsgId?: string): string {
    this.requireSaved();
    const body = JSON.stringify({ fileId: Number(ref.fileId), name: ref.name, size: ref.size, sha256: ref.sha256, mime: ref.mime });
    return this.flow.add(conversationId, ref.mime.startsWith('image/') ? 'image' : 'file', body, clientMsgId).clientMsgId;
  }

  uploadFile(source: UploadSource): Promise<FileRef> {
    return plainErrors(this.files.upload(source));
  }

  download(file: FileRef, onTransfer?: (transferId: string) => void): Promise<Uint8Array> {
    return plainErrors(this.files.download(file, onTransfer));
  }

  pauseTransfer(transferId: string): void {
    this.files.job(transferId)?.pause();
  }

  resumeTransfer(transferId: string): void {
    this.files.job(transferId)?.resume();
  }

  cancelTransfer(transferId: string): void {
    this.files.job(transferId)?.cancel();
  }

  // Internals.

  /** A request on the current connection; OFFLINE when there is none. */
  request<I extends RequestMsgId>(id: I, body: RequestBody<I>): Promise<ResponseOf<I>> {
    const connection = this.session.connection;
    if (!connection) return Promise.reject(new ClientError('OFFLINE', 'Not connected; retry once online'));
    return connection.request(id, body);
  }

  private requireSaved(): SavedSession {
    if (!this.saved) throw new ClientError('SIGNED_OUT', 'Log in first');
    return this.saved;
  }

  /** Loads what this device kept: conversations, positions, last messages, the outbox. */
  private async loadLocal(): Promise<void> {
    await this.book.load(this.saved?.uid);
    await this.flow.load();
    this.emitter.emit('me', this.currentUser());
    this.emitConversations();
  }

  private async saveAnswer(answer: LoginAnswer): Promise<void> {
    this.lastAnswer = answer;
    if (!this.saved) return;
    this.saved = { ...this.saved, token: answer.token };
    await this.store.saveSession(this.saved);
  }

  private async setMe(me: Me): Promise<void> {
    if (!this.saved) return;
    this.saved = { ...this.saved, me };
    await this.store.saveSession(this.saved);
    this.emitter.emit('me', { ...me });
  }

  /** LoginResp carries no profile: the user's own entry from a search by name fills it in. */
  private async refreshMe(account: string): Promise<void> {
    const query = account.includes('@') ? this.saved?.me?.name : account;
    if (!query) return;
    const found = (await this.searchUsers(query).catch(() => [])).find((u) => u.uid === this.saved?.uid);
    if (found) await this.setMe({ uid: found.uid, name: found.name, nickname: found.nickname, avatar: found.avatar });
  }

  private async onOnline(connection: ChatConnection): Promise<void> {
    const resp = await connection.request(MsgId.SyncReq, {});
    this.applySync(resp);
    this.flow.setOnline(true);
    await Promise.all([
      this.flow.catchUp(resp.conversations),
      this.directory.refresh().catch((err: unknown) => this.reportError(err)),
    ]);
    this.directory.startPresence(this.options.presenceRefreshMs ?? 30_000);
  }

  private onOffline(): void {
    this.flow.setOnline(false);
    this.directory.stopPresence();
  }

  private applySync(resp: SyncResp): void {
    this.book.applySync(resp);
    this.emitConversations();
  }

  private onPush(message: ServerMessage): void {
    if (message.id === MsgId.MessagePush) this.flow.onPush(message.msg);
    else if (message.id === MsgId.FriendNotify) void this.directory.onFriendNotify(message.msg).catch(() => undefined);
    else if (message.id === MsgId.GroupNotify) void this.directory.onGroupNotify(message.msg).then(() => this.resync()).catch(() => undefined);
    else if (message.id === MsgId.Error) this.emitter.emit('error', { code: message.msg.code, message: message.msg.message });
  }

  /** A conversation this device did not know (a new friend or group): SyncReq tells its kind. */
  private resync(): void {
    void this.request(MsgId.SyncReq, {}).then((resp) => {
      this.applySync(resp);
      return this.flow.catchUp(resp.conversations);
    }).catch(() => undefined);
  }

  private setStatus(status: ConnectionStatus): void {
    this.status = status;
    this.emitter.emit('connection', { ...status });
  }

  /**
   * A new friend or group has a conversation this device has not heard of (no message yet, so no push
   * brought it): SyncReq tells its kind, so the chat can be opened before anyone writes.
   */
  private onListsChanged(): void {
    const ids = [...this.directory.contacts().map((c) => c.conversationId), ...this.directory.groups().map((g) => g.conversationId)];
    if (ids.some((id) => !this.book.has(id))) this.resync();
    this.emitConversations();
  }

  private emitConversations(): void {
    this.emitter.emit('conversations', this.conversations());
  }

  private reportError(err: unknown): void {
    const code = (err as { code?: unknown }).code;
    this.emitter.emit('error', { code: typeof code === 'string' ? code : 'INTERNAL', message: err instanceof Error ? err.message : String(err) });
  }
}
