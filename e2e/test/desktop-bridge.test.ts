/**
 * The desktop app's bridge around the REAL client core, against a real cluster: the renderer's
 * `window.parley` (createPreloadApi) ↔ the IPC stand-in ↔ the main-process router and event forwarder
 * ↔ the ParleyClient that createParleyClient makes (TCP, JSON-file store) ↔ gate, chat server. The
 * other user is a plain core. Only Electron's IPC is stood in for (structured clone, async delivery).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { MessageView, ParleyClient } from '@parley/client';
import { APP_PAGE } from '@parley/desktop/dist/test/support/ipc-pair';
import { connectBridge, type BridgeHarness } from '@parley/desktop/dist/test/support/bridge-harness';
import { Cluster } from '../src/cluster';
import { waitFor } from './support/chat-fixtures';
import { befriend, collect, desktopCore, plainCore, signUp, storedMessages, type Account } from './support/desktop-fixtures';

let cluster: Cluster;
let dataDir: string;
let core: ParleyClient;
let bridge: BridgeHarness;
let bob: ParleyClient;
let a: Account;
let b: Account;
let conv = 0;
const bobIncoming: MessageView[] = [];

before(async () => {
  cluster = await Cluster.start({
    chatServers: 1,
    kinds: ['verify', 'status', 'gate', 'chat'],
    sections: { cluster: { log_level: 'info' }, verify: { resend_interval_sec: 0, hourly_limit_per_ip: 100000 } },
  });
  dataDir = mkdtempSync(join(tmpdir(), 'parley-desktop-userdata-'));
  core = await desktopCore(cluster, dataDir);
  bridge = connectBridge(core);
  await bridge.ready;
  bob = plainCore(cluster);
  bob.on('incoming', (m) => bobIncoming.push(m));
});

after(async () => {
  bridge?.close();
  await core?.close();
  await bob?.close();
  await cluster?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('register and log in through the bridge; connection and me events fill the renderer\'s cache', async () => {
  const api = bridge.api;
  const states = collect(api, 'connection');
  const mes = collect(api, 'me');
  a = await signUp(cluster, api, 'da');
  assert.ok(a.uid > 0);
  await waitFor(() => states.some((s) => s.state === 'online') || undefined, 5000, 'online in the renderer');
  assert.equal(core.connectionStatus().state, 'online', 'the core in main is online');
  await waitFor(() => mes.at(-1)?.uid === a.uid || undefined, 5000, 'me in the renderer');
  assert.equal(mes.at(-1)?.name, a.name);
  // A view mounted now is handed the cached state at once, without asking main.
  const late = collect(api, 'connection');
  await waitFor(() => late[0], 1000, 'the replayed connection state');
  assert.equal(late[0]?.state, 'online');
  b = await signUp(cluster, bob, 'db');
});

test('errors cross as a plain { code, message }: the gate\'s and the chat server\'s codes unchanged', async () => {
  const api = bridge.api;
  await assert.rejects(api.login(a.name, 'Wrong-password-1'), (err: unknown) => {
    assert.ok(!(err instanceof Error), 'a plain object, as contextBridge would carry it');
    assert.deepEqual(Object.keys(err as object).sort(), ['code', 'message']);
    assert.equal((err as { code: string }).code, 'INVALID_CREDENTIALS');
    assert.ok((err as { message: string }).message.length > 0);
    return true;
  });
  assert.equal(core.connectionStatus().state, 'online', 'a refused login leaves the session alone');
  // A chat-server error: the code the plain core gets for the same call is the one the renderer gets.
  const direct = await bob.groupMembers(987654).then(() => undefined, (err: { code?: string }) => err.code);
  assert.ok(direct && direct !== 'INTERNAL', `the core's own code (${direct})`);
  await assert.rejects(api.groupMembers(987654), (err: unknown) => {
    assert.deepEqual(Object.keys(err as object).sort(), ['code', 'message']);
    assert.equal((err as { code: string }).code, direct);
    return true;
  });
  // Refused by the router's schema before the core: nothing reaches the gate.
  await assert.rejects(api.login(a.name, 'x'.repeat(2000)), { code: 'BRIDGE_BAD_ARGUMENT' });
});

test('befriending: the request, the contact and its conversation id reach the renderer\'s getters', async () => {
  const api = bridge.api;
  const requests = collect(api, 'friendRequests');
  conv = await befriend(api, a.uid, bob, b.uid);
  assert.ok(requests.flat().some((r) => !r.incoming && r.to.uid === b.uid), 'the outgoing request was shown');
  const contact = await waitFor(() => api.contacts().find((c) => c.uid === b.uid && c.online), 5000, 'bob online in the contacts');
  assert.equal(contact.conversationId, conv);
  assert.equal(contact.name, b.name);
  assert.equal(api.directConversation(b.uid), core.directConversation(b.uid), 'the getter answers what the core knows');
  // The core lists a conversation once it has a message (next test); until then the UI shows the contact.
});

test('a message typed in the renderer reaches the other user; the reply shows in the renderer\'s events and getters', async () => {
  const api = bridge.api;
  const messages = collect(api, 'messages');
  const incoming = collect(api, 'incoming');
  const returned = api.sendText(conv, 'hello from the desktop');
  assert.ok(typeof returned === 'string' && returned.length > 0, 'sendText answers at once with an id');

  const atBob = await waitFor(() => bobIncoming.find((m) => m.body === 'hello from the desktop'), 10000, 'bob receives');
  assert.equal(atBob.senderUid, a.uid);
  const mine = await waitFor(
    () => messages.flatMap((e) => e.messages).find((m) => m.body === 'hello from the desktop' && m.delivery === 'sent'),
    10000,
    'the renderer sees its message acked',
  );
  assert.equal(mine.clientMsgId, atBob.clientMsgId, 'one clientMsgId end to end');
  assert.equal(mine.seq, atBob.seq);
  const listed = await waitFor(() => api.conversations().find((c) => c.conversationId === conv), 5000, 'the conversation in the renderer\'s list');
  assert.equal(listed.kind, 'direct');
  assert.equal(listed.peerUid, b.uid);
  assert.equal(listed.title, b.name, 'titled with the peer\'s nickname (the name unless set)');
  const rows = await storedMessages(cluster, conv);
  assert.deepEqual(rows.map((r) => [r.body, r.sender_uid, r.client_msg_id]), [['hello from the desktop', a.uid, atBob.clientMsgId]]);

  bob.sendText(conv, 'hello from the core');
  const reply = await waitFor(() => incoming.find((m) => m.body === 'hello from the core'), 10000, 'the reply in the renderer');
  assert.equal(reply.senderUid, b.uid);
  assert.equal(reply.conversationId, conv);
  const view = await waitFor(
    () => api.conversations().find((c) => c.conversationId === conv && c.lastMessage?.body === 'hello from the core'),
    5000,
    'the conversation list follows',
  );
  assert.equal(view.unread, 1);
  assert.deepEqual((await api.history(conv)).messages.map((m) => m.body), ['hello from the desktop', 'hello from the core']);
  api.markRead(conv);
  await waitFor(() => api.conversations().find((c) => c.conversationId === conv && c.unread === 0), 5000, 'read in the renderer');
  assert.equal(core.conversations().find((c) => c.conversationId === conv)?.unread, 0, 'and in the core');
});

test('the router refuses a foreign sender before the core: a page elsewhere can neither log out nor send', async () => {
  const api = bridge.api;
  const errors = collect(api, 'error');
  bridge.pair.frame.url = 'https://evil.example/';
  try {
    await assert.rejects(api.logout(), { code: 'BRIDGE_FORBIDDEN_SENDER' });
    api.sendText(conv, 'from a foreign page');
    await waitFor(() => errors.find((e) => e.code === 'BRIDGE_FORBIDDEN_SENDER'), 5000, 'the refusal as an error event');
    // The app's own page inside an iframe is no better.
    bridge.pair.frame.url = APP_PAGE;
    bridge.pair.frame.parent = {};
    await assert.rejects(api.searchUsers(b.name), { code: 'BRIDGE_FORBIDDEN_SENDER' });
  } finally {
    bridge.pair.frame.url = APP_PAGE;
    bridge.pair.frame.parent = null;
  }
  assert.equal(core.connectionStatus().state, 'online', 'still logged in');
  api.sendText(conv, 'after the foreign attempt');
  await waitFor(() => bobIncoming.find((m) => m.body === 'after the foreign attempt'), 10000, 'the next real message');
  // Messages go out in order: had the foreign one been accepted, it would be stored before this one.
  assert.deepEqual((await storedMessages(cluster, conv)).map((r) => r.body), ['hello from the desktop', 'hello from the core', 'after the foreign attempt']);
  assert.ok(!bobIncoming.some((m) => m.body === 'from a foreign page'));
});
