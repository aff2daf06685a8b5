/**
 * An in-memory ParleyApi for the bridge tests: real state and events, recorded calls, and switches to
 * make a call fail. It stands in for the client core until the core lands; the bridge harness takes
 * any ParleyApi, so the same tests can run against the real core.
 */
import { EventEmitter } from 'node:events';
import { createHash } from 'node:crypto';
import type {
  ContactView,
  ConversationView,
  FileRef,
  FriendRequestView,
  GroupMemberView,
  GroupView,
  HistoryPage,
  Me,
  ParleyEvents,
  PublicUserView,
  TransferView,
  UploadSource,
} from '@parley/client';
import type { DesktopCore } from '../../src/main/desktop-core';

export class CodedError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const ME: Me = { uid: 1, name: 'alice', nickname: 'Alice', avatar: '' };

export class FakeCore implements DesktopCore {
  readonly calls: { method: string; args: unknown[] }[] = [];
  /** Methods that throw this error when called. */
  readonly failures = new Map<string, unknown>();
  readonly emitter = new EventEmitter();
  state = {
    conversations: [] as ConversationView[],
    contacts: [] as ContactView[],
    friendRequests: [] as FriendRequestView[],
    groups: [] as GroupView[],
  };
  /** What sendFile / uploadFile read, by transferId. */
  readonly uploaded = new Map<string, Promise<Uint8Array>>();
  readonly files = new Map<string, Uint8Array>();
  /** Upload reads use this chunk size; a resume re-reads from `resumeAt` as after a reconnect. */
  chunkBytes = 256 * 1024;
  resumeAt: number | undefined;
  private nextTransfer = 1;

  private record(method: string, args: unknown[]): void {
    this.calls.push({ method, args });
    const failure = this.failures.get(method);
    if (failure !== undefined) throw failure;
  }

  emit<K extends keyof ParleyEvents>(event: K, value: ParleyEvents[K]): void {
    this.emitter.emit(event, value);
  }

  on<K extends keyof ParleyEvents>(event: K, listener: (value: ParleyEvents[K]) => void) {
    this.emitter.on(event, listener);
    return () => void this.emitter.off(event, listener);
  }

  async sendCode(email: string, purpose: 'register' | 'reset') {
    this.record('sendCode', [email, purpose]);
  }
  async register(form: { email: string; code: string; name: string; password: string }) {
    this.record('register', [form]);
  }
  async resetPassword(form: { email: string; code: string; password: string }) {
    this.record('resetPassword', [form]);
  }
  async login(account: string, password: string): Promise<Me> {
    this.record('login', [account, password]);
    this.emit('connection', { state: 'online' });
    this.emit('me', ME);
    return ME;
  }
  async resume() {
    this.record('resume', []);
    return false;
  }
  async logout() {
    this.record('logout', []);
  }
  conversations() {
    return this.state.conversations;
  }
  async history(conversationId: number, beforeSeq?: number, limit?: number): Promise<HistoryPage> {
    this.record('history', [conversationId, beforeSeq, limit]);
    return { messages: [], hasMore: false };
  }
  sendText(conversationId: number, text: string, clientMsgId?: string): string {
    this.record('sendText', [conversationId, text, clientMsgId]);
    const id = clientMsgId ?? `core-${this.calls.length}`;
    this.emit('messages', { conversationId, messages: [{ conversationId, senderUid: ME.uid, clientMsgId: id, type: 'text', body: text, timeMs: 1, delivery: 'sending' }] });
    return id;
  }
  retry(clientMsgId: string) {
    this.record('retry', [clientMsgId]);
  }
  markRead(conversationId: number) {
    this.record('markRead', [conversationId]);
  }
  directConversation(peerUid: number) {
    return this.state.contacts.find((c) => c.uid === peerUid)?.conversationId;
  }
  contacts() {
    return this.state.contacts;
  }
  async searchUsers(query: string): Promise<PublicUserView[]> {
    this.record('searchUsers', [query]);
    return [{ uid: 2, name: query, nickname: query, avatar: '' }];
  }
  async requestFriend(uid: number, note?: string) {
    this.record('requestFriend', [uid, note]);
  }
  async answerFriendRequest(requestId: number, accept: boolean) {
    this.record('answerFriendRequest', [requestId, accept]);
  }
  friendRequests() {
    return this.state.friendRequests;
  }
  connectionStatus() {
    return { state: 'online' as const };
  }
  currentUser() {
    return { ...ME };
  }
  user(uid: number) {
    return this.state.contacts.find((c) => c.uid === uid);
  }
  async avatarImage(avatar: string) {
    this.record('avatarImage', [avatar]);
    return avatar === 'file:7' ? { bytes: new Uint8Array([1, 2, 3]), mime: 'image/png' } : undefined;
  }
  async updateProfile(change: { nickname?: string; avatarFileId?: string | null }) {
    this.record('updateProfile', [change]);
    return { ...ME, nickname: change.nickname ?? ME.nickname };
  }
  groups() {
    return this.state.groups;
  }
  async createGroup(name: string, memberUids: number[]): Promise<GroupView> {
    this.record('createGroup', [name, memberUids]);
    return { groupId: 7, conversationId: 70, name, avatar: '', ownerUid: ME.uid, approvalRequired: false, memberCount: memberUids.length + 1, myRole: 'owner' };
  }
  async groupMembers(groupId: number): Promise<GroupMemberView[]> {
    this.record('groupMembers', [groupId]);
    return [{ ...ME, role: 'owner', joinedAt: 1 }];
  }
  async invite(groupId: number, uids: number[]) {
    this.record('invite', [groupId, uids]);
  }
  async removeMember(groupId: number, uid: number) {
    this.record('removeMember', [groupId, uid]);
  }
  async leaveGroup(groupId: number) {
    this.record('leaveGroup', [groupId]);
  }
  async renameGroup(groupId: number, name: string) {
    this.record('renameGroup', [groupId, name]);
  }

