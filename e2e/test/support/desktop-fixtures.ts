/**
 * What the desktop-app tests share: the desktop core made by the real factory (createParleyClient, as
 * Electron's main process makes it), a plain core for the other user, sign-up through any ParleyApi
 * (the renderer's bridge or a core) with the mailed code, and a renderer-side upload source.
 */
import assert from 'node:assert/strict';
import type { RowDataPacket } from 'mysql2/promise';
import { extractCode } from '@parley/common/testing';
import { MemoryStore, ParleyClient, type ParleyApi, type ParleyEvents, type UploadSource } from '@parley/client';
import { createParleyClient, tcpTransport } from '@parley/client/node';
import type { Cluster } from '../../src/cluster';
import { waitFor } from './chat-fixtures';

export const PASSWORD = 'Desktop-bridge-pass-1';
/** Quick reconnects: the default backoff grows to 30 s, longer than a test wants to wait. */
const BACKOFF = { baseMs: 100, capMs: 1000 };

let n = 0;

export interface Account {
  uid: number;
  name: string;
}

/** The desktop app's core: what electron-main gets from `createParleyClient` with userData as dataDir. */
export function desktopCore(cluster: Cluster, dataDir: string): Promise<ParleyClient> {
  return createParleyClient({ gateUrl: cluster.gateUrl, dataDir, transport: 'tcp', backoff: BACKOFF, requestTimeoutMs: 5000 });
}

/** The other user: a plain core in memory, as the CLI or a test would run it. */
export function plainCore(cluster: Cluster): ParleyClient {
  return new ParleyClient({ gateUrl: cluster.gateUrl, store: new MemoryStore(), transport: tcpTransport, backoff: BACKOFF, requestTimeoutMs: 5000 });
}

/** Registers through `api` (the bridge or a core) with the code from the SMTP sink, then logs in. */
export async function signUp(cluster: Cluster, api: Pick<ParleyApi, 'sendCode' | 'register' | 'login'>, tag: string): Promise<Account> {
  n++;
  const name = `${tag}${process.pid % 10000}x${n}`;
  const email = `${name}@mail.example.test`;
  const since = cluster.smtp.messages.length;
  await api.sendCode(email, 'register');
  const code = extractCode((await cluster.smtp.waitForMail(email, 10000, since)).raw);
  assert.ok(code, 'a code in the mail');
  await api.register({ email, code, name, password: PASSWORD });
  const me = await api.login(name, PASSWORD);
  assert.equal(me.name, name);
  return { uid: me.uid, name };
}

/** `from` asks, the core `to` accepts; resolves with the direct conversation as `from` sees it. */
export async function befriend(from: ParleyApi, fromUid: number, to: ParleyClient, toUid: number): Promise<number> {
  await from.requestFriend(toUid, 'hello');
  await waitFor(() => to.friendRequests().find((r) => r.incoming && r.from.uid === fromUid && r.status === 'pending'), 5000, 'the friend request push');
  const request = to.friendRequests().find((r) => r.incoming && r.from.uid === fromUid);
  await to.answerFriendRequest(request!.requestId, true);
  const conversationId = await waitFor(() => from.directConversation(toUid), 5000, 'the direct conversation');
  assert.equal(to.directConversation(fromUid), conversationId);
  return conversationId;
}

export function collect<K extends keyof ParleyEvents>(api: Pick<ParleyApi, 'on'>, event: K): ParleyEvents[K][] {
  const seen: ParleyEvents[K][] = [];
  api.on(event, (value) => seen.push(value));
  return seen;
}

/** Bytes held by the page (a File in the real renderer); records each read main asks for. */
export function rendererSource(bytes: Uint8Array, name: string, mime: string): UploadSource & { reads: { offset: number; length: number }[] } {
  const reads: { offset: number; length: number }[] = [];
  return {
    name,
    mime,
    size: bytes.byteLength,
    reads,
    read(offset, length) {
      reads.push({ offset, length });
      return Promise.resolve(bytes.slice(offset, offset + length));
    },
  };
}

export interface StoredRow {
  seq: number;
  sender_uid: number;
  client_msg_id: string;
  body: string;
}

export async function storedMessages(cluster: Cluster, conversationId: number): Promise<StoredRow[]> {
  const [rows] = await cluster.env.pool.query<RowDataPacket[]>('SELECT seq, sender_uid, client_msg_id, body FROM messages WHERE conversation_id = ? ORDER BY seq', [conversationId]);
  return rows.map((r) => ({ seq: Number(r.seq), sender_uid: Number(r.sender_uid), client_msg_id: String(r.client_msg_id), body: String(r.body) }));
}
