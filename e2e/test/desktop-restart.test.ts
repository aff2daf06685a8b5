/**
 * Restart survival through the desktop path: the core made by createParleyClient on a data directory
 * (as Electron's userData), driven through the bridge, quits with unacked messages in its outbox; a
 * new core on the same directory resends them with the same clientMsgId and each is stored once —
 * including one whose ack was lost (the server already had it).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ChatClient } from '@parley/protocol';
import type { MessageView, ParleyClient } from '@parley/client';
import { JsonFileStore, storeFilePath } from '@parley/client/node';
import { connectBridge, type BridgeHarness } from '@parley/desktop/dist/test/support/bridge-harness';
import { Cluster } from '../src/cluster';
import { waitFor } from './support/chat-fixtures';
import { befriend, collect, desktopCore, plainCore, signUp, storedMessages, type Account } from './support/desktop-fixtures';

let cluster: Cluster;
let dataDir: string;
let bob: ParleyClient;
const opened: { core: ParleyClient; bridge: BridgeHarness }[] = [];

before(async () => {
  // One chat server: once it is killed the desktop core has nowhere to go and its outbox fills.
  cluster = await Cluster.start({
    chatServers: 1,
    kinds: ['verify', 'status', 'gate', 'chat'],
    sections: { cluster: { log_level: 'info' }, verify: { resend_interval_sec: 0, hourly_limit_per_ip: 100000 } },
  });
  dataDir = join(mkdtempSync(join(tmpdir(), 'parley-desktop-')), 'userData');
});

after(async () => {
  for (const { core, bridge } of opened) {
    bridge.close();
    await core.close();
  }
  await bob?.close();
  await cluster?.stop();
  if (dataDir) rmSync(join(dataDir, '..'), { recursive: true, force: true });
});

/** The desktop app starting: the factory on userData, the bridge, the renderer's preload. */
async function startApp(): Promise<{ core: ParleyClient; bridge: BridgeHarness }> {
  const core = await desktopCore(cluster, dataDir);
  const bridge = connectBridge(core);
  await bridge.ready;
  const app = { core, bridge };
  opened.push(app);
  return app;
}

/** The app quitting: the window goes, then main closes the core (electron-main's will-quit). */
async function quitApp(app: { core: ParleyClient; bridge: BridgeHarness }): Promise<void> {
  app.bridge.close();
  await app.core.close();
  opened.splice(opened.indexOf(app), 1);
}

test('quit with unacked messages; the next start on the same data directory resends them with the same clientMsgId, each stored once', async () => {
  const first = await startApp();
  const api = first.bridge.api;
  const a: Account = await signUp(cluster, api, 'ra');
  bob = plainCore(cluster);
  const bobIncoming: MessageView[] = [];
  bob.on('incoming', (m) => bobIncoming.push(m));
  const b: Account = await signUp(cluster, bob, 'rb');
  const conv = await befriend(api, a.uid, bob, b.uid);

  // The chat server dies; the renderer shows reconnecting while the user writes two messages.
  const states = collect(api, 'connection');
  const messages = collect(api, 'messages');
  await cluster.stopProcess('chat1', 'SIGKILL');
  await waitFor(() => states.some((s) => s.state === 'reconnecting') || undefined, 10000, 'reconnecting in the renderer');
  api.sendText(conv, 'its ack was lost');
  api.sendText(conv, 'never reached the server');
  await waitFor(
    () => ['its ack was lost', 'never reached the server'].every((body) => messages.flatMap((e) => e.messages).some((m) => m.body === body && m.delivery === 'sending')) || undefined,
    5000,
    'both shown as sending',
  );
  await quitApp(first);

  // On disk, in the user's private store: both waiting, each with the clientMsgId it will keep.
  const path = storeFilePath(dataDir);
  if (process.platform !== 'win32') {
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
    assert.equal(statSync(path).mode & 0o777, 0o600);
  }
  const disk = await JsonFileStore.open(path);
  const outbox = await disk.loadOutbox();
  assert.deepEqual(outbox.map((e) => [e.body, e.state]), [['its ack was lost', 'sending'], ['never reached the server', 'sending']]);
  const [lost, never] = outbox.map((e) => e.clientMsgId) as [string, string];

  // The server comes back. The first message did reach it before the quit — only its ack was lost
  // (played by sending it with the same clientMsgId and the saved token, as the core would have).
  await cluster.startProcess('chat', 'chat1');
  const session = await disk.loadSession();
  assert.ok(session && session.uid === a.uid);
  const direct = new ChatClient({ defaultTimeoutMs: 5000 });
  const endpoint = cluster.chatEndpoint('chat1');
  await direct.connect(endpoint.host, endpoint.tcpPort);
  await direct.login(session.uid, session.token);
  await direct.sendMessage({ conversationId: conv }, 'its ack was lost', { clientMsgId: lost });
  await direct.close();

  // The app starts again on the same directory and resumes the saved session.
  const second = await startApp();
  const api2 = second.bridge.api;
  const messages2 = collect(api2, 'messages');
  assert.equal(await api2.resume(), true, 'the saved session');
  await waitFor(() => api2.conversations().some((c) => c.conversationId === conv) || undefined, 10000, 'the stored conversation in the renderer');
  const sent = (id: string) => messages2.flatMap((e) => e.messages).find((m) => m.clientMsgId === id && m.delivery === 'sent');
  await waitFor(() => (sent(lost) && sent(never)) || undefined, 20000, 'both acked after the restart');
  assert.equal(second.core.pending(conv).length, 0, 'the outbox drained');

  const rows = await storedMessages(cluster, conv);
  assert.deepEqual(rows.filter((r) => r.client_msg_id === lost).map((r) => r.body), ['its ack was lost'], 'stored once, under its id');
  assert.deepEqual(rows.filter((r) => r.client_msg_id === never).map((r) => r.body), ['never reached the server'], 'resent with the id it was queued with');
  assert.deepEqual(rows.map((r) => r.body), ['its ack was lost', 'never reached the server'], 'nothing else stored');

  await waitFor(() => bobIncoming.some((m) => m.clientMsgId === never) || undefined, 20000, 'bob gets the resent message');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(bobIncoming.filter((m) => m.clientMsgId === lost).length, 1, 'bob sees the lost-ack message once');
  assert.equal(bobIncoming.filter((m) => m.clientMsgId === never).length, 1);
  const history = (await api2.history(conv)).messages.map((m) => m.body);
  assert.deepEqual(history, ['its ack was lost', 'never reached the server'], 'the renderer\'s history holds each once');

  await quitApp(second);
  assert.deepEqual(await (await JsonFileStore.open(path)).loadOutbox(), [], 'nothing left to resend on disk');
});
