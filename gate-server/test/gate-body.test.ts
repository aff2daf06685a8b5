/**
 * How the gate reads request bodies, seen from raw sockets where timing matters: an over-limit body is
 * refused before it is sent (announced) or as soon as it passes the limit (chunked), and a compressed
 * body is a client error, never a 500.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { Backing, expectError, request, startGate, type Gate } from './support';

const LIMIT = 2048;
let backing: Backing;
let gate: Gate;

before(async () => {
  backing = await Backing.start();
  gate = await startGate(backing, { bodyLimitBytes: LIMIT });
});

after(async () => {
  await gate?.stop();
  await backing?.stop();
});

interface RawExchange {
  /** Everything the server sent before closing (or before the wait ended). */
  answer: string;
  /** Body bytes the client had written when the first byte of the answer arrived. */
  sentWhenAnswered: number;
}

/**
 * Sends `head` then keeps writing body pieces from `piece()` every few ms (while the socket takes them)
 * until the server answers, `total` bytes are sent, or `waitMs` pass.
 */
function rawExchange(head: string, piece: (sent: number) => Buffer | undefined, waitMs = 3000): Promise<RawExchange> {
  const port = Number(new URL(gate.url).port);
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1');
    let answer = '';
    let sent = 0;
    let sentWhenAnswered = -1;
    const finish = () => {
      clearTimeout(timer);
      clearInterval(pump);
      socket.destroy();
      resolve({ answer, sentWhenAnswered });
    };
    socket.on('error', () => undefined);
    socket.on('data', (d: Buffer) => {
      if (sentWhenAnswered < 0) sentWhenAnswered = sent;
      answer += d.toString('latin1');
    });
    socket.on('close', finish);
    socket.write(head);
    const pump = setInterval(() => {
      if (sentWhenAnswered >= 0 || socket.destroyed || socket.writableNeedDrain) return;
      const next = piece(sent);
      if (!next) return;
      sent += next.length;
      socket.write(next);
    }, 2);
    const timer = setTimeout(finish, waitMs);
  });
}

function statusOf(answer: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
}

function errorCodeOf(answer: string): string | undefined {
  const body = answer.slice(answer.indexOf('\r\n\r\n') + 4);
  // A chunked answer carries the JSON inside chunk framing; the code is all we need.
  return /"code":"([A-Z_]+)"/.exec(body)?.[1];
}

describe('over-limit bodies are refused before they are read', () => {
  test('Content-Length over the limit: 413 at once, while the client has sent almost nothing of 10 MB', async () => {
    const announced = 10 * 1024 * 1024;
    const head = `POST /api/login HTTP/1.1\r\nHost: gate\r\nContent-Type: application/json\r\nContent-Length: ${announced}\r\n\r\n`;
    const res = await rawExchange(head, (sent) => (sent < announced ? Buffer.alloc(16 * 1024, 0x20) : undefined));
    assert.equal(statusOf(res.answer), 413, res.answer.slice(0, 200));
    assert.equal(errorCodeOf(res.answer), 'PAYLOAD_TOO_LARGE');
    assert.match(res.answer, /\r\nconnection: close\r\n/i);
    assert.ok(res.sentWhenAnswered >= 0 && res.sentWhenAnswered < 1024 * 1024, `answered after ${res.sentWhenAnswered} bytes of ${announced}`);
  });

  test('chunked without end: 413 as soon as the body passes the limit, and the connection is closed', async () => {
    const head = 'POST /api/login HTTP/1.1\r\nHost: gate\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n';
    const chunk = Buffer.from(`400\r\n${' '.repeat(0x400)}\r\n`, 'latin1');
    const res = await rawExchange(head, () => chunk);
    assert.equal(statusOf(res.answer), 413, res.answer.slice(0, 200));
    assert.equal(errorCodeOf(res.answer), 'PAYLOAD_TOO_LARGE');
    assert.ok(res.sentWhenAnswered >= 0 && res.sentWhenAnswered < 64 * 1024, `answered after ${res.sentWhenAnswered} bytes`);
  });

  test('a chunked body within the limit is read as usual', async () => {
    const json = JSON.stringify({ account: 'nobody_here', password: 'x' });
    const head = 'POST /api/login HTTP/1.1\r\nHost: gate\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n';
    let done = false;
    const res = await rawExchange(head, () => {
      if (done) return undefined;
      done = true;
      return Buffer.from(`${Buffer.byteLength(json).toString(16)}\r\n${json}\r\n0\r\n\r\n`);
    });
    assert.equal(statusOf(res.answer), 401, res.answer.slice(0, 300));
  });
});

