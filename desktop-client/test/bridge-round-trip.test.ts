import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { ContactView, ConversationView, ParleyApi, ParleyEvents, UploadSource } from '@parley/client';
import { CodedError, FakeCore, ME } from './support/fake-core';
import { connectBridge, settle } from './support/bridge-harness';

const CONVERSATION: ConversationView = { conversationId: 10, kind: 'direct', peerUid: 2, title: 'Bob', avatar: '', lastActivityMs: 5, unread: 2 };
const BOB: ContactView = { uid: 2, name: 'bob', nickname: 'Bob', avatar: '', online: true, conversationId: 10 };

function memorySource(bytes: Uint8Array, name = 'photo.png', mime = 'image/png'): UploadSource & { reads: number } {
  const source = {
    name,
    mime,
    size: bytes.byteLength,
    reads: 0,
    async read(offset: number, length: number) {
      source.reads++;
      return bytes.slice(offset, offset + length);
    },
  };
  return source;
}

function collect<K extends keyof ParleyEvents>(api: ParleyApi, event: K): ParleyEvents[K][] {
  const seen: ParleyEvents[K][] = [];
  api.on(event, (v) => seen.push(v));
  return seen;
}

describe('preload API ↔ router round trip', () => {
  it('serves the synchronous getters from the snapshot the preload takes at start', async () => {
    const core = new FakeCore();
    core.state.conversations = [CONVERSATION];
    core.state.contacts = [BOB];
    const bridge = connectBridge(core);
    assert.deepEqual(bridge.api.conversations(), [], 'nothing before the snapshot arrives');
    await bridge.ready;
    assert.deepEqual(bridge.api.conversations(), [CONVERSATION]);
    assert.deepEqual(bridge.api.contacts(), [BOB]);
    assert.equal(bridge.api.directConversation(2), 10);
    assert.equal(bridge.api.directConversation(3), undefined);
    assert.deepEqual(bridge.api.groups(), []);
    bridge.close();
  });

  it('forwards events on their channels and keeps the getters current', async () => {
    const core = new FakeCore();
    const bridge = connectBridge(core);
    await bridge.ready;
    const conversations = collect(bridge.api, 'conversations');
    const incoming = collect(bridge.api, 'incoming');
    const updated = [{ ...CONVERSATION, unread: 3 }];
    core.emit('conversations', updated);
    const message = { conversationId: 10, seq: 4, senderUid: 2, clientMsgId: 'x', type: 'text' as const, body: 'hi', timeMs: 9 };
    core.emit('incoming', message);
    await settle();
    // The first value is the replay of the state held when the listener subscribed.
    assert.deepEqual(conversations, [[], updated]);
    assert.deepEqual(incoming, [message]);
    assert.deepEqual(bridge.api.conversations(), updated);
    bridge.close();
  });

  it('replays the current state to a listener that subscribes late, and stops after unsubscribe', async () => {
    const core = new FakeCore();
    const bridge = connectBridge(core);
    await bridge.api.login('alice', 'pw');
    await settle();
    const states: ParleyEvents['connection'][] = [];
    const off = bridge.api.on('connection', (s) => states.push(s));
    await settle();
    assert.deepEqual(states, [{ state: 'online' }]);
    off();
    core.emit('connection', { state: 'reconnecting', retryAtMs: 5 });
    await settle();
    assert.equal(states.length, 1);
    bridge.close();
  });

  it('calls cross with their results, and core errors reject with a plain { code, message }', async () => {
    const core = new FakeCore();
    const bridge = connectBridge(core);
    assert.deepEqual(await bridge.api.login('alice', 'pw'), ME);
    assert.deepEqual(await bridge.api.searchUsers('bob'), [{ uid: 2, name: 'bob', nickname: 'bob', avatar: '' }]);
    assert.equal((await bridge.api.createGroup('team', [2, 3])).memberCount, 3);
    core.failures.set('register', new CodedError('NAME_TAKEN', 'That user name is taken'));
    await assert.rejects(bridge.api.register({ email: 'a@b.c', code: '123456', name: 'alice', password: 'pw' }), (err: unknown) => {
      assert.deepEqual(err, { code: 'NAME_TAKEN', message: 'That user name is taken' });
      return true;
    });
    await assert.rejects(bridge.api.searchUsers('x'.repeat(100)), { code: 'BRIDGE_BAD_ARGUMENT' });
    bridge.close();
  });

  it('sendText returns the id at once, and the core sends with that same id', async () => {
    const core = new FakeCore();
    let n = 0;
    const bridge = connectBridge(core, { mintId: () => `m-${++n}` });
    const messages = collect(bridge.api, 'messages');
    const id = bridge.api.sendText(10, 'hello');
    assert.equal(id, 'm-1');
    await settle();
    assert.deepEqual(core.calls.at(-1), { method: 'sendText', args: [10, 'hello', 'm-1'] });
    assert.equal(messages[0]?.messages[0]?.clientMsgId, 'm-1');
    bridge.close();
  });

  it('a failing fire-and-forget call becomes an error event (a toast), not an unhandled rejection', async () => {
    const core = new FakeCore();
    core.failures.set('markRead', new CodedError('NOT_MEMBER', 'You are not in this conversation'));
    const bridge = connectBridge(core);
    const errors = collect(bridge.api, 'error');
    bridge.api.markRead(10);
    bridge.api.sendText(10, 'x'.repeat(20_000));
    await settle(10);
    assert.deepEqual(
      errors.map((e) => e.code),
      ['NOT_MEMBER', 'BRIDGE_BAD_ARGUMENT'],
    );
    bridge.close();
  });

  it('sendFile: main pulls the bytes from the page in chunks, including a resume from mid-file', async () => {
    const core = new FakeCore();
    core.chunkBytes = 100_000;
    core.resumeAt = 350_000;
    const bridge = connectBridge(core);
    const bytes = randomBytes(1_000_003);
    const source = memorySource(bytes);
    const transfers = collect(bridge.api, 'transfer');
    const transferId = bridge.api.sendFile(10, source);
    await settle();
    const uploaded = await core.uploaded.get(transferId)!;
    assert.equal(createHash('sha256').update(uploaded).digest('hex'), createHash('sha256').update(bytes).digest('hex'));
    assert.equal(source.reads, 11 + 7);
    await settle();
    assert.deepEqual(
      transfers.map((t) => [t.transferId, t.state]),
      [[transferId, 'done']],
    );
    assert.equal(bridge.uploads.pendingReads(), 0);
    bridge.close();
  });

  it('after an upload is done the page forgets its source: a late read gets UPLOAD_SOURCE_GONE', async () => {
    const core = new FakeCore();
    const bridge = connectBridge(core);
    const source = memorySource(new Uint8Array([1, 2, 3]));
    const transferId = bridge.api.sendFile(10, source);
    await settle();
    await core.uploaded.get(transferId);
    await settle();
    const stale = bridge.uploads.source({ uploadId: transferId, name: 'a', mime: 'image/png', size: 3 }, bridge.pair.webContents);
    await assert.rejects(stale.read(0, 3), { code: 'UPLOAD_SOURCE_GONE' });
    bridge.close();
  });

  it('uploadFile resolves with the FileRef and download returns the same bytes, reporting its transferId', async () => {
    const core = new FakeCore();
    const bridge = connectBridge(core);
    const bytes = randomBytes(300_000);
    const ref = await bridge.api.uploadFile(memorySource(bytes, 'avatar.png'));
    assert.equal(ref.sha256, createHash('sha256').update(bytes).digest('hex'));
    const started: string[] = [];
    const downloaded = await bridge.api.download(ref, (id) => started.push(id));
    assert.deepEqual(Buffer.from(downloaded), bytes);
    assert.equal(started.length, 1);
    assert.match(started[0]!, /^d\d+$/);
    await assert.rejects(bridge.api.download({ ...ref, fileId: '99' }), { code: 'FILE_NOT_FOUND' });
    bridge.close();
  });

  it('a source that fails to read fails the upload with UPLOAD_BAD_DATA', async () => {
    const core = new FakeCore();
    const bridge = connectBridge(core);
    const broken: UploadSource = { name: 'x.bin', mime: 'application/octet-stream', size: 10, read: () => Promise.reject(new Error('disk gone')) };
    await assert.rejects(bridge.api.uploadFile(broken), { code: 'UPLOAD_BAD_DATA' });
    bridge.close();
  });

  it('on() refuses an event that is not on the allow-list', () => {
    const bridge = connectBridge(new FakeCore());
    assert.throws(() => bridge.api.on('ipc' as 'error', () => undefined), /unknown event/);
    bridge.close();
  });
});
