import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RedisKeys } from '@parley/common';
import { createTestEnv, type TestEnv } from '@parley/common/testing';
import { RouteStore } from '../src/cluster/route-store';

let env: TestEnv;

before(async () => {
  env = await createTestEnv();
});

after(async () => {
  await env.cleanup();
});

describe('RouteStore', () => {
  it('claims atomically, returning the route it replaced', async () => {
    const one = new RouteStore(env.redis, 'chat1', 60_000);
    const two = new RouteStore(env.redis, 'chat2', 60_000);
    assert.equal(await one.claim(101, 's1'), undefined);
    assert.deepEqual(await two.claim(101, 's2'), { server: 'chat1', session: 's1' });
    assert.deepEqual(await env.redis.hgetall(RedisKeys.route(101)), { server: 'chat2', session: 's2' });
    const ttl = await env.redis.pttl(RedisKeys.route(101));
    assert.ok(ttl > 55_000 && ttl <= 60_000);
    // Two racing claims: exactly one of them sees the other as previous.
    const [x, y] = await Promise.all([one.claim(102, 'a'), two.claim(102, 'b')]);
    assert.equal([x, y].filter((r) => r === undefined).length, 1);
  });

  it('releases only while the route still names the session', async () => {
    const one = new RouteStore(env.redis, 'chat1', 60_000);
    await one.claim(201, 'old');
    await one.claim(201, 'new');
    assert.equal(await one.release(201, 'old'), false);
    assert.equal((await env.redis.hgetall(RedisKeys.route(201))).session, 'new');
    assert.equal(await one.release(201, 'new'), true);
    assert.equal(await env.redis.exists(RedisKeys.route(201)), 0);
    await one.claim(202, 'x');
    await one.claim(203, 'y');
    await one.releaseMany([{ uid: 202, session: 'x' }, { uid: 203, session: 'other' }]);
    assert.equal(await env.redis.exists(RedisKeys.route(202)), 0);
    assert.equal(await env.redis.exists(RedisKeys.route(203)), 1);
  });

  it('refreshes its own routes, recreates vanished ones and reports superseded ones', async () => {
    const one = new RouteStore(env.redis, 'chat1', 60_000);
    const two = new RouteStore(env.redis, 'chat2', 60_000);
    await one.claim(301, 'mine');
    await env.redis.pexpire(RedisKeys.route(301), 1000);
    await two.claim(302, 'theirs');
    const outcomes = await one.refreshMany([
      { uid: 301, session: 'mine' },
      { uid: 302, session: 'stale' },
      { uid: 303, session: 'lost' },
    ]);
    assert.deepEqual(outcomes, ['kept', 'superseded', 'recreated']);
    assert.ok((await env.redis.pttl(RedisKeys.route(301))) > 55_000);
    assert.deepEqual(await env.redis.hgetall(RedisKeys.route(302)), { server: 'chat2', session: 'theirs' });
    assert.deepEqual(await env.redis.hgetall(RedisKeys.route(303)), { server: 'chat1', session: 'lost' });
  });

  it('looks up many routes in one round trip', async () => {
    const one = new RouteStore(env.redis, 'chat1', 60_000);
    await one.claim(401, 's401');
    await one.claim(402, 's402');
    const found = await one.lookupMany([401, 402, 499]);
    assert.deepEqual([...found.entries()], [
      [401, { server: 'chat1', session: 's401' }],
      [402, { server: 'chat1', session: 's402' }],
    ]);
    assert.equal((await one.lookupMany([])).size, 0);
  });
});
