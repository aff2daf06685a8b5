import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger, type RunningServer } from '@parley/common';
import { createTestEnv, type TestEnv } from '@parley/common/testing';
import { ChatClient, encodeFrame, MsgId } from '@parley/protocol';
import { startChatServer } from '../src/index';
import { befriend, userWithToken } from './support/fixtures';
import { RawSocket } from './support/raw-socket';
import { WsRaw } from './support/ws-raw';

// Issue 9: whatever a WebSocket client sends — text, several frames or half a frame in one message,
// garbage, too much before or after login, or nothing read back — it gets the documented answer
// and close code, the server's memory stays bounded, and other clients carry on.
let env: TestEnv;
let server: RunningServer;
const PRELOGIN = 1024;
const MAX_FRAME = 65536;

before(async () => {
  env = await createTestEnv({ chatServers: [{ id: 'chat1', tcpPort: 0, grpcPort: 0 }] });
  const config = { ...env.config, chat: { ...env.config.chat, preloginMaxFrameBytes: PRELOGIN, maxFrameBytes: MAX_FRAME } };
  server = await startChatServer({ config, logger: createLogger({ kind: 'chat', id: 'chat1', level: 'silent' }), id: 'chat1' });
});

after(async () => {
  await server?.stop();
  await env?.cleanup();
});

const wsPort = () => server.ready.wsPort as number;
const tcpPort = () => server.ready.tcpPort as number;

function header(id: number, length: number): Buffer {
  const h = Buffer.alloc(6);
  h.writeUInt16BE(id, 0);
  h.writeUInt32BE(length, 2);
  return h;
}

async function loggedIn(): Promise<{ client: WsRaw; uid: number }> {
  const user = await userWithToken(env.pool, env.redis);
  const client = await WsRaw.open(wsPort());
  assert.equal((await client.login(user.uid, user.token)).id, MsgId.LoginResp);
  return { client, uid: user.uid };
}

/** The server still serves: a new WebSocket logs in and gets a Pong. */
async function stillServes(): Promise<void> {
  const { client } = await loggedIn();
  const mark = client.frames.length;
  client.send(encodeFrame(MsgId.Ping, {}));
  assert.equal((await client.next(mark)).id, MsgId.Pong);
  client.destroy();
}

