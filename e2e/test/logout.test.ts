import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RedisKeys } from '@parley/common';
import { MsgId, type ProtocolError } from '@parley/protocol';
import { bearer, Cluster, getJson, postJson, requestJson } from '../src/index';
import { createUser, login, waitFor, waitForClose } from './support/chat-fixtures';

// Issue 11 item 3: logout over HTTP and on the chat connection revokes the token for every
// server at once and ends the user's session with Kick {reason: 'logged_out'}.
let cluster: Cluster;

before(async () => {
  cluster = await Cluster.start({ chatServers: 2 });
  for (const until = Date.now() + 10_000; (await cluster.env.redis.hlen(RedisKeys.chatServers)) < 2; ) {
    if (Date.now() > until) throw new Error('chat servers did not register');
    await new Promise((r) => setTimeout(r, 50));
  }
});

after(async () => {
  await cluster?.stop();
});

describe('logout', () => {
  it('POST /api/logout revokes the token, kicks the chat session on its server, and the token is refused everywhere', async () => {
    const user = await createUser(cluster);
    const client = await login(cluster.chatEndpoint('chat2'), user);
    const kicks: unknown[] = [];
    client.on('push', (id, msg) => {
      if (id === MsgId.Kick) kicks.push(msg);
    });
    const closed = waitForClose(client);
    assert.equal((await getJson(cluster.gateUrl, '/api/conversations', bearer(user.uid, user.token))).status, 200);

    const res = await requestJson('POST', cluster.gateUrl, '/api/logout', undefined, bearer(user.uid, user.token));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, { ok: true });
    await closed;
    assert.deepEqual(kicks, [{ reason: 'logged_out' }]);
    assert.equal(await cluster.env.redis.exists(RedisKeys.token(user.uid)), 0);

    const rest = await getJson(cluster.gateUrl, '/api/conversations', bearer(user.uid, user.token));
    assert.equal(rest.status, 401);
    assert.equal((rest.body as { error: { code: string } }).error.code, 'TOKEN_INVALID');
    await assert.rejects(login(cluster.chatEndpoint('chat1'), user), (err: ProtocolError) => err.code === 'TOKEN_INVALID');
    const twice = await postJson(cluster.gateUrl, '/api/logout', {}, bearer(user.uid, user.token));
    assert.equal(twice.status, 401, 'a revoked token cannot log out again');
  });

  it('POST /api/logout without a bearer token is 401 UNAUTHENTICATED', async () => {
    const res = await postJson(cluster.gateUrl, '/api/logout', {});
    assert.equal(res.status, 401);
    assert.equal((res.body as { error: { code: string } }).error.code, 'UNAUTHENTICATED');
  });

  it('LogoutReq on the chat connection kills the token for the REST API too', async () => {
    const user = await createUser(cluster);
    const client = await login(cluster.chatEndpoint('chat1'), user);
    const kicks: unknown[] = [];
    client.on('push', (id, msg) => {
      if (id === MsgId.Kick) kicks.push(msg);
    });
    const closed = waitForClose(client);
    await client.request(MsgId.LogoutReq, {});
    await closed;
    await waitFor(() => kicks.length > 0, 2000, 'the Kick');
    assert.deepEqual(kicks, [{ reason: 'logged_out' }]);
    const rest = await getJson(cluster.gateUrl, '/api/conversations', bearer(user.uid, user.token));
    assert.equal(rest.status, 401);
  });
});
