import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RedisKeys } from '@parley/common';
import type { ProtocolError } from '@parley/protocol';
import { ChatClient, encodeFrame, encodeFrameRaw, MsgId } from '@parley/protocol';
import { Cluster } from '../src/cluster';
import { createUser, login, newToken, RawConnection, routeOf, waitFor, waitForClose } from './support/chat-fixtures';

// Session behaviour of real chat-server processes: login, kicks across servers, heartbeat, framing.
let cluster: Cluster;

before(async () => {
  cluster = await Cluster.start({ chatServers: 2, kinds: ['chat'], sections: { cluster: { log_level: 'info' }, chat: { heartbeat_sec: 1, max_frame_bytes: 4096 } } });
});

after(async () => {
  await cluster?.stop();
});

const chat1 = () => cluster.chatEndpoint('chat1');
const chat2 = () => cluster.chatEndpoint('chat2');

describe('chat session', () => {
  it('logs in with a good token, answers Ping, and routes the user to this server', async () => {
    const user = await createUser(cluster);
    const client = new ChatClient({ heartbeat: false });
    await client.connect(chat1().host, chat1().tcpPort);
    const resp = await client.login(user.uid, user.token);
    assert.equal(resp.uid, user.uid);
    assert.equal(resp.serverId, 'chat1');
    assert.equal(resp.heartbeatSec, 1);
    assert.ok(Math.abs(resp.serverTime - Date.now()) < 5000);
    const pong = await client.ping();
    assert.ok(pong.serverTime > 0);
    const route = await routeOf(cluster, user.uid);
    assert.equal(route.server, 'chat1');
    assert.ok(route.session && route.session.length > 0);
    const ttl = await cluster.env.redis.pttl(RedisKeys.route(user.uid));
    assert.ok(ttl > 0, 'the route has a TTL');
    // A second LoginReq on the same connection is refused; the connection stays.
    await assert.rejects(client.login(user.uid, user.token), (err: ProtocolError) => err.code === 'ALREADY_LOGGED_IN');
    await client.ping();
    await client.close();
    // Closing removes the route (compare-and-delete of our own session).
    const gone = await pollRoute(user.uid, (r) => r.server === undefined);
    assert.equal(gone.server, undefined);
  });

  it('refuses a bad token with TOKEN_INVALID and closes', async () => {
    const user = await createUser(cluster);
    const raw = await RawConnection.connect(chat1());
    raw.write(encodeFrame(MsgId.LoginReq, { reqId: 7, uid: user.uid, token: 'A'.repeat(user.token.length) }));
    const msg = await raw.next(0);
    assert.equal(msg.id, MsgId.Error);
    assert.equal(msg.id === MsgId.Error && msg.msg.code, 'TOKEN_INVALID');
    assert.equal(msg.id === MsgId.Error && msg.msg.reqId, 7);
    await raw.waitClosed();
    assert.equal((await routeOf(cluster, user.uid)).server, undefined);
  });

  it('refuses an expired token', async () => {
    const user = await createUser(cluster);
    await cluster.env.redis.pexpire(RedisKeys.token(user.uid), 1);
    await new Promise((r) => setTimeout(r, 20));
    const client = new ChatClient({ heartbeat: false });
    await client.connect(chat2().host, chat2().tcpPort);
    await assert.rejects(client.login(user.uid, user.token), (err: ProtocolError) => err.code === 'TOKEN_INVALID');
    await waitForClose(client);
  });

  it('refuses a token of another user', async () => {
    const [a, b] = [await createUser(cluster), await createUser(cluster)];
    const client = new ChatClient({ heartbeat: false });
    await client.connect(chat1().host, chat1().tcpPort);
    await assert.rejects(client.login(a.uid, b.token), (err: ProtocolError) => err.code === 'TOKEN_INVALID');
    await waitForClose(client);
  });

  it('answers anything but LoginReq first with LOGIN_REQUIRED and closes', async () => {
    const raw = await RawConnection.connect(chat1());
    raw.write(encodeFrame(MsgId.SyncReq, { reqId: 1 }));
    const msg = await raw.next(0);
    assert.equal(msg.id === MsgId.Error && msg.msg.code, 'LOGIN_REQUIRED');
    await raw.waitClosed();
    // A Ping is not a login either.
    const raw2 = await RawConnection.connect(chat2());
    raw2.write(encodeFrame(MsgId.Ping, {}));
    assert.equal((await raw2.next(0)).id, MsgId.Error);
    await raw2.waitClosed();
    assert.equal(raw2.messages.length, 1);
  });

  it('kicks the older session when the user logs in on the other server', async () => {
    const user = await createUser(cluster);
    const first = await login(chat1(), user, { heartbeat: true });
    const kicks: unknown[] = [];
    first.on('push', (id, msg) => {
      if (id === MsgId.Kick) kicks.push(msg);
    });
    const firstClosed = waitForClose(first);
    // A new token replaces the old one, as a fresh login at the gate would.
    const again = { uid: user.uid, token: await newToken(cluster, user.uid) };
    const second = await login(chat2(), again);
    await firstClosed;
    assert.deepEqual(kicks, [{ reason: 'logged_in_elsewhere' }]);
    assert.equal((await routeOf(cluster, user.uid)).server, 'chat2');
    await second.ping();
    // And back on the first server: the chat2 session is kicked, the route follows.
    const secondClosed = waitForClose(second);
    const third = await login(chat1(), again);
    await secondClosed;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await routeOf(cluster, user.uid)).server, 'chat1', 'the kicked session did not remove the new route');
    await third.ping();
    await third.close();
  });

  it('kicks the older session on the same server', async () => {
    const user = await createUser(cluster);
    const first = await login(chat2(), user);
    let kicked = false;
    first.on('push', (id, _msg) => {
      if (id === MsgId.Kick) kicked = true;
    });
    const second = await login(chat2(), user);
    await waitForClose(first);
    assert.equal(kicked, true);
    await second.ping();
    const route = await routeOf(cluster, user.uid);
    assert.equal(route.server, 'chat2');
    await second.close();
  });

  it('closes a connection silent for 3 heartbeats and keeps a pinging one', async () => {
    const [quiet, chatty] = [await createUser(cluster), await createUser(cluster)];
    const silent = await login(chat1(), quiet, { heartbeat: false });
    const alive = await login(chat1(), chatty, { heartbeat: true });
    const started = Date.now();
    await waitForClose(silent, 8000);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 2500, `closed after ${elapsed} ms, before 3 heartbeats`);
    assert.ok(elapsed < 6000, `closed after ${elapsed} ms`);
    assert.equal(alive.status, 'connected');
    await alive.ping();
    await pollRoute(quiet.uid, (r) => r.server === undefined);
    assert.equal((await routeOf(cluster, chatty.uid)).server, 'chat1');
    // A socket that never logs in is closed by the same sweep.
    const raw = await RawConnection.connect(chat2());
    await raw.waitClosed(8000);
    await alive.close();
  });

  it('closes on an oversized frame with FRAME_TOO_LARGE, from the header alone', async () => {
    const user = await createUser(cluster);
    const raw = await RawConnection.connect(chat1());
    raw.write(encodeFrame(MsgId.LoginReq, { reqId: 1, uid: user.uid, token: user.token }));
    await raw.next(0);
    const header = Buffer.alloc(6);
    header.writeUInt16BE(MsgId.SendReq, 0);
    header.writeUInt32BE(4097, 2);
    raw.write(header);
    const msg = await raw.next(1);
    assert.equal(msg.id === MsgId.Error && msg.msg.code, 'FRAME_TOO_LARGE');
    await raw.waitClosed();
  });

  it('closes on a body that is not JSON with MALFORMED_FRAME', async () => {
    const user = await createUser(cluster);
    const raw = await RawConnection.connect(chat2());
    raw.write(encodeFrame(MsgId.LoginReq, { reqId: 1, uid: user.uid, token: user.token }));
    await raw.next(0);
    raw.write(encodeFrameRaw(MsgId.SyncReq, Buffer.from('{"reqId": 2,')));
    const msg = await raw.next(1);
    assert.equal(msg.id === MsgId.Error && msg.msg.code, 'MALFORMED_FRAME');
    await raw.waitClosed();
  });

  it('answers unknown ids and schema failures but keeps the connection', async () => {
    const user = await createUser(cluster);
    const raw = await RawConnection.connect(chat1());
    // Login and the next frames in one write: the server queues them behind the login.
    raw.write(
      Buffer.concat([
        encodeFrame(MsgId.LoginReq, { reqId: 1, uid: user.uid, token: user.token }),
        encodeFrame(999, { reqId: 2 }),
        encodeFrame(MsgId.Pong, { serverTime: 1 }),
        encodeFrame(MsgId.PullReq, { reqId: 3, conversationId: -1, afterSeq: 0 }),
        encodeFrame(MsgId.SyncReq, { reqId: 4 }),
      ]),
    );
    const msgs = await waitFor(() => (raw.messages.length >= 5 ? raw.messages : undefined));
    assert.equal(msgs[0]?.id, MsgId.LoginResp);
    const [unknown, s2c, invalid, sync] = msgs.slice(1);
    assert.equal(unknown?.id === MsgId.Error && unknown.msg.code, 'UNKNOWN_MESSAGE');
    assert.deepEqual(unknown?.id === MsgId.Error && unknown.msg.details, { id: 999 });
    assert.equal(s2c?.id === MsgId.Error && s2c.msg.code, 'UNKNOWN_MESSAGE');
    assert.equal(invalid?.id === MsgId.Error && invalid.msg.code, 'VALIDATION_FAILED');
    assert.equal(invalid?.id === MsgId.Error && invalid.msg.reqId, 3);
    assert.equal(sync?.id, MsgId.SyncResp);
    assert.equal(raw.closed, false);
    raw.destroy();
  });
});

async function pollRoute(uid: number, done: (r: { server?: string }) => boolean, timeoutMs = 5000): Promise<{ server?: string; session?: string }> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await routeOf(cluster, uid);
    if (done(r)) return r;
    if (Date.now() > until) throw new Error(`route of ${uid} still ${JSON.stringify(r)}`);
    await new Promise((res) => setTimeout(res, 25));
  }
}
