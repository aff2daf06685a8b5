import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { RowDataPacket } from 'mysql2/promise';
import { MsgId, type ChatClient, type SendAck } from '@parley/protocol';
import { Cluster, type ChatEndpoint } from '../src/cluster';
import { RedisKeys } from '@parley/common';
import { befriend, createUser, login, routeOf, waitForClose, type TestUser } from './support/chat-fixtures';
import { SyncingClient } from './support/syncing-client';

// Chat servers going away — gracefully (SIGTERM) or not (SIGKILL) — must not lose an acked message.
let cluster: Cluster;

before(async () => {
  cluster = await Cluster.start({ chatServers: 2, kinds: ['chat'], sections: { cluster: { log_level: 'info' }, chat: { commit_interval_ms: 5 } } });
});

after(async () => {
  await cluster?.stop();
});

const chat1 = () => cluster.chatEndpoint('chat1');
const chat2 = () => cluster.chatEndpoint('chat2');

interface Outgoing {
  clientMsgId: string;
  body: string;
}

/** A sender that remembers every ack, so unacked messages can be resent with the same clientMsgId. */
class Sender {
  readonly acked = new Map<string, SendAck>();
  constructor(
    readonly user: TestUser,
    readonly items: Outgoing[],
  ) {}

  /** Sends in pipelined chunks until all are acked or the connection breaks. */
  async run(client: ChatClient, chunk = 10): Promise<void> {
    const todo = this.items.filter((i) => !this.acked.has(i.clientMsgId));
    for (let i = 0; i < todo.length; i += chunk) {
      if (client.status !== 'connected') return;
      await Promise.allSettled(
        todo.slice(i, i + chunk).map(async (item) => {
          const ack = await client.sendMessage({ conversationId: this.conv }, item.body, { clientMsgId: item.clientMsgId });
          this.acked.set(item.clientMsgId, ack);
        }),
      );
    }
  }

  conv = 0;
}

function outgoing(n: number, tag: string): Outgoing[] {
  return Array.from({ length: n }, (_, i) => ({ clientMsgId: randomUUID(), body: `${tag} ${i}` }));
}

async function storedByClientId(conv: number): Promise<Map<string, number>> {
  const [rows] = await cluster.env.pool.query<RowDataPacket[]>('SELECT client_msg_id, seq FROM messages WHERE conversation_id = ?', [conv]);
  return new Map(rows.map((r) => [String(r.client_msg_id), Number(r.seq)]));
}

