import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BRIDGE_METHODS, INVOKE_METHODS, invokeChannel } from '../src/shared/channels';
import { createEventForwarder } from '../src/main/event-forwarder';
import { createIpcRouter } from '../src/main/ipc-router';
import { createUploadBridge } from '../src/main/upload-bridge';
import type { IpcInvokeEventLike } from '../src/main/ipc-types';
import type { Reply } from '../src/shared/wire';
import { CodedError, FakeCore } from './support/fake-core';
import { APP_PAGE, createIpcPair } from './support/ipc-pair';

function setup() {
  const core = new FakeCore();
  const pair = createIpcPair();
  const errors: unknown[] = [];
  const router = createIpcRouter(core, pair.ipcMain, {
    events: createEventForwarder(core, () => undefined),
    uploads: createUploadBridge(),
    logError: (_m, err) => errors.push(err),
  });
  const event = (url = APP_PAGE, parent: unknown = null): IpcInvokeEventLike => ({ senderFrame: { url, parent }, sender: pair.webContents });
  return { core, pair, router, event, errors };
}

function errorCode(reply: Reply): string | undefined {
  return reply.ok ? undefined : reply.error.code;
}

const FILE = { fileId: '1', name: 'a.txt', size: 3, sha256: 'a'.repeat(64), mime: 'text/plain' };
const UPLOAD = { uploadId: 'u1', name: 'a.txt', mime: 'text/plain', size: 3 };

