/**
 * The client core (@parley/client) against a real cluster: accounts through the gate, chat between two
 * cores, reconnect through the gate after a chat server is killed, the outbox across a restart with the
 * same clientMsgId, an offline user catching up, and Kick.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import type { RowDataPacket } from 'mysql2/promise';
import { extractCode } from '@parley/common/testing';
import { ChatClient } from '@parley/protocol';
import { MemoryStore, ParleyClient, type ConnectionStatus, type FileRef, type MessageView, type TransferView, type UploadSource } from '@parley/client';
import { tcpTransport } from '@parley/client/node';
import { Cluster, REPO_ROOT } from '../src/cluster';
import { routeOf, waitFor } from './support/chat-fixtures';

let cluster: Cluster;
const PASSWORD = 'Client-core-pass-1';
let n = 0;

before(async () => {
  cluster = await Cluster.start({
    chatServers: 3,
    fileServers: 1,
    kinds: ['verify', 'status', 'gate', 'chat', 'file'],
    sections: { cluster: { log_level: 'info' }, verify: { resend_interval_sec: 0, hourly_limit_per_ip: 100000 } },
  });
});

after(async () => {
  await cluster?.stop();
});

function core(store = new MemoryStore()): ParleyClient {
  return new ParleyClient({ gateUrl: cluster.gateUrl, store, transport: tcpTransport, backoff: { baseMs: 100, capMs: 1000 }, requestTimeoutMs: 5000 });
}

/** Registers through the gate with the mailed code, then logs in. */
async function signUp(client: ParleyClient, tag: string): Promise<{ uid: number; name: string }> {
  n++;
  const name = `${tag}${process.pid % 10000}x${n}`;
  const email = `${name}@mail.example.test`;
  const since = cluster.smtp.messages.length;
  await client.sendCode(email, 'register');
  const code = extractCode((await cluster.smtp.waitForMail(email, 10000, since)).raw);
  assert.ok(code);
  await client.register({ email, code, name, password: PASSWORD });
  const me = await client.login(name, PASSWORD);
  assert.equal(me.name, name);
  return { uid: me.uid, name };
}

async function stored(conversationId: number): Promise<{ seq: number; client_msg_id: string; body: string }[]> {
  const [rows] = await cluster.env.pool.query<RowDataPacket[]>('SELECT seq, client_msg_id, body FROM messages WHERE conversation_id = ? ORDER BY seq', [conversationId]);
  return rows as { seq: number; client_msg_id: string; body: string }[];
}

async function bodies(client: ParleyClient, conversationId: number): Promise<string[]> {
  return (await client.history(conversationId, undefined, 100)).messages.filter((m) => m.seq !== undefined).map((m) => m.body);
}

let alice: ParleyClient;
let bob: ParleyClient;
const aliceStore = new MemoryStore();
const bobStore = new MemoryStore();
let a: { uid: number; name: string };
let b: { uid: number; name: string };
let conv = 0;

test('sign up and log in through the gate, become friends, chat both ways', async () => {
  alice = core(aliceStore);
  bob = core(bobStore);
  a = await signUp(alice, 'ca');
  b = await signUp(bob, 'cb');
  await alice.requestFriend(b.uid, 'hi');
  await waitFor(() => bob.friendRequests().find((r) => r.incoming && r.from.uid === a.uid), 5000, 'the friend request push');
  const request = bob.friendRequests().find((r) => r.incoming) as { requestId: number };
  await bob.answerFriendRequest(request.requestId, true);
  conv = await waitFor(() => alice.directConversation(b.uid), 5000, 'the friendship at alice');
  assert.equal(bob.directConversation(a.uid), conv);
  assert.equal(bob.contacts()[0]?.online, true, 'alice is online');

  const incoming: MessageView[] = [];
  bob.on('incoming', (m) => incoming.push(m));
  const id = alice.sendText(conv, 'hello bob');
  await waitFor(() => incoming.find((m) => m.clientMsgId === id), 5000, 'bob receives');
  await waitFor(() => alice.pending(conv).length === 0, 5000, 'alice acked');
  const view = bob.conversations().find((c) => c.conversationId === conv);
  assert.equal(view?.title, a.name);
  assert.equal(view?.unread, 1);
  assert.equal(view?.lastMessage?.body, 'hello bob');
  bob.markRead(conv);
  assert.equal(bob.conversations().find((c) => c.conversationId === conv)?.unread, 0);
  bob.sendText(conv, 'hello alice');
  await waitFor(() => alice.syncedSeq(conv) === 2, 5000, 'alice has seq 2');
  assert.deepEqual(await bodies(alice, conv), ['hello bob', 'hello alice']);
  assert.equal(alice.conversations().find((c) => c.conversationId === conv)?.unread, 1);
  assert.deepEqual((await stored(conv)).map((r) => r.body), ['hello bob', 'hello alice']);
});

