/**
 * Which chat server answers a REST call, against real Redis: the user's route server while it is live,
 * else the least-loaded live one, else config.ini. Records are written in the status-server's format
 * (common's ChatServerRecord); the clock is injected, so staleness needs no sleeping.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { RedisKeys, STALE_AFTER_INTERVALS, type ChatInstanceConfig, type ChatServerRecord } from '@parley/common';
import { createTestEnv, type TestEnv } from '@parley/common/testing';
import { ChatServerSelector } from '../src/chat-server-selector';

const NOW = 1_800_000_000_000;
const INTERVAL_SEC = 1;
const STALE_MS = STALE_AFTER_INTERVALS * INTERVAL_SEC * 1000;
const CONFIGURED: ChatInstanceConfig[] = [
  { id: 'chat1', host: '10.0.0.1', bindHost: '0.0.0.0', grpcHost: '', grpcBindHost: '127.0.0.1', tcpPort: 8090, grpcPort: 50061, wsPort: -1 },
  { id: 'chat2', host: '10.0.0.2', bindHost: '0.0.0.0', grpcHost: '', grpcBindHost: '127.0.0.1', tcpPort: 8091, grpcPort: 50062, wsPort: -1 },
  { id: 'chat3', host: '10.0.0.3', bindHost: '0.0.0.0', grpcHost: '', grpcBindHost: '127.0.0.1', tcpPort: 8092, grpcPort: 0, wsPort: -1 },
];

let env: TestEnv;
let uid = 100;

before(async () => {
  env = await createTestEnv();
});

after(async () => {
  await env?.cleanup();
});

beforeEach(async () => {
  uid++;
  await env.redis.del(RedisKeys.chatServers);
});

async function report(id: string, connections: number, options: { ageMs?: number; draining?: boolean } = {}): Promise<void> {
  const record: ChatServerRecord = {
    server: { id, host: '127.0.0.1', tcpPort: 9000, grpcPort: 9100 + Number(id.slice(4)) },
    connections,
    lastReportMs: NOW - (options.ageMs ?? 0),
    draining: options.draining ?? false,
  };
  await env.redis.hset(RedisKeys.chatServers, id, JSON.stringify(record));
}

function selector(random = 0): ChatServerSelector {
  return new ChatServerSelector({ redis: env.redis, configured: CONFIGURED, reportIntervalSec: INTERVAL_SEC, now: () => NOW, random: () => random });
}

describe('ChatServerSelector', () => {
  it("prefers the user's route server while it is live, even when busier", async () => {
    await Promise.all([report('chat1', 10), report('chat2', 500)]);
    await env.redis.hset(RedisKeys.route(uid), { server: 'chat2', session: 's' });
    assert.deepEqual(await selector().choose(uid), { id: 'chat2', host: '127.0.0.1', port: 9102 });
  });

  it('takes the least-loaded live server when the route server is stale, draining, excluded or unknown', async () => {
    await Promise.all([report('chat1', 10), report('chat2', 5, { ageMs: STALE_MS }), report('chat3', 20), report('chat4', 1, { draining: true })]);
    for (const routed of ['chat2', 'chat4', 'chat9']) {
      await env.redis.hset(RedisKeys.route(uid), { server: routed, session: 's' });
      assert.equal((await selector().choose(uid))?.id, 'chat1', `route on ${routed}`);
    }
    await env.redis.del(RedisKeys.route(uid));
    assert.equal((await selector().choose(uid))?.id, 'chat1', 'no route');
    await env.redis.hset(RedisKeys.route(uid), { server: 'chat1', session: 's' });
    assert.equal((await selector().choose(uid, new Set(['chat1'])))?.id, 'chat3', 'chat1 just failed');
    // A server reporting just inside the window is still live.
    await report('chat2', 5, { ageMs: STALE_MS - 1 });
    assert.equal((await selector().choose(uid, new Set(['chat1'])))?.id, 'chat2');
  });

  it('breaks ties at random', async () => {
    await Promise.all([report('chat1', 3), report('chat2', 3), report('chat3', 4)]);
    assert.equal((await selector(0).choose(uid))?.id !== (await selector(0.99).choose(uid))?.id, true);
  });

  it('falls back to config.ini when the registry knows no live server, skipping draining ones and grpc_port 0', async () => {
    assert.deepEqual(await selector(0).choose(uid), { id: 'chat1', host: '10.0.0.1', port: 50061 });
    assert.deepEqual(await selector(0.99).choose(uid), { id: 'chat2', host: '10.0.0.2', port: 50062 });
    await report('chat1', 0, { draining: true });
    assert.equal((await selector(0).choose(uid))?.id, 'chat2');
    assert.equal(await selector(0).choose(uid, new Set(['chat2'])), undefined);
    await report('chat2', 0, { ageMs: STALE_MS * 2 });
    assert.equal((await selector(0).choose(uid))?.id, 'chat2', 'a stale record does not stop the fallback');
  });
});
