// The registry and the atomic pick against the real Redis, with an injected clock so liveness is fast to test.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { RedisKeys } from '@parley/common';
import { createTestEnv, keySlot, watchScriptKeys, type TestEnv } from '@parley/common/testing';
import { ChatServerRegistry, FILE_PENDING_KEY, FileServerRegistry, FORGET_AFTER_INTERVALS, isLive, parseRecord, PENDING_KEY, STALE_AFTER_INTERVALS } from '../src';

const INTERVAL_SEC = 5;
const T0 = 1_700_000_000_000;

function addr(id: string) {
  const n = Number(id.replace(/\D/g, '') || 0);
  return { id, host: '127.0.0.1', tcpPort: 9000 + n, grpcPort: 9500 + n, wsPort: 9700 + n };
}

function tally(ids: (string | undefined)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const id of ids) out[id ?? 'none'] = (out[id ?? 'none'] ?? 0) + 1;
  return out;
}

describe('chat server registry', () => {
  let env: TestEnv;
  let clock = T0;
  let registry: ChatServerRegistry;

  before(async () => {
    env = await createTestEnv();
    registry = new ChatServerRegistry(env.redis, { reportIntervalSec: INTERVAL_SEC, now: () => clock });
  });
  after(async () => {
    await env.cleanup();
  });
  beforeEach(async () => {
    clock = T0;
    await env.redis.del(RedisKeys.chatServers, PENDING_KEY, RedisKeys.route(1), RedisKeys.route(2));
  });

  const pickId = async (uid = 1) => (await registry.choose(uid))?.record.server.id;

  it('stores the record format other servers read', async () => {
    assert.equal(await registry.report(addr('chat1'), 7, false), true, 'first report registers');
    assert.equal(await registry.report(addr('chat1'), 8, false), false, 'later reports update');
    const raw = await env.redis.hget(RedisKeys.chatServers, 'chat1');
    assert.deepEqual(JSON.parse(raw ?? 'null'), { server: addr('chat1'), connections: 8, lastReportMs: T0, draining: false });
    assert.deepEqual(parseRecord(raw ?? ''), { server: addr('chat1'), connections: 8, lastReportMs: T0, draining: false });
    assert.equal(parseRecord('{"server":{"id":"x"}}'), undefined);
    // A record written before ws ports existed reads as "no WebSocket".
    const old = JSON.stringify({ server: { id: 'c', host: 'h', tcpPort: 1, grpcPort: 2 }, connections: 0, lastReportMs: T0, draining: false });
    assert.equal(parseRecord(old)?.server.wsPort, 0);
    assert.equal(parseRecord('not json'), undefined);
  });

  it('chooses the least-loaded server', async () => {
    await registry.report(addr('chat1'), 30, false);
    await registry.report(addr('chat2'), 10, false);
    await registry.report(addr('chat3'), 20, false);
    const pick = await registry.choose(1);
    assert.deepEqual(pick, { record: { server: addr('chat2'), connections: 10, lastReportMs: T0, draining: false }, sticky: false });
  });

  it('counts assigned logins until the next report, which resets the count', async () => {
    await registry.report(addr('chat1'), 10, false);
    await registry.report(addr('chat2'), 13, false);
    // chat1 takes logins until its effective load (10 + pending) reaches chat2's 13; then they alternate.
    const picks = [];
    for (let i = 0; i < 3; i++) picks.push(await pickId());
    assert.deepEqual(picks, ['chat1', 'chat1', 'chat1']);
    const views = await registry.list();
    assert.deepEqual(views.map((v) => [v.server.id, v.connections, v.pending]), [['chat1', 10, 3], ['chat2', 13, 0]]);
    const next = tally(await Promise.all([pickId(), pickId()]));
    assert.deepEqual(next, { chat1: 1, chat2: 1 });
    await registry.report(addr('chat1'), 14, false);
    assert.deepEqual((await registry.list()).map((v) => v.pending), [0, 1]);
  });

  it('spreads ties: 300 picks over 3 equal servers give each exactly 100', async () => {
    for (const id of ['chat1', 'chat2', 'chat3']) await registry.report(addr(id), 50, false);
    const picks = [];
    for (let i = 0; i < 300; i++) picks.push(await pickId());
    assert.deepEqual(tally(picks), { chat1: 100, chat2: 100, chat3: 100 });
  });

  it('breaks ties at random, not always towards the same server', async () => {
    const firsts = [];
    for (let round = 0; round < 90; round++) {
      for (const id of ['chat1', 'chat2', 'chat3']) await registry.report(addr(id), 0, false);
      firsts.push(await pickId());
    }
    const counts = tally(firsts);
    // Expected 30 each; fewer than 10 has probability below 1e-6.
    for (const id of ['chat1', 'chat2', 'chat3']) assert.ok((counts[id] ?? 0) >= 10, `first picks ${JSON.stringify(counts)}`);
  });

  it('a burst of concurrent picks fills the least-loaded servers up to the same level', async () => {
    await registry.report(addr('chat1'), 0, false);
    await registry.report(addr('chat2'), 100, false);
    await registry.report(addr('chat3'), 100, false);
    const picks = await Promise.all(Array.from({ length: 1000 }, (_, i) => pickId(1000 + i)));
    // 1000 + 200 existing = 1200 = 400 per server: every pick saw all the picks before it.
    assert.deepEqual(tally(picks), { chat1: 400, chat2: 300, chat3: 300 });
  });

  it('stops choosing a server silent for 3 intervals and forgets it later', async () => {
    const staleMs = STALE_AFTER_INTERVALS * INTERVAL_SEC * 1000;
    await registry.report(addr('chat1'), 0, false);
    await registry.report(addr('chat2'), 100, false);
    clock = T0 + staleMs - 1;
    await registry.report(addr('chat2'), 100, false);
    assert.equal(await pickId(), 'chat1', 'still live just before 3 intervals');
    clock = T0 + staleMs;
    assert.equal(await pickId(), 'chat2', 'silent for 3 intervals: not chosen');
    assert.deepEqual((await registry.list()).map((v) => [v.server.id, v.healthy]), [['chat1', false], ['chat2', true]]);
    assert.deepEqual(await registry.prune(), [], 'not forgotten yet');
    clock = T0 + FORGET_AFTER_INTERVALS * INTERVAL_SEC * 1000;
    await registry.report(addr('chat2'), 100, false);
    assert.equal(await pickId(), 'chat2');
    assert.deepEqual(await registry.prune(), ['chat1']);
    assert.deepEqual((await registry.list()).map((v) => v.server.id), ['chat2']);
    assert.equal(await env.redis.hexists(PENDING_KEY, 'chat1'), 0);
    assert.equal(await env.redis.hexists(PENDING_KEY, 'chat2'), 1, 'the live one keeps its pending count');
  });

  it('a server reporting again after going silent is chosen again', async () => {
    await registry.report(addr('chat1'), 0, false);
    clock = T0 + 60_000;
    assert.equal(await pickId(), undefined);
    await registry.report(addr('chat1'), 0, false);
    assert.equal(await pickId(), 'chat1');
  });

  it('never chooses a draining or deregistered server', async () => {
    await registry.report(addr('chat1'), 0, true);
    await registry.report(addr('chat2'), 5, false);
    await registry.report(addr('chat3'), 1, false);
    assert.equal(await registry.deregister('chat3'), true);
    assert.equal(await registry.deregister('chat3'), false);
    const picks = [];
    for (let i = 0; i < 20; i++) picks.push(await pickId());
    assert.deepEqual(tally(picks), { chat2: 20 });
    const views = await registry.list();
    assert.deepEqual(views.map((v) => [v.server.id, v.draining, v.healthy]), [['chat1', true, true], ['chat2', false, true]]);
  });

  it('returns nothing when no server may be chosen', async () => {
    assert.equal(await registry.choose(1), undefined);
    await registry.report(addr('chat1'), 0, true);
    assert.equal(await registry.choose(1), undefined);
    assert.equal(await env.redis.hlen(PENDING_KEY), 0, 'a failed pick counts nothing');
  });

  it('sends a user with a live session to the same server without counting a new login', async () => {
    await registry.report(addr('chat1'), 0, false);
    await registry.report(addr('chat2'), 500, false);
    await env.redis.hset(RedisKeys.route(1), { server: 'chat2', session: 's1' });
    const pick = await registry.choose(1);
    assert.equal(pick?.record.server.id, 'chat2');
    assert.equal(pick?.sticky, true);
    assert.equal(await env.redis.hexists(PENDING_KEY, 'chat2'), 0);
    assert.equal(await pickId(2), 'chat1', 'other users still go to the least-loaded');
  });

  it('ignores the session route when its server is draining, stale, unknown or the route is malformed', async () => {
    await registry.report(addr('chat1'), 0, false);
    await registry.report(addr('chat2'), 500, true);
    await env.redis.hset(RedisKeys.route(1), { server: 'chat2' });
    assert.deepEqual(await registry.choose(1).then((p) => [p?.record.server.id, p?.sticky]), ['chat1', false], 'draining');
    await env.redis.hset(RedisKeys.route(1), { server: 'chat9' });
    assert.equal(await pickId(), 'chat1', 'unknown');
    await registry.report(addr('chat2'), 500, false);
    clock = T0 + 1000;
    await registry.report(addr('chat1'), 0, false);
    clock = T0 + STALE_AFTER_INTERVALS * INTERVAL_SEC * 1000;
    await env.redis.hset(RedisKeys.route(1), { server: 'chat2' });
    assert.equal(await pickId(), 'chat1', 'stale');
    await env.redis.del(RedisKeys.route(1));
    await env.redis.set(RedisKeys.route(1), 'chat2');
    assert.equal(await pickId(), 'chat1', 'wrong type');
  });

  it('isLive is the same rule as the pick', () => {
    const stale = STALE_AFTER_INTERVALS * INTERVAL_SEC * 1000;
    assert.equal(isLive({ lastReportMs: T0 }, T0 + stale - 1, INTERVAL_SEC), true);
    assert.equal(isLive({ lastReportMs: T0 }, T0 + stale, INTERVAL_SEC), false);
  });

  it('prune removes malformed records and orphaned pending counts', async () => {
    await registry.report(addr('chat1'), 0, false);
    await env.redis.hset(RedisKeys.chatServers, 'junk', '{not json');
    await env.redis.hset(PENDING_KEY, 'ghost', '4');
    assert.deepEqual(await registry.prune(), ['junk']);
    assert.deepEqual(await env.redis.hkeys(RedisKeys.chatServers), ['chat1']);
    assert.equal(await env.redis.hexists(PENDING_KEY, 'ghost'), 0);
    assert.deepEqual((await registry.list()).map((v) => v.server.id), ['chat1']);
  });

  it('keeps every script and MULTI to one Redis Cluster hash slot', async () => {
    assert.equal(keySlot(RedisKeys.chatServers), keySlot(PENDING_KEY));
    assert.equal(keySlot(RedisKeys.fileServers), keySlot(FILE_PENDING_KEY));
    const watch = watchScriptKeys(env.redisPrefix);
    try {
      await registry.report(addr('chat1'), 0, false);
      await env.redis.hset(RedisKeys.route(1), { server: 'chat1' });
      assert.deepEqual(await registry.choose(1).then((p) => [p?.record.server.id, p?.sticky]), ['chat1', true], 'sticky without reading the route in the script');
      await registry.choose(2);
      await registry.prune();
      const files = new FileServerRegistry(env.redis, { reportIntervalSec: INTERVAL_SEC, now: () => clock });
      await files.report({ id: 'file1', host: '127.0.0.1', tcpPort: 9100 }, 0, false);
      await files.choose();
      await files.prune();
      assert.ok(watch.calls.length >= 5, `only ${watch.calls.length} script calls seen`);
      for (const keys of watch.calls) assert.equal(new Set(keys.map(keySlot)).size, 1, `keys in different slots: ${keys.join(' ')}`);
    } finally {
      watch.stop();
      await env.redis.del(RedisKeys.fileServers, FILE_PENDING_KEY);
    }
  });
});
