// The status-server in-process, called over real gRPC on loopback, state in the real Redis.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  createStatusClient,
  isParleyError,
  RedisKeys,
  TOKEN_BYTES,
  tokenDigest,
  unary,
  type ChatServerLoad__Output,
  type GetChatServerReply__Output,
  type ReportLoadReply__Output,
  type StatusServiceClient,
} from '@parley/common';
import { createTestEnv, type TestEnv, testClusterCredentials } from '@parley/common/testing';
import { PENDING_KEY, startStatusServer, type RunningStatusServer } from '../src';

function addr(id: string) {
  const n = Number(id.replace(/\D/g, '') || 0);
  return { id, host: '127.0.0.1', tcpPort: 8000 + n, grpcPort: 8500 + n, wsPort: 8700 + n };
}

function tally(ids: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const id of ids) out[id] = (out[id] ?? 0) + 1;
  return out;
}

class Caller {
  constructor(readonly client: StatusServiceClient) {}

  static connect(server: RunningStatusServer): Caller {
    return new Caller(createStatusClient('127.0.0.1', server.port, testClusterCredentials()));
  }

  report(id: string, connections: number, draining = false): Promise<ReportLoadReply__Output> {
    return unary((o, cb) => this.client.ReportLoad({ server: addr(id), connections, draining }, o, cb));
  }

  deregister(id: string): Promise<unknown> {
    return unary((o, cb) => this.client.Deregister({ id }, o, cb));
  }

  login(uid: number, deadlineMs?: number): Promise<GetChatServerReply__Output> {
    return unary((o, cb) => this.client.GetChatServer({ uid }, o, cb), deadlineMs);
  }

  async chosen(uid: number): Promise<string> {
    return (await this.login(uid)).server?.id ?? '(none)';
  }

  async validate(uid: number, token: string): Promise<boolean> {
    return (await unary<{ valid: boolean }>((o, cb) => this.client.ValidateToken({ uid, token }, o, cb))).valid;
  }

  async list(): Promise<ChatServerLoad__Output[]> {
    return (await unary<{ servers: ChatServerLoad__Output[] }>((o, cb) => this.client.ListChatServers({}, o, cb))).servers;
  }

