import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ParleyApi } from '@parley/client';
import type * as ElectronMain from '../src/main/electron-main';
import { BRIDGE_METHODS, INVOKE_METHODS, invokeChannel } from '../src/shared/channels';
import { APP_INDEX_URL } from '../src/main/app-origin';
import { csp } from '../src/main/csp';
import { windowOptions } from '../src/main/window-options';
import { FakeCore } from './support/fake-core';
import { createFakeElectron, installFakeElectron, type FakeElectron, type FakeWebContents } from './support/fake-electron';
import { createIpcPair } from './support/ipc-pair';
import { settle } from './support/bridge-harness';

const ENTRY = '../src/main/electron-main';
const PRELOAD_ENTRY = '../src/preload/index';

// Each test loads the entry afresh, so it binds to the stand-in installed for that test.
const load = createRequire(__filename);
function loadFresh<T>(spec: string): T {
  delete load.cache[load.resolve(spec)];
  return load(spec) as T;
}

describe('Electron main wiring (with a stand-in electron module)', () => {
  let webDir: string;
  let fake: FakeElectron;
  let core: FakeCore;
  let uninstall: () => void;
  const errors: string[] = [];

  before(async () => {
    webDir = mkdtempSync(join(tmpdir(), 'parley-web-'));
    writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>Parley</title>');
    const pair = createIpcPair();
    fake = createFakeElectron(pair.ipcMain);
    uninstall = installFakeElectron(fake);
    core = new FakeCore();
    const { runDesktopMain } = loadFresh<typeof ElectronMain>(ENTRY);
    runDesktopMain({ webDir, preloadPath: '/app/preload.js', createCore: () => core, logError: (m) => errors.push(m) });
    assert.deepEqual(fake.windows, [], 'no window before ready');
    fake.ready();
    await settle();
  });

  after(() => {
    uninstall();
    rmSync(webDir, { recursive: true, force: true });
  });

  it('enables the sandbox, registers app:// as privileged and takes the single-instance lock before ready', () => {
    assert.deepEqual(fake.log.slice(0, 3), ['enableSandbox', 'registerSchemesAsPrivileged', 'requestSingleInstanceLock']);
    assert.deepEqual(fake.privileged, [{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
  });

  it('opens one window with the secure options and loads the app page', () => {
    assert.equal(fake.windows.length, 1);
    assert.deepEqual(fake.windows[0]!.options, windowOptions('/app/preload.js'));
    assert.deepEqual(fake.windows[0]!.loaded, [APP_INDEX_URL]);
  });

  it('registers the allow-listed IPC channels', () => {
    // The wiring handed ipcMain from the fake module to the router: every allow-listed channel answers.
    const ipcMain = fake.module.ipcMain as ReturnType<typeof createIpcPair>['ipcMain'];
    assert.deepEqual(ipcMain.channels().sort(), [...INVOKE_METHODS, ...BRIDGE_METHODS].map(invokeChannel).sort());
  });

  it('serves the web build over app:// with the CSP, and nothing outside it', async () => {
    const handler = fake.protocolHandlers.get('app')!;
    const page = await handler({ url: 'app://parley/' });
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-security-policy'), csp());
    assert.match(await page.text(), /<title>Parley<\/title>/);
    assert.equal((await handler({ url: 'app://parley/missing.js' })).status, 404);
    assert.equal((await handler({ url: 'app://parley/..%2fsecret.js' })).status, 400);
  });

  it('denies every permission but notifications for the app', () => {
    const answers: boolean[] = [];
    fake.permissionRequest!({}, 'media', (g) => answers.push(g), { requestingUrl: APP_INDEX_URL });
    fake.permissionRequest!({}, 'notifications', (g) => answers.push(g), { requestingUrl: APP_INDEX_URL });
    fake.permissionRequest!({}, 'notifications', (g) => answers.push(g), { requestingUrl: 'https://evil.example/' });
    assert.deepEqual(answers, [false, true, false]);
    assert.equal(fake.permissionCheck!({}, 'geolocation', 'app://parley'), false);
  });

  it('blocks navigation away from the app, sends http(s) to the OS browser, and never opens windows', async () => {
    const contents = fake.windows[0]!.webContents as FakeWebContents;
    const navigate = (url: string) => {
      let prevented = false;
      contents.emit('will-navigate', { url, preventDefault: () => (prevented = true) });
      return prevented;
    };
    assert.equal(navigate('app://parley/index.html'), false);
    assert.equal(navigate('https://example.com/a'), true);
    assert.equal(navigate('file:///etc/passwd'), true);
    assert.deepEqual(contents.windowOpenHandler!({ url: 'https://example.com/b' }), { action: 'deny' });
    assert.deepEqual(contents.windowOpenHandler!({ url: 'file:///x' }), { action: 'deny' });
    await settle();
    assert.deepEqual(fake.opened, ['https://example.com/a', 'https://example.com/b']);
  });

  it('shows the unread total in the title and badge, and notifies while unfocused', () => {
    const win = fake.windows[0]!;
    core.emit('conversations', [{ conversationId: 1, kind: 'direct', title: 'Bob', avatar: '', lastActivityMs: 1, unread: 3 }]);
    assert.equal(win.titles.at(-1), '(3) Parley');
    assert.equal(fake.badge.at(-1), 3);
    const message = { conversationId: 1, seq: 2, senderUid: 2, clientMsgId: 'c', type: 'text' as const, body: 'hi', timeMs: 1 };
    win.focused = true;
    core.emit('incoming', message);
    win.focused = false;
    core.emit('incoming', message);
    assert.deepEqual(fake.notifications, [{ title: 'Bob', body: 'hi' }]);
    let prevented = false;
    win.emit('page-title-updated', { preventDefault: () => (prevented = true) });
    assert.equal(prevented, true, "the page's <title> must not replace the unread title");
    assert.deepEqual(errors, []);
  });
  it('a closed window stops following the core; activate opens a new one that does', () => {
    const first = fake.windows[0]!;
    first.emit('closed');
    const titles = first.titles.length;
    core.emit('conversations', []);
    assert.equal(first.titles.length, titles);
    fake.appEvents.emit('activate');
    assert.equal(fake.windows.length, 2);
    core.emit('conversations', [{ conversationId: 1, kind: 'direct', title: 'Bob', avatar: '', lastActivityMs: 1, unread: 5 }]);
    assert.equal(fake.windows[1]!.titles.at(-1), '(5) Parley');
    assert.equal(first.titles.length, titles);
  });
});

describe('single-instance lock', () => {
  it('a second instance quits without making a window', async () => {
    const fake = createFakeElectron(createIpcPair().ipcMain);
    fake.lock = false;
    const uninstall = installFakeElectron(fake);
    try {
      const { runDesktopMain } = loadFresh<typeof ElectronMain>(ENTRY);
      runDesktopMain({ webDir: '/nowhere', preloadPath: '/p.js', createCore: () => new FakeCore(), logError: () => undefined });
      fake.ready();
      await settle();
      assert.ok(fake.log.includes('quit'));
      assert.equal(fake.windows.length, 0);
    } finally {
      uninstall();
    }
  });
});

describe('quitting and a core that cannot start', () => {
  function start(createCore: () => FakeCore | Promise<FakeCore>, extra: { closeTimeoutMs?: number } = {}) {
    const fake = createFakeElectron(createIpcPair().ipcMain);
    const uninstall = installFakeElectron(fake);
    const errors: string[] = [];
    const { runDesktopMain } = loadFresh<typeof ElectronMain>(ENTRY);
    runDesktopMain({ webDir: '/nowhere', preloadPath: '/p.js', createCore, logError: (m) => errors.push(m), ...extra });
    fake.ready();
    return { fake, uninstall, errors };
  }
  function willQuit(fake: FakeElectron): boolean {
    let prevented = false;
    fake.appEvents.emit('will-quit', { preventDefault: () => (prevented = true) });
    return prevented;
  }

  it('holds will-quit until the (asynchronously made) core has closed, then quits once', async () => {
    const core = new FakeCore();
    let release!: () => void;
    core.closeGate = new Promise((r) => (release = r));
    const { fake, uninstall } = start(async () => core);
    try {
      await settle();
      assert.equal(fake.windows.length, 1, 'the window opens once the factory resolved');
      assert.equal(willQuit(fake), true, 'the first will-quit waits for the core');
      assert.equal(willQuit(fake), true, 'so does one that comes while it closes');
      await settle();
      assert.deepEqual(core.calls.filter((c) => c.method === 'close').length, 1);
      assert.ok(!fake.log.includes('quit'), 'not before close() resolved');
      release();
      await settle();
      assert.ok(fake.log.includes('quit'));
      assert.equal(willQuit(fake), false, 'then quitting goes through');
    } finally {
      uninstall();
    }
  });

  it('a close that hangs delays quitting by closeTimeoutMs at most', async () => {
    const core = new FakeCore();
    core.closeGate = new Promise(() => undefined);
    const { fake, uninstall } = start(() => core, { closeTimeoutMs: 20 });
    try {
      await settle();
      assert.equal(willQuit(fake), true);
      await new Promise((r) => setTimeout(r, 60));
      assert.ok(fake.log.includes('quit'));
    } finally {
      uninstall();
    }
  });

  it('a factory that fails shows its coded sentence (never a stack) and exits', async () => {
    const { fake, uninstall, errors } = start(() => Promise.reject(Object.assign(new Error('@parley/client/node does not export createParleyClient()'), { code: 'DESKTOP_CORE_MISSING' })));
    try {
      await settle();
      assert.equal(fake.windows.length, 0);
      assert.ok(fake.log.includes('errorBox Parley could not start'));
      assert.ok(fake.log.includes('exit 1'));
      assert.deepEqual(errors, ['the desktop app failed to start']);
      assert.equal(willQuit(fake), false, 'no core: nothing to wait for');
    } finally {
      uninstall();
    }
  });
});

describe('preload entry (with a stand-in electron module)', () => {
  it('exposes window.parley and window.parleyHost, and nothing that reaches IPC directly', async () => {
    const pair = createIpcPair();
    const fake = createFakeElectron(pair.ipcMain, pair.ipcRenderer);
    const uninstall = installFakeElectron(fake);
    try {
      loadFresh(PRELOAD_ENTRY);
      assert.deepEqual([...fake.exposed.keys()].sort(), ['parley', 'parleyHost']);
      assert.deepEqual(fake.exposed.get('parleyHost'), { kind: 'desktop', notifies: true });
      const api = fake.exposed.get('parley') as ParleyApi & Record<string, unknown>;
      for (const key of ['invoke', 'send', 'ipcRenderer', 'sendSync', 'postMessage']) assert.equal(api[key], undefined, key);
      for (const method of ['on', 'login', 'conversations', 'sendText', 'sendFile', 'download']) assert.equal(typeof api[method], 'function', method);
      await settle();
    } finally {
      uninstall();
    }
  });
});