  /** Reads the whole source chunk by chunk, like the core's uploader; with resumeAt, starts over mid-file. */
  private async readAll(source: UploadSource): Promise<Uint8Array> {
    const out = new Uint8Array(source.size);
    const pass = async (from: number) => {
      for (let offset = from; offset < source.size; offset += this.chunkBytes) {
        const bytes = await source.read(offset, this.chunkBytes);
        out.set(bytes, offset);
      }
    };
    await pass(0);
    if (this.resumeAt !== undefined) await pass(this.resumeAt);
    return out;
  }

  private transferView(transferId: string, source: UploadSource, state: TransferView['state']): TransferView {
    return { transferId, direction: 'upload', name: source.name, bytesDone: state === 'done' ? source.size : 0, total: source.size, bytesPerSec: 0, state };
  }

  sendFile(conversationId: number, source: UploadSource, transferId?: string): string {
    this.record('sendFile', [conversationId, { name: source.name, mime: source.mime, size: source.size }, transferId]);
    const id = transferId ?? `t${this.nextTransfer++}`;
    const done = this.readAll(source);
    this.uploaded.set(id, done);
    done.then(
      () => this.emit('transfer', this.transferView(id, source, 'done')),
      (err: unknown) => this.emit('transfer', { ...this.transferView(id, source, 'failed'), error: (err as { code?: string }).code ?? 'INTERNAL' }),
    );
    return id;
  }
  async uploadFile(source: UploadSource): Promise<FileRef> {
    this.record('uploadFile', [{ name: source.name, mime: source.mime, size: source.size }]);
    const bytes = await this.readAll(source);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const fileId = String(this.files.size + 1);
    this.files.set(fileId, bytes);
    return { fileId, name: source.name, size: bytes.byteLength, sha256, mime: source.mime };
  }
  async download(file: FileRef, onTransfer?: (transferId: string) => void): Promise<Uint8Array> {
    this.record('download', [file]);
    onTransfer?.(`d${this.nextTransfer++}`);
    const bytes = this.files.get(file.fileId);
    if (!bytes) throw new CodedError('FILE_NOT_FOUND', 'No such file');
    return bytes;
  }
  pauseTransfer(transferId: string) {
    this.record('pauseTransfer', [transferId]);
  }
  resumeTransfer(transferId: string) {
    this.record('resumeTransfer', [transferId]);
  }
  /** Resolves when `closeGate` does (a hung close when it never does). */
  closeGate: Promise<void> = Promise.resolve();
  async close() {
    this.record('close', []);
    await this.closeGate;
  }
  cancelTransfer(transferId: string) {
    this.record('cancelTransfer', [transferId]);
  }
}
