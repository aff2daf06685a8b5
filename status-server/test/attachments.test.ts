// Attachments (docs/status-server.md): the end of a server's Attach stream marks it down at once, the
// attached chat servers hear of it, a late report cannot revive it, attaching again can; ReportSuspect
// probes. The status-server in-process over real gRPC, state in the real Redis.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { ClientReadableStream } from '@grpc/grpc-js';
import { createStatusClient, parseRecord, RedisKeys, unary, type ClusterEvent__Output, type ReportSuspectReply__Output, type StatusServiceClient } from '@parley/common';
import { createTestEnv, freePort, keySlot, testClusterCredentials, watchScriptKeys, type TestEnv } from '@parley/common/testing';
import { ATTACHED_KEY, PENDING_KEY, startStatusServer, type RunningStatusServer } from '../src';

const addr = (id: string, grpcPort = 8500) => ({ id, host: '127.0.0.1', tcpPort: 8000, grpcPort, wsPort: 0 });

/** One chat server's attachment on a channel of its own (a process of its own would have one). */
class Attached {
  readonly events: ClusterEvent__Output[] = [];
  readonly call: ClientReadableStream<ClusterEvent__Output>;
  readonly attached: Promise<void>;

  constructor(
    readonly client: StatusServiceClient,
    id: string,
    grpcPort?: number,
  ) {
    this.call = client.Attach({ chat: { server: addr(id, grpcPort), connections: 3, draining: false } });
    this.call.on('error', () => undefined);
    this.attached = new Promise((resolve) =>
      this.call.on('data', (e: ClusterEvent__Output) => {
        this.events.push(e);
        if (e.attached) resolve();
      }),
    );
  }

  async waitFor(check: (e: ClusterEvent__Output) => boolean, what: string): Promise<void> {
    for (const end = Date.now() + 3000; !this.events.some(check); ) {
      if (Date.now() > end) throw new Error(`no event: ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

describe('status-server attachments', () => {
  let env: TestEnv;
  let server: RunningStatusServer;
  const clients: StatusServiceClient[] = [];
  const client = (): StatusServiceClient => {
    const c = createStatusClient('127.0.0.1', server.port, testClusterCredentials());
    clients.push(c);
    return c;
  };
  const record = async (id: string) => parseRecord((await env.redis.hget(RedisKeys.chatServers, id)) ?? '');
  const chosen = async (uid: number) => (await unary<{ server: { id: string } | null }>((o, cb) => client().GetChatServer({ uid }, o, cb))).server?.id;

  before(async () => {
    env = await createTestEnv({ sections: { status: { report_interval_sec: 5 } } });
    server = await startStatusServer({ config: env.config, logger: env.logger, id: 'status' });
  });
  after(async () => {
    for (const c of clients) c.close();
    await server.stop();
    await env.cleanup();
  });
  beforeEach(async () => {
    await env.redis.del(RedisKeys.chatServers, PENDING_KEY, ATTACHED_KEY);
  });

  it('registers on attach; the stream ending marks the server down at once and tells the others', async () => {
    const a = new Attached(client(), 'chatA');
    const b = new Attached(client(), 'chatB');
    await Promise.all([a.attached, b.attached]);
    assert.equal((await record('chatA'))?.connections, 3, 'attaching registers like a report');
    await a.waitFor((e) => e.chatServerUp === 'chatB', 'chatB up');
    const endedAt = Date.now();
    a.call.cancel();
    await b.waitFor((e) => e.chatServerDown === 'chatA', 'chatA down');
    assert.ok(Date.now() - endedAt < 1000, 'heard within a second');
    assert.equal((await record('chatA'))?.down, true);
    for (let uid = 1; uid <= 5; uid++) assert.equal(await chosen(uid), 'chatB', 'a down server is never chosen');
    b.call.cancel();
  });

  it('a report that arrives after the death does not revive the server; attaching again does', async () => {
    const a = new Attached(client(), 'chatA');
    await a.attached;
    a.call.cancel();
    for (const end = Date.now() + 3000; !(await record('chatA'))?.down; ) {
      assert.ok(Date.now() < end, 'marked down');
      await new Promise((r) => setTimeout(r, 10));
    }
    await unary((o, cb) => client().ReportLoad({ server: addr('chatA'), connections: 1, draining: false }, o, cb));
    assert.equal((await record('chatA'))?.down, true, 'a late report keeps it down');
    const again = new Attached(client(), 'chatA');
    await again.attached;
    assert.equal((await record('chatA'))?.down, undefined, 'attached again: up');
    assert.equal(await chosen(7), 'chatA');
    again.call.cancel();
  });

  it('Deregister before the stream ends: the server is gone, not marked down', async () => {
    const a = new Attached(client(), 'chatA');
    const b = new Attached(client(), 'chatB');
    await Promise.all([a.attached, b.attached]);
    await unary((o, cb) => client().Deregister({ id: 'chatA' }, o, cb));
    a.call.cancel();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(await record('chatA'), undefined);
    assert.ok(!b.events.some((e) => e.chatServerDown === 'chatA'), 'no down event for a graceful exit');
    b.call.cancel();
  });

  it('ReportSuspect probes: an unreachable server is marked down, a reachable one is not', async () => {
    const deadPort = await freePort();
    const dead = new Attached(client(), 'chatDead', deadPort);
    // The status-server's own port stands for a live gRPC server (the probe only connects).
    const live = new Attached(client(), 'chatLive', server.port);
    await Promise.all([dead.attached, live.attached]);
    const suspect = (id: string) => unary<ReportSuspectReply__Output>((o, cb) => client().ReportSuspect({ id, from: 'chatX' }, o, cb));
    assert.equal((await suspect('chatLive')).down, false);
    assert.equal((await record('chatLive'))?.down, undefined);
    assert.equal((await suspect('chatDead')).down, true);
    assert.equal((await record('chatDead'))?.down, true);
    await live.waitFor((e) => e.chatServerDown === 'chatDead', 'chatDead down');
    dead.call.cancel();
    live.call.cancel();
  });

  it('keeps the attachment scripts to one Redis Cluster hash slot', async () => {
    assert.equal(keySlot(RedisKeys.chatServers), keySlot(ATTACHED_KEY));
    const watch = watchScriptKeys(env.redisPrefix);
    try {
      const a = new Attached(client(), 'chatA');
      await a.attached;
      await unary((o, cb) => client().ReportLoad({ server: addr('chatA'), connections: 1, draining: false }, o, cb));
      a.call.cancel();
      for (const end = Date.now() + 3000; !(await record('chatA'))?.down; ) {
        assert.ok(Date.now() < end, 'marked down');
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.ok(watch.calls.length >= 3, `only ${watch.calls.length} script calls seen`);
      for (const keys of watch.calls) assert.equal(new Set(keys.map(keySlot)).size, 1, `keys in different slots: ${keys.join(' ')}`);
    } finally {
      watch.stop();
    }
  });
});
