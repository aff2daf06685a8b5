import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConnectionClosedError, ProtocolError, type SendAck } from '@parley/protocol/codec';
import { ClientError } from '../src/client-error';
import { Outbox, retryDelay } from '../src/outbox/outbox';
import type { OutboxEntry } from '../src/store/local-store';
import { MemoryStore } from '../src/store/memory-store';

/** A fake server answer: the test decides per send what comes back. */
function outbox(store: MemoryStore, answer: (e: OutboxEntry, attempt: number) => Promise<SendAck>) {
  const sent: string[] = [];
  const acked: string[] = [];
  const changes: OutboxEntry[] = [];
  const box = new Outbox({
    store,
    retryDelayMs: 5,
    send: (e) => {
      sent.push(e.clientMsgId);
      return answer(e, sent.length);
    },
    onChange: (e) => changes.push({ ...e }),
    onAcked: (e) => acked.push(e.clientMsgId),
  });
  return { box, sent, acked, changes };
}

const ack = (e: OutboxEntry, seq = 1): SendAck => ({ reqId: 1, clientMsgId: e.clientMsgId, conversationId: e.conversationId, seq, serverTime: 1 });

test('queued while offline, stored, then sent once online and removed from the store', async () => {
  const store = new MemoryStore();
  const o = outbox(store, (e) => Promise.resolve(ack(e)));
  const entry = o.box.add(3, 'text', 'hi');
  await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual((await store.loadOutbox()).map((e) => e.clientMsgId), [entry.clientMsgId]);
  assert.deepEqual(o.sent, []);
  o.box.setOnline(true);
  await o.box.flush();
  assert.deepEqual(o.sent, [entry.clientMsgId]);
  assert.deepEqual(o.acked, [entry.clientMsgId]);
  assert.deepEqual(await store.loadOutbox(), []);
});

test('a lost connection keeps the message; the resend (also after a restart) uses the same clientMsgId', async () => {
  const store = new MemoryStore();
  const first = outbox(store, () => Promise.reject(new ConnectionClosedError()));
  first.box.setOnline(true);
  const entry = first.box.add(3, 'text', 'survives');
  await first.box.flush();
  assert.deepEqual(first.sent, [entry.clientMsgId]);
  assert.deepEqual(first.acked, []);

  // A new app instance on the same store.
  const second = outbox(store, (e) => Promise.resolve(ack(e, 9)));
  await second.box.load();
  assert.equal(second.box.list()[0]?.clientMsgId, entry.clientMsgId);
  second.box.setOnline(true);
  await second.box.flush();
  assert.deepEqual(second.sent, [entry.clientMsgId]);
  assert.deepEqual(second.acked, [entry.clientMsgId]);
  assert.deepEqual(await store.loadOutbox(), []);
});

test('RATE_LIMITED is retried with the same id; NOT_FRIENDS fails it, and retry() sends it again with that id', async () => {
  const store = new MemoryStore();
  let refuse = true;
  const o = outbox(store, (e, attempt) => {
    if (attempt === 1) return Promise.reject(new ProtocolError('RATE_LIMITED', 'slow down'));
    if (refuse) return Promise.reject(new ProtocolError('NOT_FRIENDS', 'no'));
    return Promise.resolve(ack(e));
  });
  o.box.setOnline(true);
  const entry = o.box.add(3, 'text', 'x');
  await o.box.flush();
  assert.deepEqual(o.sent, [entry.clientMsgId, entry.clientMsgId]);
  assert.equal(o.box.get(entry.clientMsgId)?.state, 'failed');
  assert.equal(o.box.get(entry.clientMsgId)?.error, 'NOT_FRIENDS');
  assert.equal((await store.loadOutbox())[0]?.state, 'failed');
  refuse = false;
  assert.equal(o.box.retry(entry.clientMsgId), true);
  await o.box.flush();
  assert.deepEqual(o.sent, [entry.clientMsgId, entry.clientMsgId, entry.clientMsgId]);
  assert.deepEqual(o.acked, [entry.clientMsgId]);
  assert.deepEqual(o.changes.map((c) => c.state), ['failed', 'sending']);
});

test('messages go out one at a time, oldest first', async () => {
  const store = new MemoryStore();
  const o = outbox(store, (e) => new Promise((r) => setTimeout(() => r(ack(e)), 2)));
  const ids = ['a', 'b', 'c'].map((t) => o.box.add(3, 'text', t).clientMsgId);
  o.box.setOnline(true);
  await o.box.flush();
  assert.deepEqual(o.sent, ids);
  assert.deepEqual(o.acked, ids);
});

test('no connection at all (OFFLINE) keeps the message queued, not failed', async () => {
  const store = new MemoryStore();
  const o = outbox(store, () => Promise.reject(new ClientError('OFFLINE', 'not connected')));
  o.box.setOnline(true);
  const entry = o.box.add(3, 'text', 'later');
  await o.box.flush();
  assert.equal(o.box.get(entry.clientMsgId)?.state, 'sending');
  assert.deepEqual(o.changes, []);
});

test("a caller-made clientMsgId is used as is, and adding it again while queued queues nothing more", async () => {
  const store = new MemoryStore();
  const o = outbox(store, (e) => Promise.resolve(ack(e)));
  const first = o.box.add(3, 'text', 'hi', 'desk-1');
  const again = o.box.add(3, 'text', 'hi', 'desk-1');
  assert.equal(first.clientMsgId, 'desk-1');
  assert.equal(again, first);
  assert.equal(o.box.list().length, 1);
  o.box.setOnline(true);
  await o.box.flush();
  assert.deepEqual(o.sent, ['desk-1']);
});

test('OVERLOADED is retried with the same id after the retryAfterMs the server asked for, not marked failed', async () => {
  const store = new MemoryStore();
  const times: number[] = [];
  const o = outbox(store, (e, attempt) => {
    times.push(Date.now());
    if (attempt === 1) return Promise.reject(new ProtocolError('OVERLOADED', 'busy', { details: { retryAfterMs: 120 } }));
    return Promise.resolve(ack(e));
  });
  o.box.setOnline(true);
  const entry = o.box.add(3, 'text', 'under load');
  await o.box.flush();
  assert.deepEqual(o.sent, [entry.clientMsgId, entry.clientMsgId]);
  assert.deepEqual(o.acked, [entry.clientMsgId]);
  const waited = (times[1] as number) - (times[0] as number);
  assert.ok(waited >= 115, `waited ${waited} ms, the server asked for 120 (the base delay is 5)`);
});

test('retryDelay: the server’s ask, else the base doubled per refusal in a row, capped, with up to half again of jitter', () => {
  const none = () => 0;
  const most = () => 1;
  assert.equal(retryDelay(new ProtocolError('OVERLOADED', 'busy', { details: { retryAfterMs: 400 } }), 1, 100, none), 400);
  assert.equal(retryDelay(new ProtocolError('RATE_LIMITED', 'slow', { details: { retryAfterSec: 2 } }), 1, 100, none), 2000);
  assert.equal(retryDelay(new ProtocolError('UNAVAILABLE', 'down'), 1, 100, none), 100);
  assert.equal(retryDelay(new ProtocolError('UNAVAILABLE', 'down'), 4, 100, none), 800);
  assert.equal(retryDelay(new ProtocolError('UNAVAILABLE', 'down'), 30, 100, none), 30_000);
  assert.equal(retryDelay(new ProtocolError('OVERLOADED', 'busy', { details: { retryAfterMs: 400 } }), 1, 100, most), 600);
});
