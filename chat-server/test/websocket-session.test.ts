import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger, type ParleyConfig, type RunningServer } from '@parley/common';
import { createTestEnv, type TestEnv } from '@parley/common/testing';
import { ChatClient, encodeFrame, MsgId, type ChatMessage } from '@parley/protocol';
import { startChatServer } from '../src/index';
import { befriend, userWithToken } from './support/fixtures';
import { RawSocket } from './support/raw-socket';
import { WsRaw } from './support/ws-raw';

// Issue 9: a chat server's WebSocket clients log in, chat with TCP clients both ways, keep the same
// heartbeat and login deadline, share the admission caps, and are told to reconnect at shutdown.
let env: TestEnv;
let server: RunningServer;
let capped: RunningServer;
const LOGIN_TIMEOUT_MS = 400;

function withChat(config: ParleyConfig, chat: Partial<ParleyConfig['chat']>): ParleyConfig {
  return { ...config, chat: { ...config.chat, ...chat } };
}

const logger = (id: string) => createLogger({ kind: 'chat', id, level: 'silent' });
const tcp = (s: RunningServer) => s.ready.tcpPort as number;
const ws = (s: RunningServer) => s.ready.wsPort as number;

before(async () => {
  env = await createTestEnv({
    chatServers: [
      { id: 'chat1', tcpPort: 0, grpcPort: 0 },
      { id: 'chat2', tcpPort: 0, grpcPort: 0 },
      { id: 'chat3', tcpPort: 0, grpcPort: 0 },
    ],
  });
  server = await startChatServer({ config: withChat(env.config, { loginTimeoutMs: LOGIN_TIMEOUT_MS }), logger: logger('chat1'), id: 'chat1' });
  capped = await startChatServer({
    config: withChat(env.config, { maxUnauthenticatedPerIp: 3, heartbeatSec: 1, wsAllowedOrigins: 'https://app.example, http://127.0.0.1:5173' }),
    logger: logger('chat2'),
    id: 'chat2',
  });
});

after(async () => {
  await server?.stop();
  await capped?.stop();
  await env?.cleanup();
});

async function tcpClient(user: { uid: number; token: string }): Promise<ChatClient> {
  const client = new ChatClient({ heartbeat: false });
  await client.connect('127.0.0.1', tcp(server));
  await client.login(user.uid, user.token);
  return client;
}

