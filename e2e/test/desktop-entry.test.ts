/**
 * The desktop app's real main-process entry (desktop-client/src/main/index.ts), loaded under Node with
 * a stand-in `electron` module (Electron's binary cannot be downloaded here): it must find the real
 * factory, take the gate URL from PARLEY_GATE_URL and keep the core's store in app.getPath('userData');
 * logging in through its IPC handlers reaches a real cluster, and quitting closes the core first.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { JsonFileStore, storeFilePath } from '@parley/client/node';
import { createIpcPair, type IpcPair } from '@parley/desktop/dist/test/support/ipc-pair';
import { createFakeElectron, installFakeElectron, type FakeElectron } from '@parley/desktop/dist/test/support/fake-electron';
import { createPreloadApi } from '@parley/desktop/dist/src/preload/preload-api';
import { Cluster } from '../src/cluster';
import { routeOf, waitFor } from './support/chat-fixtures';
import { signUp, type Account } from './support/desktop-fixtures';

const load = createRequire(__filename);
const ENTRY = '@parley/desktop/dist/src/main/index';

let cluster: Cluster;
let userData: string;
let pair: IpcPair;
let fake: FakeElectron;
let uninstall: () => void = () => undefined;
let a: Account;
const previousGate = process.env.PARLEY_GATE_URL;

before(async () => {
  cluster = await Cluster.start({
    chatServers: 1,
    kinds: ['verify', 'status', 'gate', 'chat'],
    sections: { cluster: { log_level: 'info' }, verify: { resend_interval_sec: 0, hourly_limit_per_ip: 100000 } },
  });
  // Electron makes userData on first use; the factory must cope with it missing.
  userData = join(mkdtempSync(join(tmpdir(), 'parley-desktop-')), 'Parley');
  pair = createIpcPair();
  fake = createFakeElectron(pair.ipcMain, pair.ipcRenderer);
  fake.paths.userData = userData;
  uninstall = installFakeElectron(fake);
  process.env.PARLEY_GATE_URL = cluster.gateUrl;
});

after(async () => {
  if (fake && !fake.log.includes('quit')) fake.appEvents.emit('will-quit', { preventDefault: () => undefined });
  uninstall();
  if (previousGate === undefined) delete process.env.PARLEY_GATE_URL;
  else process.env.PARLEY_GATE_URL = previousGate;
  await cluster?.stop();
  if (userData) rmSync(dirname(userData), { recursive: true, force: true });
});

test('the entry makes the real core on userData with the gate from PARLEY_GATE_URL; a login through its IPC reaches the cluster', async () => {
  delete load.cache[load.resolve(ENTRY)];
  load(ENTRY);
  fake.ready();
  await waitFor(() => fake.windows.length === 1 || undefined, 5000, 'the window, once the factory has resolved');
  assert.ok(!fake.log.some((l) => l.startsWith('errorBox') || l.startsWith('exit')), fake.log.join(', '));

  const { api } = createPreloadApi(pair.ipcRenderer);
  a = await signUp(cluster, api, 'en');
  const window = fake.windows[0]!;
  await waitFor(
    () => window.webContents.sent.some((s) => s.channel === 'parley:event:connection' && (s.payload as { value: { state: string } }).value.state === 'online') || undefined,
    5000,
    'the online event sent to the window',
  );

  const path = storeFilePath(userData);
  const session = await (await JsonFileStore.open(path)).loadSession();
  assert.equal(session?.uid, a.uid);
  assert.equal(session?.gateUrl, new URL(cluster.gateUrl).origin, 'the gate named by PARLEY_GATE_URL');
  if (process.platform !== 'win32') {
    assert.equal(statSync(userData).mode & 0o777, 0o700);
    assert.equal(statSync(path).mode & 0o777, 0o600);
  }
});

test('quitting holds will-quit until the core has closed, keeping the session for the next start', async () => {
  assert.equal((await routeOf(cluster, a.uid)).server, 'chat1', 'online before quitting');
  let prevented = false;
  fake.appEvents.emit('will-quit', { preventDefault: () => (prevented = true) });
  assert.equal(prevented, true);
  await waitFor(() => fake.log.includes('quit') || undefined, 10000, 'app.quit() after the core closed');
  // The session really ended: the chat server dropped the user's route when the connection closed.
  const until = Date.now() + 5000;
  while ((await routeOf(cluster, a.uid)).server !== undefined && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  assert.equal((await routeOf(cluster, a.uid)).server, undefined, 'the route is gone');
  const session = await (await JsonFileStore.open(storeFilePath(userData))).loadSession();
  assert.ok(session?.token, 'close() keeps the store: the next start resumes');
});