describe('Content-Encoding', () => {
  test('gzip, deflate or br bodies are 400 BAD_REQUEST (none is accepted), never 500, and not logged as errors', async () => {
    const json = JSON.stringify({ account: 'someone', password: 'Whatever-123' });
    const cases: [string, string | Uint8Array][] = [
      ['gzip', json],
      ['gzip', new Uint8Array(gzipSync(json))],
      ['br', json],
      ['deflate', json],
      ['x-unknown', json],
    ];
    for (const [encoding, body] of cases) {
      const res = await request(gate.url, 'POST', '/api/login', body, { 'content-type': 'application/json', 'content-encoding': encoding });
      const error = expectError(res, 400, 'BAD_REQUEST');
      assert.match(error.message, /Content-Encoding/);
    }
    // identity is no encoding at all.
    expectError(await request(gate.url, 'POST', '/api/login', json, { 'content-type': 'application/json', 'content-encoding': 'identity' }), 401, 'INVALID_CREDENTIALS');
    const errors = gate.logs.filter((l) => (JSON.parse(l) as { level: number }).level >= 50);
    assert.deepEqual(errors, []);
  });

  test('a charset other than UTF-8, or bytes that are not UTF-8, are 400 BAD_REQUEST', async () => {
    expectError(await request(gate.url, 'POST', '/api/login', '{}', { 'content-type': 'application/json; charset=utf-16' }), 400, 'BAD_REQUEST');
    expectError(await request(gate.url, 'POST', '/api/login', new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d]), { 'content-type': 'application/json' }), 400, 'BAD_REQUEST');
    expectError(await request(gate.url, 'POST', '/api/login', '{}', { 'content-type': 'application/json; charset="UTF-8"' }), 400, 'VALIDATION_FAILED');
  });
});

describe('text that would be stored altered (issue 11 item 14)', () => {
  test('a lone surrogate escape anywhere in a body is 400 BAD_REQUEST; a pair is fine', async () => {
    const lone = '{"account":"ab\\uD800cd","password":"Whatever-123"}';
    const error = expectError(await request(gate.url, 'POST', '/api/login', lone, { 'content-type': 'application/json' }), 400, 'BAD_REQUEST');
    assert.match(error.message, /lone surrogate/);
    assert.deepEqual(error.details, { field: 'account' });
    const inKey = '{"x\\uDC00":1,"account":"a","password":"b"}';
    expectError(await request(gate.url, 'POST', '/api/login', inKey, { 'content-type': 'application/json' }), 400, 'BAD_REQUEST');
    const nested = '{"email":"a@b.test","code":"123456","name":"abc","password":"p","nickname":"x\\udfff"}';
    expectError(await request(gate.url, 'POST', '/api/register', nested, { 'content-type': 'application/json' }), 400, 'BAD_REQUEST');
    // An escaped pair is one character, and escaped backslashes are not escapes.
    const pair = '{"account":"nobody\\uD83C\\uDF37","password":"x\\\\uD800"}';
    expectError(await request(gate.url, 'POST', '/api/login', pair, { 'content-type': 'application/json' }), 401, 'INVALID_CREDENTIALS');
  });

  test('register refuses nicknames with format characters (bidi overrides, zero-width) as VALIDATION_FAILED', async () => {
    for (const nickname of ['\u202Eevil', 'a\u200Bb', 'x\u2066y', 'b\uFEFFom', 'soft\u00ADhyphen']) {
      const res = await request(gate.url, 'POST', '/api/register', { email: 'fmt@example.test', code: '123456', name: 'fmt_user', password: 'correct-Horse-7', nickname }, { 'content-type': 'application/json' });
      const error = expectError(res, 400, 'VALIDATION_FAILED');
      assert.deepEqual((error.details as { field: string }[]).map((d) => d.field), ['nickname'], JSON.stringify(nickname));
    }
  });
});
