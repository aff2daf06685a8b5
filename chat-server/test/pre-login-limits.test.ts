import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger, type ParleyConfig, type RunningServer } from '@parley/common';
import { createTestEnv, type TestEnv } from '@parley/common/testing';
import { encodeFrame, MsgId } from '@parley/protocol';
import { startChatServer } from '../src/index';
import { userWithToken } from './support/fixtures';
import { RawSocket } from './support/raw-socket';

// Issue 11 item 4: before login a stranger gets small frames, a deadline from accept that trickled
// bytes cannot extend, and a share of the server's connections that is capped per IP and in all.
let env: TestEnv;
let strict: RunningServer;
let capped: RunningServer;
const LOGIN_TIMEOUT_MS = 400;

function withChat(config: ParleyConfig, chat: Partial<ParleyConfig['chat']>): ParleyConfig {
  return { ...config, chat: { ...config.chat, ...chat } };
}

before(async () => {
  env = await createTestEnv({ chatServers: [{ id: 'chat1', tcpPort: 0, grpcPort: 0 }, { id: 'chat2', tcpPort: 0, grpcPort: 0 }] });
  const logger = (id: string) => createLogger({ kind: 'chat', id, level: 'silent' });
  strict = await startChatServer({ config: withChat(env.config, { preloginMaxFrameBytes: 1024, loginTimeoutMs: LOGIN_TIMEOUT_MS }), logger: logger('chat1'), id: 'chat1' });
  capped = await startChatServer({ config: withChat(env.config, { maxUnauthenticatedPerIp: 3, maxConnections: 5 }), logger: logger('chat2'), id: 'chat2' });
});

after(async () => {
  await strict?.stop();
  await capped?.stop();
  await env?.cleanup();
});

const port = (server: RunningServer) => server.ready.tcpPort as number;

/** A frame header announcing `length` body bytes. */
function header(id: number, length: number): Buffer {
  const h = Buffer.alloc(6);
  h.writeUInt16BE(id, 0);
  h.writeUInt32BE(length, 2);
  return h;
}

describe('before login', () => {
  it('refuses a large length before the first frame is a valid LoginReq, and accepts it after login', async () => {
    const raw = await RawSocket.open(port(strict));
    raw.write(header(MsgId.LoginReq, 100_000));
    assert.equal(await raw.closedWith(), 'FRAME_TOO_LARGE');
    const err = raw.frames.at(-1);
    assert.deepEqual(err?.id === MsgId.Error ? err.msg.details : undefined, { length: 100_000, maxBodyBytes: 1024 });

    const user = await userWithToken(env.pool, env.redis);
    const ok = await RawSocket.open(port(strict));
    assert.equal((await ok.login(user.uid, user.token)).id, MsgId.LoginResp);
    // Logged in: the full limit (1 MiB) applies; a 100 KB SearchUserReq is a schema error, not a framing one.
    const before = ok.frames.length;
    ok.write(encodeFrame(MsgId.SearchUserReq, { reqId: 2, query: 'q'.repeat(100_000) }));
    const answer = await ok.next(before);
    assert.equal(answer.id === MsgId.Error ? answer.msg.code : answer.id, 'VALIDATION_FAILED');
    assert.equal(ok.isClosed, false);
    ok.destroy();
  });

  it('lets frames pipelined behind a valid LoginReq, in the same write, use the full limit', async () => {
    const user = await userWithToken(env.pool, env.redis);
    const raw = await RawSocket.open(port(strict));
    const big = encodeFrame(MsgId.SearchUserReq, { reqId: 2, query: 'q'.repeat(8000) });
    raw.write(Buffer.concat([encodeFrame(MsgId.LoginReq, { reqId: 1, uid: user.uid, token: user.token }), big]));
    assert.equal((await raw.next(0)).id, MsgId.LoginResp);
    const answer = await raw.next(1);
    assert.equal(answer.id === MsgId.Error ? answer.msg.code : answer.id, 'VALIDATION_FAILED', 'a schema error, not FRAME_TOO_LARGE');
    // An invalid LoginReq does not raise it.
    const bad = await RawSocket.open(port(strict));
    bad.write(Buffer.concat([encodeFrame(MsgId.LoginReq, { reqId: 1, uid: -1, token: 'x' }), big]));
    assert.equal(await bad.closedWith(), 'FRAME_TOO_LARGE');
    raw.destroy();
  });

  it('closes a connection with no LoginReq by the deadline, however it trickles bytes', async () => {
    const started = Date.now();
    const silent = await RawSocket.open(port(strict));
    const trickler = await RawSocket.open(port(strict));
    // A valid LoginReq, one byte every 30 ms: it would complete only after the deadline.
    const frame = encodeFrame(MsgId.LoginReq, { reqId: 1, uid: 1, token: 'x'.repeat(43) });
    let i = 0;
    const pump = setInterval(() => {
      if (i < frame.length && !trickler.isClosed) trickler.write(frame.subarray(i, ++i));
    }, 30);
    try {
      assert.equal(await silent.closedWith(), 'LOGIN_TIMEOUT');
      assert.equal(await trickler.closedWith(), 'LOGIN_TIMEOUT');
    } finally {
      clearInterval(pump);
    }
    assert.ok(i < frame.length, 'closed while still trickling');
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= LOGIN_TIMEOUT_MS - 50 && elapsed < LOGIN_TIMEOUT_MS + 1500, `closed after ${elapsed} ms`);
  });

  it('a login within the deadline is not touched by it', async () => {
    const user = await userWithToken(env.pool, env.redis);
    const raw = await RawSocket.open(port(strict));
    assert.equal((await raw.login(user.uid, user.token)).id, MsgId.LoginResp);
    await new Promise((r) => setTimeout(r, LOGIN_TIMEOUT_MS + 200));
    assert.equal(raw.isClosed, false);
    raw.destroy();
  });

  it('caps connections not logged in per client IP (TOO_MANY_CONNECTIONS) and per server (SERVER_FULL)', async () => {
    const users = [await userWithToken(env.pool, env.redis), await userWithToken(env.pool, env.redis)];
    const waiting = [await RawSocket.open(port(capped)), await RawSocket.open(port(capped)), await RawSocket.open(port(capped))];
    const fourth = await RawSocket.open(port(capped));
    assert.equal(await fourth.closedWith(), 'TOO_MANY_CONNECTIONS');
    // Logged-in connections do not count against the IP: two log in, two more strangers fit.
    for (const [n, user] of users.entries()) assert.equal((await (waiting[n] as RawSocket).login(user.uid, user.token)).id, MsgId.LoginResp);
    const more = [await RawSocket.open(port(capped)), await RawSocket.open(port(capped))];
    // Five open connections: the server is full, whoever knocks.
    const sixth = await RawSocket.open(port(capped));
    assert.equal(await sixth.closedWith(), 'SERVER_FULL');
    assert.ok(more.every((s) => !s.isClosed));
    // A closed connection frees its place.
    (waiting[2] as RawSocket).destroy();
    await (waiting[2] as RawSocket).closed;
    let admitted: RawSocket | undefined;
    for (let tries = 0; tries < 50 && !admitted; tries++) {
      const s = await RawSocket.open(port(capped));
      await new Promise((r) => setTimeout(r, 20));
      if (!s.isClosed) admitted = s;
    }
    assert.ok(admitted, 'a place was freed');
    for (const s of [...waiting, ...more, admitted]) s.destroy();
  });
});
