import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { encodeFrame, MsgId, parseBody } from '@parley/protocol/codec';
import { WebSocketTransport, type WebSocketConstructor } from '../src/transport/websocket-transport';

// A tiny server speaking the one-frame-per-message rule until the chat servers' WebSocket listener lands:
// it answers each Ping frame with a Pong frame, and a `{"bad":…}` trigger with hostile messages.
let server: WebSocketServer;
let url = '';

before(async () => {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  server.on('connection', (socket) => {
    socket.on('message', (data: RawData) => {
      const bytes = data as Buffer;
      const id = bytes.readUInt16BE(0);
      if (id === MsgId.Ping) socket.send(encodeFrame(MsgId.Pong, { serverTime: 42 }));
      if (id === MsgId.LoginReq) {
        const trigger = (parseBody({ id, body: bytes.subarray(6) }) as { token: string }).token;
        if (trigger === 'split') socket.send(encodeFrame(MsgId.Pong, { serverTime: 1 }).subarray(0, 8));
        if (trigger === 'two') socket.send(Buffer.concat([encodeFrame(MsgId.Pong, { serverTime: 1 }), encodeFrame(MsgId.Pong, { serverTime: 2 })]));
        if (trigger === 'text') socket.send('hello');
      }
    });
  });
  await new Promise((resolve) => server.once('listening', resolve));
  const address = server.address() as { port: number };
  url = WebSocketTransport.urlFor({ host: '127.0.0.1', tcpPort: 1, wsPort: address.port }) as string;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const Ws = WebSocket as unknown as WebSocketConstructor;

test('each binary message carries one frame: a Ping frame gets a Pong frame back', async () => {
  const t = new WebSocketTransport(Ws, url);
  await t.connect();
  const frame = new Promise<{ id: number; body: Buffer }>((resolve) => t.onFrame(resolve));
  t.send(encodeFrame(MsgId.Ping, {}));
  const got = await frame;
  assert.equal(got.id, MsgId.Pong);
  assert.deepEqual(parseBody(got), { serverTime: 42 });
  const closed = new Promise<Error | undefined>((resolve) => t.onClose(resolve));
  t.close();
  assert.equal(await closed, undefined);
  assert.throws(() => t.send(encodeFrame(MsgId.Ping, {})), /closed/);
});

for (const [trigger, why] of [
  ['split', /does not match|shorter/],
  ['two', /does not match/],
  ['text', /non-binary/],
] as const) {
  test(`a message that is not exactly one frame (${trigger}) closes the transport with an error and delivers nothing`, async () => {
    const t = new WebSocketTransport(Ws, url);
    await t.connect();
    const frames: number[] = [];
    t.onFrame((f) => frames.push(f.id));
    const closed = new Promise<Error | undefined>((resolve) => t.onClose(resolve));
    t.send(encodeFrame(MsgId.LoginReq, { reqId: 1, uid: 1, token: trigger }));
    const error = await closed;
    assert.match(String(error?.message), why);
    assert.deepEqual(frames, []);
  });
}

test('a frame longer than the limit is refused', async () => {
  const t = new WebSocketTransport(Ws, url, { maxFrameBytes: 5 });
  await t.connect();
  const closed = new Promise<Error | undefined>((resolve) => t.onClose(resolve));
  t.send(encodeFrame(MsgId.Ping, {}));
  assert.equal((await closed)?.name, 'FrameTooLargeError');
});

test('a refused connection rejects connect()', async () => {
  const t = new WebSocketTransport(Ws, 'ws://127.0.0.1:1/');
  await assert.rejects(t.connect(), /Could not connect/);
});