test('kill alice\'s chat server: she reconnects through the gate to the survivor and sync fills the gap', async () => {
  const states: ConnectionStatus['state'][] = [];
  alice.on('connection', (s) => states.push(s.state));
  const server = (await routeOf(cluster, a.uid)).server;
  assert.ok(server, 'alice has a route');
  await cluster.stopProcess(server, 'SIGKILL');
  // Bob writes while alice is away (queued in his outbox if his server was the same one).
  for (let i = 1; i <= 3; i++) bob.sendText(conv, `while away ${i}`);
  await waitFor(() => alice.syncedSeq(conv) === 5, 20000, 'alice catches up to seq 5');
  assert.ok(states.includes('reconnecting'));
  assert.equal(alice.connectionStatus().state, 'online');
  assert.deepEqual(await bodies(alice, conv), ['hello bob', 'hello alice', 'while away 1', 'while away 2', 'while away 3']);
  assert.deepEqual((await stored(conv)).map((r) => r.seq), [1, 2, 3, 4, 5]);
  const now = (await routeOf(cluster, a.uid)).server;
  assert.ok(now && now !== server, `alice moved from ${server} to ${now}`);
});

test('a draining chat server (SIGTERM → Reconnect push) sends her back through the gate at once', async () => {
  const server = (await routeOf(cluster, a.uid)).server;
  assert.ok(server);
  const states: ConnectionStatus[] = [];
  const off = alice.on('connection', (s) => states.push(s));
  const before = alice.syncedSeq(conv);
  const stopping = cluster.stopProcess(server, 'SIGTERM');
  await waitFor(() => states.some((s) => s.state === 'online') || undefined, 10000, 'alice online again');
  await stopping;
  off();
  const reconnecting = states.find((s) => s.state === 'reconnecting');
  assert.equal(reconnecting?.reason, 'server_shutdown', 'the Reconnect push, not a lost connection');
  const now = (await routeOf(cluster, a.uid)).server;
  assert.ok(now && now !== server, `alice moved from ${server} to ${now}`);
  bob.sendText(conv, 'after drain');
  await waitFor(() => alice.syncedSeq(conv) === before + 1, 10000, 'the next message reaches alice');
});

test('an unacked message survives an app restart and is stored exactly once with its clientMsgId', async () => {
  await alice.close();
  // A restart: a new core on the same store queues a message and quits before it is online.
  const restarted = core(aliceStore);
  assert.equal(await restarted.resume(), true);
  const id = restarted.sendText(conv, 'after restart');
  await restarted.close();
  await new Promise((r) => setTimeout(r, 50));
  // Simulate the lost ack: the server got that very message already (same clientMsgId) from an earlier try.
  const pending = (await aliceStore.loadOutbox()).find((e) => e.clientMsgId === id);
  assert.equal(pending?.state, 'sending', 'the message waits in the stored outbox');
  {
    const direct = new ChatClient({ defaultTimeoutMs: 5000 });
    const session = await aliceStore.loadSession();
    const answer = await (await fetch(`${cluster.gateUrl}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${session?.uid}.${session?.token}` }, body: '{}' })).json() as { host: string; tcpPort: number; token: string };
    await aliceStore.saveSession({ ...(session as NonNullable<typeof session>), token: answer.token });
    await direct.connect(answer.host, answer.tcpPort);
    await direct.login(a.uid, answer.token);
    await direct.sendMessage({ conversationId: conv }, 'after restart', { clientMsgId: id });
    await direct.close();
  }
  alice = core(aliceStore);
  assert.equal(await alice.resume(), true);
  await alice.whenOnline();
  await waitFor(() => alice.pending(conv).length === 0, 10000, 'the outbox drained');
  const rows = (await stored(conv)).filter((r) => r.client_msg_id === id);
  assert.equal(rows.length, 1, 'stored exactly once');
  await waitFor(() => alice.syncedSeq(conv) === rows[0]?.seq, 5000, 'alice holds it');
  assert.equal((await bodies(alice, conv)).filter((x) => x === 'after restart').length, 1);
});

test('an offline user comes back (new core, same store) and finds the messages sent meanwhile', async () => {
  await bob.close();
  for (let i = 1; i <= 3; i++) alice.sendText(conv, `offline ${i}`);
  await waitFor(() => alice.pending(conv).length === 0, 10000, 'acked');
  const maxSeq = Math.max(...(await stored(conv)).map((r) => r.seq));
  bob = core(bobStore);
  assert.equal(await bob.resume(), true);
  await waitFor(() => bob.syncedSeq(conv) === maxSeq, 10000, 'bob synced');
  const got = await bodies(bob, conv);
  assert.deepEqual(got.slice(-3), ['offline 1', 'offline 2', 'offline 3']);
  assert.equal(new Set(got).size, got.length, 'no duplicates');
});

