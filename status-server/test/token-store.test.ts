import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateToken, issueToken, tokenDigest, RedisKeys, revokeToken, TOKEN_BYTES, TOKEN_LENGTH, validateToken } from '@parley/common';
import { createTestEnv, type TestEnv } from '@parley/common/testing';

describe('token store (common/src/redis/token-store.ts)', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(async () => {
    await env.cleanup();
  });

  it('generates 32 random bytes as unpadded base64url', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const t = generateToken();
      assert.match(t, /^[A-Za-z0-9_-]+$/);
      assert.equal(t.length, TOKEN_LENGTH);
      assert.equal(Buffer.from(t, 'base64url').length, TOKEN_BYTES);
      seen.add(t);
    }
    assert.equal(seen.size, 200);
  });

  it('stores the token at RedisKeys.token(uid) with the TTL and validates it', async () => {
    const token = await issueToken(env.redis, 101, 120);
    assert.equal(await env.redis.get(RedisKeys.token(101)), tokenDigest(token));
    assert.notEqual(await env.redis.get(RedisKeys.token(101)), token, 'the token itself is not stored');
    const ttl = await env.redis.ttl(RedisKeys.token(101));
    assert.ok(ttl > 110 && ttl <= 120, `ttl ${ttl}`);
    assert.equal(await validateToken(env.redis, 101, token), true);
  });

  it('rejects a wrong token, another user\'s token and malformed input', async () => {
    const mine = await issueToken(env.redis, 102, 120);
    const theirs = await issueToken(env.redis, 103, 120);
    assert.equal(await validateToken(env.redis, 102, theirs), false);
    const flipped = (mine[0] === 'A' ? 'B' : 'A') + mine.slice(1);
    assert.equal(await validateToken(env.redis, 102, flipped), false);
    assert.equal(await validateToken(env.redis, 102, mine.slice(0, -1)), false);
    assert.equal(await validateToken(env.redis, 102, `${mine}x`), false);
    assert.equal(await validateToken(env.redis, 102, ''), false);
    assert.equal(await validateToken(env.redis, 102, `${mine.slice(0, -1)}=`), false);
    assert.equal(await validateToken(env.redis, 0, mine), false);
    assert.equal(await validateToken(env.redis, -102, mine), false);
    assert.equal(await validateToken(env.redis, 1.5, mine), false);
    assert.equal(await validateToken(env.redis, 104, mine), false, 'user without a token');
    assert.equal(await validateToken(env.redis, 102, mine), true, 'the right one still works');
  });

  it('a new token replaces the previous one', async () => {
    const first = await issueToken(env.redis, 105, 120);
    const second = await issueToken(env.redis, 105, 120);
    assert.notEqual(first, second);
    assert.equal(await validateToken(env.redis, 105, first), false);
    assert.equal(await validateToken(env.redis, 105, second), true);
  });

  it('an expired token is rejected', async () => {
    const token = await issueToken(env.redis, 106, 120);
    assert.equal(await env.redis.pexpire(RedisKeys.token(106), 30), 1);
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(await validateToken(env.redis, 106, token), false);
  });

  it('revokes a token', async () => {
    const token = await issueToken(env.redis, 107, 120);
    assert.equal(await revokeToken(env.redis, 107), true);
    assert.equal(await validateToken(env.redis, 107, token), false);
    assert.equal(await revokeToken(env.redis, 107), false);
  });

  it('refuses to issue for a bad uid or TTL', async () => {
    await assert.rejects(issueToken(env.redis, 0, 120), RangeError);
    await assert.rejects(issueToken(env.redis, 108, 0), RangeError);
    assert.equal(await env.redis.exists(RedisKeys.token(108)), 0);
  });
});
