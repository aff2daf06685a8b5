import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '@parley/common';
import { encodeFrame, encodeFrameRaw, MsgId } from '@parley/protocol';
import { ClientConnection } from '../src/session/client-connection';
import { behindReading } from '../src/messaging/send-admission';
import { READ_BYTES_PER_TURN, READ_BYTES_PER_TURN_ALL, readTurns } from '../src/session/read-throttle';
import { WriteScheduler } from '../src/session/write-scheduler';

// A client that floods requests and never reads its answers must stall on its own TCP window:
// the server stops reading it once pauseReadingAboveBytes of answers wait, instead of answering
// (and buffering) everything it sent. Real sockets; each Ping is answered with a 4 KiB frame.
const logger = createLogger({ kind: 'chat', id: 'test', level: 'silent' });
const ANSWER = encodeFrameRaw(MsgId.Pong, Buffer.from(JSON.stringify({ serverTime: 1, pad: 'x'.repeat(4096) })));
const PAUSE_ABOVE = 64 * 1024;

let server: net.Server;
let conn: ClientConnection | undefined;
let answered = 0;
/** How long the login check takes (the second test makes frames queue behind it). */
let loginMs = 0;

before(async () => {
  server = net.createServer((socket) => {
    conn = new ClientConnection(socket, {
      maxFrameBytes: 1 << 20,
      preLoginMaxFrameBytes: 4096,
      loginTimeoutMs: 10_000,
      maxBufferedBytes: 64 << 20,
      pauseReadingAboveBytes: PAUSE_ABOVE,
      maxQueuedDuringLogin: 64,
      maxInFlight: 256,
      scheduler: new WriteScheduler(),
      handlers: {
        login: () => new Promise((resolve) => setTimeout(() => resolve(true), loginMs)),
        dispatch: (c) => {
          answered++;
          c.write(ANSWER);
        },
        closed: () => undefined,
      },
      logger,
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

after(async () => {
  conn?.destroy();
  await new Promise((resolve) => server.close(resolve));
});

describe('ReadThrottle on a client connection', () => {
  it('stops reading a client that does not read its answers, and reads it again once it does', async () => {
    const { port } = server.address() as net.AddressInfo;
    const client = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => client.once('connect', resolve));
    client.write(encodeFrame(MsgId.LoginReq, { reqId: 1, uid: 1, token: 't' }));
    await new Promise((r) => setTimeout(r, 50));
    client.pause(); // reads nothing from now on
    const ping = encodeFrame(MsgId.Ping, {});
    const flood = Buffer.concat(Array.from({ length: 100_000 }, () => ping)); // 100,000 requests, ~1 MiB
    client.write(flood);
    // Wait until the server stops making progress.
    let last = -1;
    while (answered !== last) {
      last = answered;
      await new Promise((r) => setTimeout(r, 200));
    }
    const buffered = conn?.socket.writableLength ?? 0;
    assert.ok(answered <= 20_000, `the server stopped answering (${answered} of 100,000 answered)`);
    // What waits in the server: at most the pause threshold plus the answers to one chunk read (64 KiB of Pings).
    const oneChunk = Math.ceil((64 * 1024) / ping.length) * ANSWER.length;
    assert.ok(buffered <= PAUSE_ABOVE + oneChunk, `${buffered} bytes buffered (bound ${PAUSE_ABOVE + oneChunk})`);
    assert.ok(conn?.socket.isPaused(), 'the server socket is not being read');
    // The client reads: everything gets answered.
    let received = 0;
    client.on('data', (chunk: Buffer) => (received += chunk.length));
    client.resume();
    while (answered < 100_000) await new Promise((r) => setTimeout(r, 50));
    assert.equal(answered, 100_000);
    client.destroy();
    assert.ok(received > 0);
  });

  it('reads a client paused by the read budget again once its login completes', async () => {
    answered = 0;
    loginMs = 200;
    const { port } = server.address() as net.AddressInfo;
    const client = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => client.once('connect', resolve));
    client.on('data', () => undefined);
    // LoginReq and 80 KiB of requests behind it in one write: more than one turn's read budget
    // arrives while the login is still being checked.
    const sends = Array.from({ length: 10 }, (_, i) => encodeFrame(MsgId.SendReq, { reqId: i + 2, to: 2, clientMsgId: `c${i}`, type: 'text', body: 'y'.repeat(8000) }));
    client.write(Buffer.concat([encodeFrame(MsgId.LoginReq, { reqId: 1, uid: 1, token: 't' }), ...sends]));
    const until = Date.now() + 5000;
    while (answered < 10 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.equal(answered, 10, 'every request queued behind the login was handled');
    client.write(encodeFrame(MsgId.Ping, {}));
    while (answered < 11 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.equal(answered, 11, 'and the socket is read afterwards');
    client.destroy();
  });

  it('counts the turns in which all clients together sent more than a turn may read: the send admission sees the server behind', async () => {
    // A server of its own that answers nothing, so only the read budget stops reading.
    const quietServer = net.createServer((socket) => {
      const c = new ClientConnection(socket, {
        maxFrameBytes: 1 << 20,
        preLoginMaxFrameBytes: 4096,
        loginTimeoutMs: 10_000,
        maxBufferedBytes: 64 << 20,
        maxQueuedDuringLogin: 64,
        maxInFlight: 1 << 20,
        scheduler: new WriteScheduler(),
        handlers: { login: async () => true, dispatch: () => undefined, closed: () => undefined },
        logger,
      });
      socket.once('close', () => c.destroy());
    });
    await new Promise<void>((resolve) => quietServer.listen(0, '127.0.0.1', resolve));
    const { port } = quietServer.address() as net.AddressInfo;
    const clients: net.Socket[] = [];
    try {
      const behind = behindReading(0.01);
      const ping = encodeFrame(MsgId.Ping, {});
      const open = async () => {
        const client = net.connect(port, '127.0.0.1');
        clients.push(client);
        await new Promise<void>((resolve) => client.once('connect', resolve));
        client.write(encodeFrame(MsgId.LoginReq, { reqId: 1, uid: 1, token: 't' }));
        return client;
      };
      const first = await open();
      first.write(ping);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(behind(), false, 'a few bytes: nothing waits');
      const before = readTurns();
      // Twice the all-clients budget at once, from enough clients that their per-client allowance does not stop them first.
      const count = Math.ceil((2 * READ_BYTES_PER_TURN_ALL) / READ_BYTES_PER_TURN) + 4;
      while (clients.length < count) await open();
      await new Promise((r) => setTimeout(r, 100));
      const share = Buffer.concat(Array.from({ length: Math.ceil((2 * READ_BYTES_PER_TURN) / ping.length) }, () => ping));
      for (const c of clients) c.write(share);
      await new Promise((r) => setTimeout(r, 300));
      assert.ok(readTurns().exhausted > before.exhausted, `turns that ran out of budget: ${readTurns().exhausted - before.exhausted}`);
      assert.equal(behind(), true);
      assert.equal(behind(), false, 'and not once it has caught up');
      // Steady small traffic from every client afterwards: the queue the burst formed must not
      // outlive it (reserving each resumed client's allowance once kept it, and the server
      // "behind", for as long as anyone kept sending).
      for (let round = 0; round < 25; round++) {
        for (const c of clients) c.write(ping);
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(behind(), false, 'small frames after the burst: not behind');
    } finally {
      for (const c of clients) c.destroy();
      await new Promise((resolve) => quietServer.close(resolve));
    }
  });
});