/** Every acked message is stored under the seq its ack named; the receiver got all, once, in seq order. */
async function assertNothingLost(sender: Sender, receiver: SyncingClient): Promise<void> {
  const stored = await storedByClientId(sender.conv);
  for (const [id, ack] of sender.acked) assert.equal(stored.get(id), ack.seq, `acked message ${id} is stored with its seq`);
  const n = sender.items.length;
  assert.equal(stored.size, n, 'each message stored once');
  await receiver.waitForSeq(sender.conv, n, 15000);
  const got = receiver.messages(sender.conv);
  assert.deepEqual(got.map((m) => m.seq), Array.from({ length: n }, (_, i) => i + 1));
  assert.deepEqual(new Set(got.map((m) => m.clientMsgId)), new Set(sender.items.map((i) => i.clientMsgId)));
  for (const m of got) assert.equal(stored.get(m.clientMsgId), m.seq);
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  for (const end = Date.now() + timeoutMs; !(await check()); ) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function restart(id: string): Promise<ChatEndpoint> {
  await cluster.startProcess('chat', id);
  return cluster.chatEndpoint(id);
}

describe('chat server failover', () => {
  it('graceful shutdown: Reconnect to every client, acked messages kept, routes removed', async () => {
    const [a, b] = [await createUser(cluster), await createUser(cluster)];
    const sender = new Sender(a, outgoing(300, 'graceful'));
    sender.conv = await befriend(cluster, a.uid, b.uid);
    const receiver = new SyncingClient(b);
    await receiver.connect(chat2());
    const bystander = new SyncingClient(await createUser(cluster));
    await bystander.connect(chat1());
    const client = await login(chat1(), a);
    let reconnect: unknown;
    client.on('push', (id, msg) => {
      if (id === MsgId.Reconnect) reconnect = msg;
    });
    const sending = sender.run(client);
    await new Promise((r) => setTimeout(r, 150));
    const closed = waitForClose(client, 10000);
    const code = await cluster.stopProcess('chat1', 'SIGTERM');
    await closed;
    await sending;
    assert.equal(code, 0, 'chat1 stopped cleanly');
    assert.deepEqual(reconnect, { reason: 'server_shutdown' });
    assert.equal(bystander.reconnectAsked, true);
    assert.ok(sender.acked.size > 0, 'some messages were acked before the shutdown');
    assert.equal((await routeOf(cluster, a.uid)).server, undefined, 'the drained server removed its routes');
    assert.equal((await routeOf(cluster, bystander.user.uid)).server, undefined);
    // The client goes elsewhere and resends what was not acked, with the same ids.
    const again = await login(chat2(), a);
    await sender.run(again);
    assert.equal(sender.acked.size, sender.items.length);
    await assertNothingLost(sender, receiver);
    await Promise.all([again.close(), receiver.close()]);
    bystander.destroy();
    await restart('chat1');
  });

  it('SIGKILL: acked messages survive; the recipient logs in elsewhere and syncs', async () => {
    const [a, b] = [await createUser(cluster), await createUser(cluster)];
    const sender = new Sender(a, outgoing(300, 'killed'));
    sender.conv = await befriend(cluster, a.uid, b.uid);
    // Both sit on chat1, which dies mid-stream.
    const receiver = new SyncingClient(b);
    await receiver.connect(chat1());
    const client = await login(chat1(), a);
    const sending = sender.run(client);
    await new Promise((r) => setTimeout(r, 150));
    await cluster.stopProcess('chat1', 'SIGKILL');
    await sending;
    const ackedBeforeKill = new Map(sender.acked);
    assert.ok(ackedBeforeKill.size > 0);
    const stored = await storedByClientId(sender.conv);
    for (const [id, ack] of ackedBeforeKill) assert.equal(stored.get(id), ack.seq, 'acked before the kill means stored');
    // The route still names the dead server; logging in on chat2 replaces it.
    assert.equal((await routeOf(cluster, b.uid)).server, 'chat1');
    receiver.destroy();
    await receiver.connect(chat2());
    assert.equal((await routeOf(cluster, b.uid)).server, 'chat2');
    const again = await login(chat2(), a);
    await sender.run(again);
    await assertNothingLost(sender, receiver);
    await Promise.all([again.close(), receiver.close()]);
    await restart('chat1');
  });

  it('shows a friend on a crashed server as offline once that server stops reporting', async () => {
    const status = await cluster.startProcess('status');
    try {
      const [a, b] = [await createUser(cluster), await createUser(cluster)];
      await befriend(cluster, a.uid, b.uid);
      const onChat1 = await login(chat1(), b);
      const watcher = await login(chat2(), a);
      const online = async () => (await watcher.request(MsgId.FriendListReq, {})).friends.find((f) => f.uid === b.uid)?.online;
      // The status registry learns about chat1 from its load reports (every second here).
      await until(async () => (await cluster.env.redis.hexists(RedisKeys.chatServers, 'chat1')) === 1, 5000, 'chat1 in the registry');
      assert.equal(await online(), true);
      await cluster.stopProcess('chat1', 'SIGKILL');
      onChat1.destroy();
      // Its route outlives it (TTL), but after 3 silent report intervals the friend shows offline.
      assert.equal((await routeOf(cluster, b.uid)).server, 'chat1');
      await until(async () => (await online()) === false, 8000, 'friend shown offline');
      await watcher.close();
    } finally {
      await cluster.stopProcess(status.name);
      await restart('chat1');
    }
  });

  it('delivers across servers again after a peer restarts', async () => {
    const [a, b] = [await createUser(cluster), await createUser(cluster)];
    const conv = await befriend(cluster, a.uid, b.uid);
    const receiver = new SyncingClient(b);
    await receiver.connect(chat1());
    const client = await login(chat2(), a);
    await client.sendMessage({ to: b.uid }, 'after restart');
    await receiver.waitForSeq(conv, 1, 5000);
    assert.equal(receiver.droppedPushes, 0, 'the push arrived, not only a later sync');
    await Promise.all([client.close(), receiver.close()]);
  });
});
