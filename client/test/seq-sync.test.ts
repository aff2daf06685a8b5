import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChatMessage } from '@parley/protocol/codec';
import { SeqSync } from '../src/sync/seq-sync';

/** A server's copy of one conversation: pull answers from it, in pages. */
function harness(serverSeqs: number, pageSize = 3) {
  const server: ChatMessage[] = Array.from({ length: serverSeqs }, (_, i) => msg(i + 1));
  const delivered: number[] = [];
  const pulls: number[] = [];
  const sync = new SeqSync({
    pull: (_id, afterSeq) => {
      pulls.push(afterSeq);
      const after = server.filter((m) => m.seq > afterSeq);
      return Promise.resolve({ messages: after.slice(0, pageSize), hasMore: after.length > pageSize });
    },
    deliver: (_id, messages) => delivered.push(...messages.map((m) => m.seq)),
  });
  return { sync, delivered, pulls, server };
}

function msg(seq: number, senderUid = 2): ChatMessage {
  return { conversationId: 7, seq, senderUid, clientMsgId: `c${seq}`, type: 'text', body: `m${seq}`, serverTime: 1000 + seq };
}

test('pushes in order are accepted; duplicates are dropped', () => {
  const { sync, delivered, pulls } = harness(0);
  sync.onPush(msg(1));
  sync.onPush(msg(2));
  sync.onPush(msg(2));
  sync.onPush(msg(1));
  assert.deepEqual(delivered, [1, 2]);
  assert.equal(sync.position(7), 2);
  assert.equal(sync.droppedPushes, 2);
  assert.deepEqual(pulls, []);
});

test('a gap pulls from the gap-free position, pages until hasMore is false, and delivers each seq once in order', async () => {
  const h = harness(8);
  h.sync.onPush(msg(1));
  h.sync.onPush(msg(5)); // 2..4 missing
  await h.sync.pull(7); // waits for the running pull
  assert.deepEqual(h.delivered, [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.equal(h.pulls[0], 1);
  assert.equal(h.sync.position(7), 8);
});

test('own acked sends count: the next seq is accepted without a pull; an ack ahead waits for the run', async () => {
  const h = harness(3);
  h.sync.onPush(msg(1));
  h.sync.onOwnAck(msg(2, 1));
  assert.deepEqual(h.delivered, [1, 2]);
  h.sync.onOwnAck(msg(4, 1)); // ahead of 3: held
  assert.deepEqual(h.delivered, [1, 2]);
  h.sync.onPush(msg(3));
  assert.deepEqual(h.delivered, [1, 2, 3, 4]);
  await new Promise((r) => setTimeout(r, 400));
  assert.deepEqual(h.pulls, [], 'no needless pull once the run closed');
});

test('an own ack above a gap that never closes by push is filled by a pull after a grace period', async () => {
  const h = harness(5);
  h.sync.onOwnAck(msg(5, 1)); // 1..4 never pushed
  assert.deepEqual(h.delivered, []);
  await new Promise((r) => setTimeout(r, 450));
  await h.sync.pull(7);
  assert.deepEqual(h.delivered, [1, 2, 3, 4, 5]);
});

test('catchUp pulls only conversations the server has more of, starting at the stored positions', async () => {
  const h = harness(4);
  const sync = new SeqSync({ pull: (id, after) => (h.pulls.push(after), Promise.resolve({ messages: h.server.filter((m) => m.seq > after), hasMore: false })), deliver: (_id, ms) => h.delivered.push(...ms.map((m) => m.seq)) }, new Map([[7, 2], [9, 5]]));
  await sync.catchUp([{ conversationId: 7, maxSeq: 4 }, { conversationId: 9, maxSeq: 5 }]);
  assert.deepEqual(h.pulls, [2]);
  assert.deepEqual(h.delivered, [3, 4]);
});