  close(): void {
    this.client.close();
  }
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isParleyError(err), `not a ParleyError: ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });
}

describe('status-server over gRPC', () => {
  let env: TestEnv;
  let server: RunningStatusServer;
  let caller: Caller;

  before(async () => {
    env = await createTestEnv({ sections: { status: { report_interval_sec: 5, token_ttl_sec: 600 } } });
    server = await startStatusServer({ config: env.config, logger: env.logger, id: 'status' });
    caller = Caller.connect(server);
  });
  after(async () => {
    caller.close();
    await server.stop();
    await env.cleanup();
  });
  beforeEach(async () => {
    await env.redis.del(RedisKeys.chatServers, PENDING_KEY);
  });

  it('reports its bound port and answers ReportLoad with the interval', async () => {
    assert.ok(server.port > 0);
    assert.equal(server.ready.port, server.port);
    assert.deepEqual(await caller.report('chat1', 0), { reportIntervalSec: 5 });
    const [load] = await caller.list();
    assert.deepEqual(load?.server, { ...addr('chat1'), grpcHost: '' });
    assert.equal(load?.healthy, true);
    assert.ok(Math.abs(Date.now() - (load?.lastReportMs ?? 0)) < 5000);
  });

  it('rejects malformed reports and uids', async () => {
    await rejectsWith(unary((o, cb) => caller.client.ReportLoad({ connections: 1 }, o, cb)), 'VALIDATION_FAILED');
    await rejectsWith(unary((o, cb) => caller.client.ReportLoad({ server: { ...addr('chat1'), tcpPort: 0 }, connections: 1 }, o, cb)), 'VALIDATION_FAILED');
    await rejectsWith(unary((o, cb) => caller.client.ReportLoad({ server: { ...addr('chat1'), wsPort: 65536 }, connections: 1 }, o, cb)), 'VALIDATION_FAILED');
    await rejectsWith(unary((o, cb) => caller.client.ReportLoad({ server: { ...addr('chat1'), id: 'bad id' }, connections: 1 }, o, cb)), 'VALIDATION_FAILED');
    await rejectsWith(unary((o, cb) => caller.client.ReportLoad({ server: { ...addr('chat1'), host: '' }, connections: 1 }, o, cb)), 'VALIDATION_FAILED');
    assert.deepEqual(await caller.list(), [], 'nothing was registered');
    await caller.report('chat1', 0);
    await rejectsWith(caller.login(0), 'VALIDATION_FAILED');
  });

  it('keeps the separate gRPC dial address of a chat server, and refuses a malformed one', async () => {
    await unary((o, cb) => caller.client.ReportLoad({ server: { ...addr('chat1'), grpcHost: 'chat1.internal' }, connections: 0, draining: false }, o, cb));
    assert.equal((await caller.list())[0]?.server?.grpcHost, 'chat1.internal');
    await rejectsWith(unary((o, cb) => caller.client.ReportLoad({ server: { ...addr('chat2'), grpcHost: 'a b' }, connections: 0 }, o, cb)), 'VALIDATION_FAILED');
  });

  it('chooses the least-loaded of three servers', async () => {
    await caller.report('chat1', 40);
    await caller.report('chat2', 25);
    await caller.report('chat3', 30);
    const reply = await caller.login(1);
    assert.deepEqual(reply.server, { ...addr('chat2'), grpcHost: '' });
    const pending = Object.fromEntries((await caller.list()).map((l) => [l.server?.id, l.pending]));
    assert.deepEqual(pending, { chat1: 0, chat2: 1, chat3: 0 });
  });

  it('spreads 300 logins over three equal servers evenly', async () => {
    for (const id of ['chat1', 'chat2', 'chat3']) await caller.report(id, 10);
    const picks = [];
    for (let uid = 1; uid <= 300; uid++) picks.push(await caller.chosen(uid));
    assert.deepEqual(tally(picks), { chat1: 100, chat2: 100, chat3: 100 });
  });

  it('spreads a burst of 1000 concurrent logins over three equal servers', async () => {
    for (const id of ['chat1', 'chat2', 'chat3']) await caller.report(id, 0);
    const picks = await Promise.all(Array.from({ length: 1000 }, (_, i) => caller.login(10_000 + i, 30_000).then((r) => r.server?.id ?? '(none)')));
    const counts = tally(picks);
    assert.deepEqual(Object.keys(counts).sort(), ['chat1', 'chat2', 'chat3']);
    const values = Object.values(counts);
    // The pick is atomic in Redis, so even a burst fills the servers level by level: 334/333/333.
    assert.ok(Math.max(...values) - Math.min(...values) <= 1, JSON.stringify(counts));
  });

  it('never chooses draining or deregistered servers', async () => {
    await caller.report('chat1', 0, true);
    await caller.report('chat2', 1);
    await caller.report('chat3', 50);
    await caller.deregister('chat2');
    const picks = [];
    for (let uid = 1; uid <= 10; uid++) picks.push(await caller.chosen(uid));
    assert.deepEqual(tally(picks), { chat3: 10 });
    assert.deepEqual((await caller.list()).map((l) => [l.server?.id, l.draining]), [['chat1', true], ['chat3', false]]);
  });

  it('answers NO_CHAT_SERVER when none may be chosen, and issues no token', async () => {
    await rejectsWith(caller.login(700_077), 'NO_CHAT_SERVER');
    await caller.report('chat1', 0, true);
    await rejectsWith(caller.login(700_077), 'NO_CHAT_SERVER');
    assert.equal(await env.redis.exists(RedisKeys.token(700_077)), 0);
  });

  it('issues a token bound to the uid that validates, with the configured lifetime', async () => {
    await caller.report('chat1', 0);
    const reply = await caller.login(501);
    assert.equal(reply.tokenTtlSec, 600);
    assert.match(reply.token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(reply.token, 'base64url').length, TOKEN_BYTES);
    assert.equal(await env.redis.get(RedisKeys.token(501)), tokenDigest(reply.token));
    const ttl = await env.redis.ttl(RedisKeys.token(501));
    assert.ok(ttl > 590 && ttl <= 600, `ttl ${ttl}`);
    assert.equal(await caller.validate(501, reply.token), true);
    assert.equal(await caller.validate(502, reply.token), false, 'bound to the uid');
    const wrong = (reply.token[0] === 'A' ? 'B' : 'A') + reply.token.slice(1);
    assert.equal(await caller.validate(501, wrong), false);
    assert.equal(await caller.validate(501, ''), false);
    assert.equal(await caller.validate(0, reply.token), false);
  });

  it('rejects an expired token', async () => {
    await caller.report('chat1', 0);
    const { token } = await caller.login(503);
    assert.equal(await caller.validate(503, token), true);
    assert.equal(await env.redis.pexpire(RedisKeys.token(503), 30), 1);
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(await caller.validate(503, token), false);
  });

  it('a second login replaces the first token', async () => {
    await caller.report('chat1', 0);
    const first = await caller.login(504);
    const second = await caller.login(504);
    assert.notEqual(first.token, second.token);
    assert.equal(await caller.validate(504, first.token), false);
    assert.equal(await caller.validate(504, second.token), true);
  });

  it('sends a user with a live session back to that server', async () => {
    await caller.report('chat1', 0);
    await caller.report('chat2', 900);
    await env.redis.hset(RedisKeys.route(505), { server: 'chat2', session: 'abc' });
    try {
      assert.equal(await caller.chosen(505), 'chat2');
      assert.equal(await caller.chosen(506), 'chat1', 'a user without a session goes to the least-loaded');
      await caller.report('chat2', 900, true);
      assert.equal(await caller.chosen(505), 'chat1', 'not to a draining server');
    } finally {
      await env.redis.del(RedisKeys.route(505));
    }
  });

  it('keeps the registry across a restart of the status-server', async () => {
    await caller.report('chat1', 10);
    await caller.report('chat2', 3);
    const { token } = await caller.login(507);
    caller.close();
    await server.stop();
    const stale = createStatusClient('127.0.0.1', server.port, testClusterCredentials());
    await rejectsWith(unary((o, cb) => stale.ListChatServers({}, o, cb), 1000), 'UNAVAILABLE');
    stale.close();

    server = await startStatusServer({ config: env.config, logger: env.logger, id: 'status' });
    caller = Caller.connect(server);
    assert.equal(await caller.chosen(508), 'chat2', 'chosen before any new report');
    assert.deepEqual((await caller.list()).map((l) => [l.server?.id, l.connections, l.healthy]), [['chat1', 10, true], ['chat2', 3, true]]);
    assert.equal(await caller.validate(507, token), true, 'tokens survive too');
  });
});

describe('status-server liveness in real time', () => {
  let env: TestEnv;
  let server: RunningStatusServer;
  let caller: Caller;

  before(async () => {
    env = await createTestEnv({ sections: { status: { report_interval_sec: 1 } } });
    server = await startStatusServer({ config: env.config, logger: env.logger, id: 'status' });
    caller = Caller.connect(server);
  });
  after(async () => {
    caller.close();
    await server.stop();
    await env.cleanup();
  });

  it('stops choosing a server that has been silent for 3 intervals', async () => {
    await caller.report('chat1', 0);
    await caller.report('chat2', 100);
    assert.equal(await caller.chosen(1), 'chat1');
    const until = Date.now() + 3500;
    while (Date.now() < until) {
      await new Promise((r) => setTimeout(r, 500));
      await caller.report('chat2', 100);
    }
    assert.equal(await caller.chosen(2), 'chat2');
    assert.deepEqual((await caller.list()).map((l) => [l.server?.id, l.healthy]), [['chat1', false], ['chat2', true]]);
  });
});
