import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRedis, deleteByPrefix } from '../src';
import { createTestEnv, type TestEnv } from '../src/testing';

describe('redis client', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(async () => {
    await env.cleanup();
  });

  it('prefixes every key and deletes only its own prefix', async () => {
    await env.redis.set('a', '1');
    await env.redis.set('b', '2');
    const other = createRedis({ ...env.config.redis, keyPrefix: `${env.redisPrefix}other:` });
    const bystander = createRedis({ ...env.config.redis, keyPrefix: 'parley-bystander:' });
    try {
      await bystander.set(env.redisPrefix, 'must survive');
      assert.equal(await other.exists('a'), 0);
      const raw = createRedis({ ...env.config.redis, keyPrefix: '' });
      assert.equal(await raw.get(`${env.redisPrefix}a`), '1');
      assert.equal(await deleteByPrefix(env.redis, env.redisPrefix), 2);
      assert.equal(await raw.get(`${env.redisPrefix}a`), null);
      assert.equal(await bystander.get(env.redisPrefix), 'must survive');
      await bystander.del(env.redisPrefix);
      raw.disconnect();
    } finally {
      other.disconnect();
      bystander.disconnect();
    }
  });
});