function bufferSource(name: string, mime: string, bytes: Buffer): UploadSource {
  return { name, mime, size: bytes.length, read: (offset, length) => Promise.resolve(bytes.subarray(offset, offset + length)) };
}

/** Pauses the transfer at its first progress, checks it stays put, then resumes it. */
function pauseOnce(client: ParleyClient, seen: TransferView[]): void {
  let paused = false;
  client.on('transfer', (view) => {
    seen.push(view);
    if (!paused && view.state === 'running' && view.bytesDone > 0 && view.bytesDone < view.total) {
      paused = true;
      client.pauseTransfer(view.transferId);
      setTimeout(() => client.resumeTransfer(view.transferId), 200);
    }
  });
}

test('a file is sent with progress and pause/resume, arrives as a file message and downloads intact', async () => {
  const bytes = randomBytes(6 * 1024 * 1024 + 123);
  const upSeen: TransferView[] = [];
  pauseOnce(alice, upSeen);
  const incoming: MessageView[] = [];
  bob.on('incoming', (m) => incoming.push(m));
  const transferId = alice.sendFile(conv, bufferSource('data.bin', 'application/octet-stream', bytes));
  assert.ok(transferId);
  const message = await waitFor(() => incoming.find((m) => m.type === 'file'), 20000, 'the file message at bob');
  const ref = JSON.parse(message.body) as FileRef & { fileId: number };
  assert.equal(ref.size, bytes.length);
  assert.ok(upSeen.some((v) => v.state === 'paused'), 'the upload was paused');
  assert.equal(upSeen.at(-1)?.state, 'done');
  assert.equal(upSeen.at(-1)?.bytesDone, bytes.length);

  const downSeen: TransferView[] = [];
  pauseOnce(bob, downSeen);
  const got = await bob.download({ ...ref, fileId: String(ref.fileId) });
  assert.ok(Buffer.from(got).equals(bytes), 'downloaded bytes are the uploaded ones');
  const downloads = downSeen.filter((v) => v.direction === 'download');
  assert.ok(downloads.some((v) => v.state === 'paused'), 'the download was paused');
  assert.equal(downloads.at(-1)?.state, 'done');
  // A wrong sha256 is refused rather than handed to the UI.
  await assert.rejects(bob.download({ ...ref, fileId: String(ref.fileId), sha256: '0'.repeat(64) }), (err: unknown) => {
    // Plain ApiError data, not a class instance (the contract's rejections cross the desktop bridge as is).
    assert.equal(err instanceof Error, false);
    assert.equal((err as { code?: string }).code, 'SHA256_MISMATCH');
    return true;
  });
});

test('a second login elsewhere kicks the first core: it stops with the reason and does not reconnect', async () => {
  const other = core();
  await other.login(b.name, PASSWORD);
  await waitFor(() => bob.connectionStatus().state === 'stopped' || undefined, 5000, 'bob stopped');
  assert.equal(bob.connectionStatus().reason, 'logged_in_elsewhere');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(bob.connectionStatus().state, 'stopped');
  await other.close();
  await alice.close();
});

test('the parley CLI: log in, list, send, send a file and get it back (session in a JSON file)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-cli-'));
  try {
    const cli = (...args: string[]) =>
      promisify(execFile)(process.execPath, [join(REPO_ROOT, 'client', 'dist', 'src', 'node', 'cli.js'), '--gate', cluster.gateUrl, '--store', join(dir, 'store.json'), ...args], {
        env: { ...process.env, PARLEY_PASSWORD: PASSWORD },
        timeout: 20000,
      });
    assert.match((await cli('login', a.name)).stdout, new RegExp(`logged in as ${a.name} \\(uid ${a.uid}\\)`));
    assert.ok(!readFileSync(join(dir, 'store.json'), 'utf8').includes(PASSWORD), 'no password in the store');
    assert.match((await cli('conversations')).stdout, new RegExp(`^${conv}\\tdirect\\t`, 'm'));
    const sent = (await cli('send', String(conv), 'from', 'the', 'cli')).stdout;
    const seq = Number(/seq (\d+)/.exec(sent)?.[1]);
    assert.deepEqual((await stored(conv)).find((r) => r.seq === seq)?.body, 'from the cli');

    const bytes = randomBytes(700 * 1024);
    writeFileSync(join(dir, 'in.bin'), bytes);
    const fileSent = await cli('send-file', String(conv), join(dir, 'in.bin'));
    assert.match(fileSent.stderr, /upload in\.bin \[#+\] 100%/);
    const fileSeq = Number(/seq (\d+)/.exec(fileSent.stdout)?.[1]);
    const got = await cli('get-file', String(conv), String(fileSeq), join(dir, 'out.bin'));
    assert.match(got.stdout, /sha256 checked/);
    assert.ok(readFileSync(join(dir, 'out.bin')).equals(bytes));
    await assert.rejects(cli('get-file', String(conv), String(seq)), /is not a file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
