import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger, issueToken, RedisKeys, revokeToken, type RunningServer } from '@parley/common';
import { createTestEnv, type TestEnv } from '@parley/common/testing';
import { ChatClient, type ProtocolError } from '@parley/protocol';
import { startChatServer } from '../src/index';
import { userWithToken } from './support/fixtures';

// Issue 11 item 17: a password reset revokes the token and kicks the route it finds. A login whose
// token was checked just before that (its route not written yet) must not survive.
let env: TestEnv;
let server: RunningServer;
/** Per uid: what happens between a login's token check and its route claim. */
const between = new Map<number, () => Promise<void>>();

before(async () => {
  env = await createTestEnv({ chatServers: [{ id: 'chat1', tcpPort: 0, grpcPort: 0 }] });
  const logger = createLogger({ kind: 'chat', id: 'chat1', level: 'silent' });
  server = await startChatServer({ config: env.config, logger, id: 'chat1' }, { afterTokenCheck: async (uid) => between.get(uid)?.() });
});

after(async () => {
  await server?.stop();
  await env?.cleanup();
});

async function tryLogin(user: { uid: number; token: string }): Promise<ChatClient> {
  const client = new ChatClient({ heartbeat: false });
  await client.connect('127.0.0.1', server.ready.tcpPort as number);
  await client.login(user.uid, user.token);
  return client;
}

describe('login racing a password reset', () => {
  it('a token revoked between the check and the route claim: TOKEN_INVALID, closed, no route left', async () => {
    const user = await userWithToken(env.pool, env.redis);
    let revoked = false;
    // The reset's revocation, ordered against the login on the real Redis.
    between.set(user.uid, async () => {
      revoked = await revokeToken(env.redis, user.uid);
    });
    await assert.rejects(tryLogin(user), (err: ProtocolError) => err.code === 'TOKEN_INVALID');
    assert.equal(revoked, true, 'the revocation ran between check and claim');
    // The closed session releases its route.
    for (let i = 0; i < 100 && (await env.redis.exists(RedisKeys.route(user.uid))) === 1; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(await env.redis.exists(RedisKeys.route(user.uid)), 0, 'no route names the refused session');
    between.delete(user.uid);
  });

  it('a token replaced in between (a new login at the gate) refuses the old one; an untouched token logs in', async () => {
    const user = await userWithToken(env.pool, env.redis);
    between.set(user.uid, async () => {
      await issueToken(env.redis, user.uid, 600);
    });
    await assert.rejects(tryLogin(user), (err: ProtocolError) => err.code === 'TOKEN_INVALID');
    between.delete(user.uid);
    const fresh = { uid: user.uid, token: await issueToken(env.redis, user.uid, 600) };
    const client = await tryLogin(fresh);
    await client.ping();
    await client.close();
  });
});