describe('WebSocket sessions', () => {
  it('listens on the ws port it reports (port 0 → a real port)', () => {
    assert.ok(ws(server) > 0 && ws(server) !== tcp(server));
  });

  it('logs in over WebSocket and chats with a TCP user in both directions', async () => {
    const a = await userWithToken(env.pool, env.redis);
    const b = await userWithToken(env.pool, env.redis);
    const conversationId = await befriend(env.pool, a.uid, b.uid);
    const wsUser = await WsRaw.open(ws(server));
    const login = await wsUser.login(a.uid, a.token);
    assert.equal(login.id, MsgId.LoginResp);
    const tcpUser = await tcpClient(b);
    const pushes: ChatMessage[] = [];
    tcpUser.on('push', (id, msg) => {
      if (id === MsgId.MessagePush) pushes.push(msg);
    });

    // WebSocket → TCP.
    const mark = wsUser.frames.length;
    wsUser.send(encodeFrame(MsgId.SendReq, { reqId: 2, to: b.uid, clientMsgId: 'ws-1', type: 'text', body: 'hello from the browser' }));
    const ack = await wsUser.nextOf(MsgId.SendAck, mark);
    assert.equal(ack.id === MsgId.SendAck ? ack.msg.conversationId : 0, conversationId);
    const deadline = Date.now() + 5000;
    while (pushes.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(pushes.map((m) => [m.senderUid, m.body]), [[a.uid, 'hello from the browser']]);

    // TCP → WebSocket.
    const mark2 = wsUser.frames.length;
    await tcpUser.sendMessage({ to: a.uid }, 'hello from the desktop');
    const push = await wsUser.nextOf(MsgId.MessagePush, mark2);
    assert.deepEqual(push.id === MsgId.MessagePush ? [push.msg.senderUid, push.msg.body, push.msg.conversationId] : [], [b.uid, 'hello from the desktop', conversationId]);
    assert.equal(wsUser.badMessages, 0, 'every server message is exactly one frame');
    await tcpUser.close();
    wsUser.destroy();
  });

  it('answers Ping with Pong, and pipelined frames behind the LoginReq wait for it', async () => {
    const a = await userWithToken(env.pool, env.redis);
    const client = await WsRaw.open(ws(server));
    client.send(encodeFrame(MsgId.LoginReq, { reqId: 1, uid: a.uid, token: a.token }));
    client.send(encodeFrame(MsgId.Ping, {}));
    assert.equal((await client.next(0)).id, MsgId.LoginResp);
    assert.equal((await client.next(1)).id, MsgId.Pong);
    client.destroy();
  });

  it('does not answer WebSocket ping control frames (the heartbeat is the Ping frame)', async () => {
    const a = await userWithToken(env.pool, env.redis);
    const client = await WsRaw.open(ws(server));
    await client.login(a.uid, a.token);
    let pongs = 0;
    client.ws.on('pong', () => pongs++);
    for (let i = 0; i < 10; i++) client.ws.ping();
    const mark = client.frames.length;
    client.send(encodeFrame(MsgId.Ping, {}));
    assert.equal((await client.next(mark)).id, MsgId.Pong, 'the frame after the pings is answered');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(pongs, 0);
    assert.equal(client.isClosed, false);
    client.destroy();
  });

  it('closes a WebSocket with no LoginReq by the login deadline (LOGIN_TIMEOUT, then close 1000)', async () => {
    const started = Date.now();
    const client = await WsRaw.open(ws(server));
    const { code, close } = await client.closedWith();
    assert.equal(code, 'LOGIN_TIMEOUT');
    assert.equal(close, 1000);
    assert.ok(Date.now() - started >= LOGIN_TIMEOUT_MS - 50);
  });

  it('rejects a first frame that is not LoginReq, and a bad token, as TCP does', async () => {
    const first = await WsRaw.open(ws(server));
    first.send(encodeFrame(MsgId.Ping, {}));
    assert.equal((await first.closedWith()).code, 'LOGIN_REQUIRED');
    const a = await userWithToken(env.pool, env.redis);
    const badWs = await WsRaw.open(ws(server));
    const badTcp = await RawSocket.open(tcp(server));
    const [wsAnswer, tcpAnswer] = await Promise.all([badWs.login(a.uid, 'x'.repeat(64)), badTcp.login(a.uid, 'x'.repeat(64))]);
    assert.equal(wsAnswer.id, MsgId.Error);
    assert.deepEqual(wsAnswer.id === MsgId.Error && tcpAnswer.id === MsgId.Error ? wsAnswer.msg.code : undefined, tcpAnswer.id === MsgId.Error ? tcpAnswer.msg.code : 'none');
    badWs.destroy();
    badTcp.destroy();
  });
});

describe('WebSocket and the session rules shared with TCP', () => {
  it('counts unauthenticated WebSockets and TCP sockets against the same per-IP cap', async () => {
    const held = [await RawSocket.open(tcp(capped)), await WsRaw.open(ws(capped)), await RawSocket.open(tcp(capped))];
    const refused = await WsRaw.open(ws(capped));
    assert.equal((await refused.closedWith()).code, 'TOO_MANY_CONNECTIONS');
    const refusedTcp = await RawSocket.open(tcp(capped));
    assert.equal(await refusedTcp.closedWith(), 'TOO_MANY_CONNECTIONS');
    // One logs in: its place is free again, for either transport.
    const user = await userWithToken(env.pool, env.redis);
    assert.equal((await (held[1] as WsRaw).login(user.uid, user.token)).id, MsgId.LoginResp);
    const admitted = await WsRaw.open(ws(capped));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(admitted.isClosed, false);
    for (const h of [...held, admitted]) h.destroy();
  });

  it('closes a silent WebSocket after 3 heartbeats and keeps one that pings', async () => {
    const [a, b] = [await userWithToken(env.pool, env.redis), await userWithToken(env.pool, env.redis)];
    const silent = await WsRaw.open(ws(capped));
    const pinging = await WsRaw.open(ws(capped));
    await silent.login(a.uid, a.token);
    await pinging.login(b.uid, b.token);
    const timer = setInterval(() => pinging.send(encodeFrame(MsgId.Ping, {})), 400);
    try {
      const started = Date.now();
      await silent.closed;
      assert.ok(Date.now() - started >= 2000, 'not before 3 heartbeats of silence');
      assert.equal(pinging.isClosed, false);
      assert.ok(pinging.frames.some((f) => f.id === MsgId.Pong));
    } finally {
      clearInterval(timer);
      pinging.destroy();
    }
  });

  it('lets in browsers from allowed origins only (and clients that send no Origin)', async () => {
    const ok = await WsRaw.open(ws(capped), { origin: 'https://app.example' });
    const noOrigin = await WsRaw.open(ws(capped));
    await assert.rejects(WsRaw.open(ws(capped), { origin: 'https://evil.example' }), /403/);
    ok.destroy();
    noOrigin.destroy();
  });

  it('answers a plain HTTP request with 426', async () => {
    const res = await fetch(`http://127.0.0.1:${ws(server)}/`);
    assert.equal(res.status, 426);
  });

  it('sends Reconnect to WebSocket sessions at shutdown, then closes them with 1000', async () => {
    const third = await startChatServer({ config: env.config, logger: logger('chat3'), id: 'chat3' });
    const user = await userWithToken(env.pool, env.redis);
    const client = await WsRaw.open(ws(third));
    await client.login(user.uid, user.token);
    await third.stop();
    const reconnect = client.frames.find((f) => f.id === MsgId.Reconnect);
    assert.equal(reconnect?.id === MsgId.Reconnect ? reconnect.msg.reason : undefined, 'server_shutdown');
    assert.equal(await client.closed, 1000);
  });
});