describe('IPC router', () => {
  it('registers exactly the allow-listed channels, one per method', () => {
    const { pair } = setup();
    assert.deepEqual(pair.ipcMain.channels().sort(), [...INVOKE_METHODS, ...BRIDGE_METHODS].map(invokeChannel).sort());
  });

  it('answers a channel off the allow-list with BRIDGE_UNKNOWN_CHANNEL, and the stand-in has no handler for it', async () => {
    const { router, event, pair, core } = setup();
    for (const channel of ['parley:eval', 'parley:conversations', 'parley:on', 'shell:openExternal', '', 'parley:__proto__', 'parley:constructor']) {
      assert.equal(errorCode(await router.dispatch(channel, event(), [])), 'BRIDGE_UNKNOWN_CHANNEL', channel);
    }
    await assert.rejects(pair.ipcRenderer.invoke('parley:eval', 'x'), /No handler registered/);
    assert.equal(core.calls.length, 0);
  });

  it('refuses requests from frames that are not the app page, before looking at anything else', async () => {
    const { router, event, core, pair } = setup();
    const foreign: IpcInvokeEventLike[] = [
      event('https://evil.example/index.html'),
      event('file:///etc/passwd'),
      event('app://other/index.html'),
      event('app://user:pw@parley/index.html'),
      event('about:blank'),
      event('not a url'),
      event(APP_PAGE, { url: APP_PAGE }), // an iframe, even of our own origin
      { senderFrame: null, sender: pair.webContents },
    ];
    for (const e of foreign) {
      assert.equal(errorCode(await router.dispatch(invokeChannel('login'), e, ['alice', 'pw'])), 'BRIDGE_FORBIDDEN_SENDER', e.senderFrame?.url ?? 'null frame');
      assert.equal(errorCode(await router.dispatch('parley:nope', e, [])), 'BRIDGE_FORBIDDEN_SENDER');
    }
    pair.frame.url = 'https://evil.example/';
    const reply = (await pair.ipcRenderer.invoke(invokeChannel('logout'))) as Reply;
    assert.equal(errorCode(reply), 'BRIDGE_FORBIDDEN_SENDER');
    assert.equal(core.calls.length, 0);
  });

  const bad: [string, unknown[]][] = [
    ['login', ['alice']],
    ['login', ['alice', 'pw', 'extra']],
    ['login', [1, 'pw']],
    ['login', ['', 'pw']],
    ['login', ['a'.repeat(255), 'pw']],
    ['sendCode', ['a@b.c', 'admin']],
    ['register', [{ email: 'a@b.c', code: '123456', name: 'al', password: 'pw', admin: true }]],
    ['register', [{ email: 'a@b.c', code: '123456', name: 'al' }]],
    ['register', ['a@b.c']],
    ['history', ['1']],
    ['history', [1, 0]],
    ['history', [1, undefined, 101]],
    ['history', [1.5]],
    ['history', [-1]],
    ['history', [Number.MAX_SAFE_INTEGER + 1]],
    ['sendText', [1, '', 'id1']],
    ['sendText', [1, 'x'.repeat(16 * 1024 + 1), 'id1']],
    ['sendText', [1, '€'.repeat(6000), 'id1']], // 6 000 UTF-16 units, 18 000 UTF-8 bytes
    ['sendText', [1, 'hi', 'x'.repeat(65)]],
    ['sendText', [1, 'hi', 'bad id with spaces']],
    ['sendText', [1, 'hi']],
    ['sendText', [{ valueOf: 1 }, 'hi', 'id']],
    ['markRead', [true]],
    ['searchUsers', ['x'.repeat(65)]],
    ['searchUsers', ['']],
    ['requestFriend', [2, 'n'.repeat(201)]],
    ['answerFriendRequest', [3, 'yes']],
    ['updateProfile', [{ nickname: '' }]],
    ['updateProfile', [{ nickname: 'x', uid: 9 }]],
    ['createGroup', ['g'.repeat(65), [2]]],
    ['createGroup', ['team', Array.from({ length: 501 }, (_, i) => i + 2)]],
    ['createGroup', ['team', [2, '3']]],
    ['invite', [1, 'all']],
    ['renameGroup', [1, '']],
    ['sendFile', [1, { ...UPLOAD, size: -1 }]],
    ['sendFile', [1, { ...UPLOAD, name: 'n'.repeat(256) }]],
    ['sendFile', [1, { ...UPLOAD, uploadId: '../x' }]],
    ['sendFile', [1, { ...UPLOAD, path: '/etc/passwd' }]],
    ['uploadFile', [{ ...UPLOAD, size: 1.5 }]],
    ['download', [{ ...FILE, sha256: 'zz' }, 'tag']],
    ['download', [FILE]],
    ['pauseTransfer', ['t'.repeat(129)]],
    ['cancelTransfer', [7]],
    ['uploadData', [1, new Uint8Array(4 * 1024 * 1024 + 1)]],
    ['uploadData', [1, 'bytes']],
    ['uploadData', [0, new Uint8Array(1)]],
    ['snapshot', [1]],
  ];
  for (const [method, args] of bad) {
    it(`rejects ${method} with bad arguments: ${JSON.stringify(args, (_k, v: unknown) => (typeof v === 'string' && v.length > 20 ? `${v.slice(0, 8)}…(${v.length})` : v instanceof Uint8Array ? `bytes(${v.byteLength})` : v)).slice(0, 80)}`, async () => {
      const { router, event, core } = setup();
      const reply = await router.dispatch(invokeChannel(method as 'login'), event(), args);
      assert.equal(errorCode(reply), 'BRIDGE_BAD_ARGUMENT');
      assert.equal(core.calls.length, 0);
    });
  }

  it('passes valid arguments through to the core, as typed values', async () => {
    const { router, event, core } = setup();
    assert.deepEqual(await router.dispatch(invokeChannel('login'), event(), ['alice', 'secret']), { ok: true, value: { uid: 1, name: 'alice', nickname: 'Alice', avatar: '' } });
    assert.deepEqual(await router.dispatch(invokeChannel('history'), event(), [5, undefined, 20]), { ok: true, value: { messages: [], hasMore: false } });
    assert.deepEqual(await router.dispatch(invokeChannel('sendText'), event(), [5, '€'.repeat(5000), 'm-1']), { ok: true, value: 'm-1' });
    assert.deepEqual(await router.dispatch(invokeChannel('updateProfile'), event(), [{ avatarFileId: null }]), { ok: true, value: { uid: 1, name: 'alice', nickname: 'Alice', avatar: '' } });
    assert.deepEqual(
      core.calls.map((c) => [c.method, c.args]),
      [
        ['login', ['alice', 'secret']],
        ['history', [5, undefined, 20]],
        ['sendText', [5, '€'.repeat(5000), 'm-1']],
        ['updateProfile', [{ avatarFileId: null }]],
      ],
    );
  });

  it("passes a coded core error through as { code, message } and hides anything else behind INTERNAL", async () => {
    const { router, event, core, errors } = setup();
    core.failures.set('requestFriend', new CodedError('NOT_FRIENDS', 'You are not friends'));
    assert.deepEqual(await router.dispatch(invokeChannel('requestFriend'), event(), [2, undefined]), { ok: false, error: { code: 'NOT_FRIENDS', message: 'You are not friends' } });
    const secret = new Error('ECONNREFUSED 10.0.0.5:9000 at /opt/parley/secret.js:12');
    core.failures.set('searchUsers', secret);
    const reply = await router.dispatch(invokeChannel('searchUsers'), event(), ['bob']);
    assert.equal(errorCode(reply), 'INTERNAL');
    assert.ok(!reply.ok && !reply.error.message.includes('10.0.0.5') && !reply.error.message.includes('secret.js'));
    assert.deepEqual(errors, [secret]);
    core.failures.set('logout', 'a string, not an error');
    assert.equal(errorCode(await router.dispatch(invokeChannel('logout'), event(), [])), 'INTERNAL');
  });

  it('dispose removes every handler', () => {
    const { router, pair } = setup();
    router.dispose();
    assert.deepEqual(pair.ipcMain.channels(), []);
  });
});
