import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import {
  ChatClient,
  ConnectionClosedError,
  MsgId,
  ProtocolError,
  RequestTimeoutError,
  TlvDecoder,
  ValidationError,
  encodeFrame,
  parseBody,
} from '../src/index';
import type { ConnectionStatus, PushArgs } from '../src/index';

interface Received {
  id: number;
  msg: Record<string, unknown>;
}

type Handler = (frame: Received, reply: (id: number, body: object) => void, socket: net.Socket) => void;

interface TestServer {
  port: number;
  close(): Promise<void>;
}

/** A scripted chat server: decodes frames and lets each test decide how to answer. */
async function startServer(handler: Handler): Promise<TestServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const decoder = new TlvDecoder({ maxBodyBytes: 1 << 20 });
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        const msg = parseBody(frame) as Record<string, unknown>;
        handler({ id: frame.id, msg }, (id, body) => socket.write(encodeFrame(id, body)), socket);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function setup(handler: Handler, client = new ChatClient({ heartbeat: false })): Promise<ChatClient> {
  const server = await startServer(handler);
  cleanups.push(() => server.close());
  cleanups.push(() => client.destroy());
  await client.connect('127.0.0.1', server.port);
  return client;
}

// A broken client tends to hang rather than throw; the timeout turns that into a failure.
const T = { timeout: 2000 };

const user = (uid: number, name: string) => ({ uid, name, nickname: name, avatar: '' });

describe('ChatClient', () => {
  it('matches responses to requests by reqId when they arrive out of order', T, async () => {
    const held: Received[] = [];
    const client = await setup((frame, reply) => {
      held.push(frame);
      if (held.length < 3) return;
      // Answer in reverse order, with an unrelated push in the middle.
      for (const f of held.reverse()) {
        reply(MsgId.SearchUserResp, { reqId: f.msg.reqId, users: [user(Number(f.msg.reqId), String(f.msg.query))] });
        if (f === held[0]) {
          reply(MsgId.MessagePush, { conversationId: 9, seq: 1, senderUid: 2, clientMsgId: 'c', type: 'text', body: 'hi', serverTime: 1 });
        }
      }
    });
    const pushes: PushArgs[] = [];
    client.on('push', (...args) => pushes.push(args));

    const results = await Promise.all(['ann', 'bob', 'cy'].map((query) => client.request(MsgId.SearchUserReq, { query })));
    assert.deepEqual(
      results.map((r) => r.users[0]?.name),
      ['ann', 'bob', 'cy'],
    );
    assert.equal(new Set(results.map((r) => r.reqId)).size, 3, 'each request got its own reqId');
    assert.equal(pushes.length, 1);
    const [id, msg] = pushes[0] ?? assert.fail('no push');
    assert.equal(id, MsgId.MessagePush);
    if (id === MsgId.MessagePush) assert.equal(msg.body, 'hi');
    assert.equal(client.pendingRequests, 0);
  });

  it('rejects with the server code when an Error frame answers the request', T, async () => {
    const client = await setup((frame, reply) => {
      if (frame.id === MsgId.FriendDeleteReq) {
        reply(MsgId.Error, { reqId: frame.msg.reqId, code: 'NOT_FRIENDS', message: 'not your friend' });
      } else {
        reply(MsgId.FriendListResp, { reqId: frame.msg.reqId, friends: [] });
      }
    });
    const failing = client.request(MsgId.FriendDeleteReq, { uid: 5 });
    const passing = client.request(MsgId.FriendListReq, {});
    await assert.rejects(failing, (err: unknown) => {
      assert.ok(err instanceof ProtocolError);
      assert.equal(err.code, 'NOT_FRIENDS');
      assert.equal(err.message, 'not your friend');
      assert.equal(typeof err.reqId, 'number');
      return true;
    });
    assert.deepEqual((await passing).friends, []);
  });

  it('times out a request nobody answers and forgets it', T, async () => {
    const client = await setup(() => undefined);
    const started = Date.now();
    await assert.rejects(client.request(MsgId.SyncReq, {}, { timeoutMs: 50 }), (err: unknown) => {
      assert.ok(err instanceof RequestTimeoutError);
      assert.equal(err.code, 'UNAVAILABLE');
      return true;
    });
    assert.ok(Date.now() - started >= 45);
    assert.equal(client.pendingRequests, 0);
  });

  it('logs in, pings, and reports status changes and close', T, async () => {
    const statuses: ConnectionStatus[] = [];
    const client = new ChatClient({ heartbeat: false });
    client.on('status', (s) => statuses.push(s));
    await setup((frame, reply, socket) => {
      if (frame.id === MsgId.LoginReq) {
        reply(MsgId.LoginResp, { reqId: frame.msg.reqId, uid: frame.msg.uid, serverId: 'chat-1', serverTime: 1, heartbeatSec: 30 });
      } else if (frame.id === MsgId.Ping) {
        reply(MsgId.Pong, { serverTime: 42 });
      } else if (frame.id === MsgId.PullReq) {
        socket.destroy();
      }
    }, client);

    const login = await client.login(7, 'token');
    assert.equal(login.serverId, 'chat-1');
    assert.equal(client.uid, 7);
    assert.equal((await client.ping({ timeoutMs: 1000 })).serverTime, 42);

    const closed = once(client, 'close');
    await assert.rejects(client.pull(9, 0), ConnectionClosedError);
    await closed;
    assert.deepEqual(statuses, ['connecting', 'connected', 'disconnected']);
    await assert.rejects(client.request(MsgId.FriendListReq, {}), ConnectionClosedError);
    assert.throws(() => client.ackDelivered(9, 1), ConnectionClosedError);
  });

  it('rejects a response that fails its schema with ValidationError', T, async () => {
    const client = await setup((frame, reply) => {
      reply(MsgId.SendAck, { reqId: frame.msg.reqId, clientMsgId: 'c', conversationId: 'nine', seq: 1, serverTime: 1 });
    });
    await assert.rejects(client.sendMessage({ to: 2 }, 'hi'), (err: unknown) => {
      assert.ok(err instanceof ValidationError);
      assert.ok(err.issues.some((i) => i.path === 'conversationId'));
      return true;
    });
  });

  it('drops the connection on an oversized frame from the server', T, async () => {
    const client = await setup(
      (frame, reply) => reply(MsgId.FriendListResp, { reqId: frame.msg.reqId, friends: Array.from({ length: 50 }, (_, i) => ({ ...user(i + 1, 'x'), online: false, conversationId: 1 })) }),
      new ChatClient({ heartbeat: false, maxFrameBytes: 256 }),
    );
    const errors: ProtocolError[] = [];
    client.on('protocolError', (e) => errors.push(e));
    await assert.rejects(client.request(MsgId.FriendListReq, {}), ConnectionClosedError);
    assert.equal(errors[0]?.code, 'FRAME_TOO_LARGE');
    assert.equal(client.status, 'disconnected');
  });

  it('fails to connect with ConnectionClosedError', T, async () => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    server.close();
    await once(server, 'close');
    const client = new ChatClient();
    await assert.rejects(client.connect('127.0.0.1', port), ConnectionClosedError);
    assert.equal(client.status, 'disconnected');
  });
});