describe('hostile WebSocket input', () => {
  it('closes on a text message: MALFORMED_FRAME, then 1003', async () => {
    const { client } = await loggedIn();
    client.ws.send('{"reqId":2}');
    assert.deepEqual(await client.closedWith(), { code: 'MALFORMED_FRAME', close: 1003 });
  });

  it('closes on two frames in one message, before and after login: MALFORMED_FRAME, then 1002', async () => {
    const user = await userWithToken(env.pool, env.redis);
    const stranger = await WsRaw.open(wsPort());
    const login = encodeFrame(MsgId.LoginReq, { reqId: 1, uid: user.uid, token: user.token });
    stranger.send(Buffer.concat([login, login]));
    assert.deepEqual(await stranger.closedWith(), { code: 'MALFORMED_FRAME', close: 1002 });
    assert.equal(stranger.frames.length, 1, 'neither frame was acted on');

    const { client } = await loggedIn();
    client.send(Buffer.concat([encodeFrame(MsgId.Ping, {}), encodeFrame(MsgId.Ping, {})]));
    assert.deepEqual(await client.closedWith(), { code: 'MALFORMED_FRAME', close: 1002 });
    assert.equal(client.frames.filter((f) => f.id === MsgId.Pong).length, 0);
  });

  it('closes on half a frame, and on an empty message: MALFORMED_FRAME, then 1002', async () => {
    const { client } = await loggedIn();
    const ping = encodeFrame(MsgId.SearchUserReq, { reqId: 2, query: 'abc' });
    client.send(ping.subarray(0, ping.length - 3));
    assert.deepEqual(await client.closedWith(), { code: 'MALFORMED_FRAME', close: 1002 });
    const empty = await WsRaw.open(wsPort());
    empty.send(Buffer.alloc(0));
    assert.deepEqual(await empty.closedWith(), { code: 'MALFORMED_FRAME', close: 1002 });
    const headerOnly = await WsRaw.open(wsPort());
    headerOnly.send(Buffer.from([0, 10, 0]));
    assert.deepEqual(await headerOnly.closedWith(), { code: 'MALFORMED_FRAME', close: 1002 });
  });

  it('closes on garbage bytes; a well-framed garbage body gets the same error as over TCP', async () => {
    const garbage = Buffer.alloc(200, 0xab);
    const client = await WsRaw.open(wsPort());
    client.send(garbage);
    assert.deepEqual(await client.closedWith(), { code: 'MALFORMED_FRAME', close: 1002 });

    const framed = Buffer.concat([header(MsgId.LoginReq, 50), Buffer.alloc(50, 0xab)]);
    const overWs = await WsRaw.open(wsPort());
    const overTcp = await RawSocket.open(tcpPort());
    overWs.send(framed);
    overTcp.write(framed);
    const [ws, tcp] = await Promise.all([overWs.closedWith(), overTcp.closedWith()]);
    assert.ok(tcp !== undefined);
    assert.equal(ws.code, tcp, 'the same code as TCP');
    assert.equal(ws.close, 1000);
  });

  it('closes a message over the frame limit with 1009 before it is buffered; exactly the limit is a frame', async () => {
    const { client } = await loggedIn();
    const atLimit = encodeFrame(MsgId.SearchUserReq, { reqId: 3, query: 'q'.repeat(MAX_FRAME - 30) });
    const padded = Buffer.concat([header(MsgId.SearchUserReq, MAX_FRAME), atLimit.subarray(6), Buffer.alloc(MAX_FRAME - (atLimit.length - 6), 0x20)]);
    assert.equal(padded.length, 6 + MAX_FRAME);
    const mark = client.frames.length;
    client.send(padded);
    const answer = await client.next(mark);
    assert.equal(answer.id === MsgId.Error ? answer.msg.code : answer.id, 'VALIDATION_FAILED', 'a schema error: the frame itself was accepted');
    assert.equal(client.isClosed, false);

    client.send(Buffer.concat([header(MsgId.SearchUserReq, MAX_FRAME + 1), Buffer.alloc(MAX_FRAME + 1, 0x20)]));
    assert.equal(await client.closed, 1009);
    await stillServes();
  });

  it('holds a stranger to the pre-login limit (1009), and raises it once the LoginReq is valid', async () => {
    const stranger = await WsRaw.open(wsPort());
    stranger.send(Buffer.concat([header(MsgId.LoginReq, PRELOGIN + 1), Buffer.alloc(PRELOGIN + 1, 0x20)]));
    assert.equal(await stranger.closed, 1009);
    assert.equal(stranger.frames.length, 0);

    const { client } = await loggedIn();
    const mark = client.frames.length;
    client.send(encodeFrame(MsgId.SearchUserReq, { reqId: 2, query: 'q'.repeat(8000) }));
    const answer = await client.next(mark);
    assert.equal(answer.id === MsgId.Error ? answer.msg.code : answer.id, 'VALIDATION_FAILED');
    client.destroy();
  });

  it('drops a client that floods requests without reading, as over TCP, and serves others', async () => {
    const a = await userWithToken(env.pool, env.redis);
    const b = await userWithToken(env.pool, env.redis);
    const conversationId = await befriend(env.pool, a.uid, b.uid);
    const sender = new ChatClient({ heartbeat: false });
    await sender.connect('127.0.0.1', tcpPort());
    await sender.login(b.uid, b.token);
    const body = 'x'.repeat(16_000);
    await Promise.all(Array.from({ length: 50 }, () => sender.sendMessage({ conversationId }, body)));
    await sender.close();

    const reader = await WsRaw.open(wsPort());
    await reader.login(a.uid, a.token);
    reader.ws.pause();
    // 40 pages of ~800 KB: far more than the 8 MiB a client may leave unread plus the kernel's buffers.
    const REQUESTS = 40;
    for (let i = 0; i < REQUESTS; i++) reader.send(encodeFrame(MsgId.HistoryReq, { reqId: 10 + i, conversationId, limit: 50 }));
    await new Promise((r) => setTimeout(r, 3000));
    await stillServes();
    reader.ws.resume();
    const close = await reader.closed;
    const pages = reader.frames.filter((f) => f.id === MsgId.HistoryResp).length;
    assert.equal(close, 1006, 'dropped without a close frame');
    assert.ok(pages < REQUESTS, `dropped before every page was written (${pages} of ${REQUESTS})`);
    assert.equal(reader.badMessages, 0);
  });
});
