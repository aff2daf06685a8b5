import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { encodeFrame, fileFrameLimit, MsgId, type FileServerMessage } from '@parley/protocol';
import type { RunningFileServer } from '../src';
import { FileTestBed, type TestUser } from './support/file-fixtures';
import { WsFileClient } from './support/ws-file-client';

// Issue 9: the browser's file transfer. Upload and download over the file server's WebSocket
// port, byte-identical, resumed after a cut, interchangeable with TCP; hostile messages closed.
let bed: FileTestBed;
let server: RunningFileServer;
const CHUNK = 64 * 1024;

before(async () => {
  bed = await FileTestBed.create({ chunk_bytes: CHUNK });
  server = await bed.start();
});

after(async () => {
  await bed?.stop();
});

const isAck = (fileId: number, offset: number) => (m: FileServerMessage) => m.id === MsgId.UploadChunkAck && m.msg.fileId === fileId && m.msg.offset === offset;

/** Sends bytes[from, to) in chunks and waits for the ack of the last one. */
async function sendRange(client: WsFileClient, fileId: number, bytes: Buffer, from: number, to: number): Promise<void> {
  for (let offset = from; offset < to; offset += CHUNK) client.sendChunk(fileId, offset, bytes.subarray(offset, Math.min(offset + CHUNK, to)));
  await client.next(isAck(fileId, to));
}

async function initUpload(client: WsFileClient, file: { bytes: Buffer; sha256: string }, reqId: number): Promise<{ fileId: number; offset: number }> {
  const mark = client.frames.length;
  client.send(encodeFrame(MsgId.UploadInitReq, { reqId, name: 'ws.bin', size: file.bytes.length, sha256: file.sha256, mime: 'application/octet-stream' }));
  const resp = await client.next((m) => m.id === MsgId.UploadInitResp || m.id === MsgId.Error, mark);
  if (resp.id !== MsgId.UploadInitResp) throw new Error(`UploadInitReq failed: ${JSON.stringify(resp.msg)}`);
  assert.equal(resp.msg.chunkBytes, CHUNK);
  return { fileId: resp.msg.fileId, offset: resp.msg.offset };
}

/** Downloads from `offset`; stops (cuts) after `cutAfter` bytes if given. Returns the bytes received. */
async function download(user: TestUser, fileId: number, offset: number, cutAfter?: number): Promise<Buffer> {
  const client = await WsFileClient.loggedIn(server.wsPort, user);
  client.send(encodeFrame(MsgId.DownloadReq, { reqId: 5, fileId, offset }));
  const resp = await client.next((m) => m.id === MsgId.DownloadResp);
  const size = resp.id === MsgId.DownloadResp ? resp.msg.size : 0;
  const parts: Buffer[] = [];
  let got = offset;
  const deadline = Date.now() + 10_000;
  let seen = 0;
  while (got < size && (cutAfter === undefined || got - offset < cutAfter) && Date.now() < deadline) {
    for (; seen < client.frames.length; seen++) {
      const f = client.frames[seen]!;
      if (f.id !== MsgId.DownloadChunk) continue;
      assert.equal(f.msg.offset, got, 'chunks arrive in order, without gaps');
      parts.push(f.data);
      got += f.data.length;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.equal(client.badMessages, 0, 'every server message is exactly one frame');
  client.destroy();
  return Buffer.concat(parts);
}

describe('file transfer over WebSocket', () => {
  it('listens on the ws port it reports', () => {
    assert.ok(server.wsPort > 0 && server.wsPort !== server.tcpPort);
  });

  it('uploads with a cut and a resume, then downloads with a cut and a resume, byte-identical', async () => {
    const user = await bed.user();
    const file = bed.localFile('ws-up.bin', 20 * CHUNK + 777);
    const half = 10 * CHUNK;

    const first = await WsFileClient.loggedIn(server.wsPort, user);
    const { fileId, offset } = await initUpload(first, file, 2);
    assert.equal(offset, 0);
    await sendRange(first, fileId, file.bytes, 0, half);
    first.destroy();
    await first.closed;

    const second = await WsFileClient.loggedIn(server.wsPort, user);
    let resumed: { fileId: number; offset: number } | undefined;
    for (let i = 0; i < 50 && (resumed === undefined || resumed.offset === 0); i++) {
      resumed = await initUpload(second, file, 3 + i);
      if (resumed.offset === 0) await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(resumed?.fileId, fileId, 'the same upload');
    const from = resumed?.offset ?? 0;
    assert.ok(from > 0 && from <= half, `resumed at ${from}, not from the start`);
    const mark = second.frames.length;
    await sendRange(second, fileId, file.bytes, from, file.bytes.length);
    const done = await second.next((m) => m.id === MsgId.UploadDone, mark);
    assert.equal(done.id === MsgId.UploadDone ? done.msg.sha256 : '', file.sha256);
    assert.equal(second.badMessages, 0);
    second.destroy();

    const head = await download(user, fileId, 0, 5 * CHUNK);
    assert.ok(head.length >= 5 * CHUNK && head.length < file.bytes.length, 'the first download was cut');
    const rest = await download(user, fileId, head.length);
    const whole = Buffer.concat([head, rest]);
    assert.equal(whole.length, file.bytes.length);
    assert.equal(createHash('sha256').update(whole).digest('hex'), file.sha256);
    assert.ok(whole.equals(file.bytes));
  });

  it('serves over TCP what was uploaded over WebSocket, and the other way round', async () => {
    const user = await bed.user();
    const up = bed.localFile('ws-to-tcp.bin', 3 * CHUNK + 5);
    const client = await WsFileClient.loggedIn(server.wsPort, user);
    const { fileId } = await initUpload(client, up, 2);
    await sendRange(client, fileId, up.bytes, 0, up.bytes.length);
    // The last ack means written; UploadDone means verified and stored.
    await client.next((m) => m.id === MsgId.UploadDone);
    client.destroy();
    const transfers = bed.transfers(user, server);
    const target = bed.path('ws-to-tcp.copy');
    await transfers.download(fileId, target);
    assert.ok(readFileSync(target).equals(up.bytes));

    const down = bed.localFile('tcp-to-ws.bin', 2 * CHUNK + 9);
    const uploaded = await transfers.upload(down.path, { name: 'tcp-to-ws.bin', mime: 'application/octet-stream' });
    await transfers.close();
    assert.ok((await download(user, uploaded.fileId, 0)).equals(down.bytes));
  });
});

describe('hostile input on the file WebSocket', () => {
  it('closes on a text message (1003), two frames in one message (1002), and a message over the limit (1009)', async () => {
    const user = await bed.user();
    const text = await WsFileClient.loggedIn(server.wsPort, user);
    text.ws.send('hello');
    assert.deepEqual(await text.closedWith(), { code: 'MALFORMED_FRAME', close: 1003 });

    const two = await WsFileClient.loggedIn(server.wsPort, user);
    two.send(Buffer.concat([encodeFrame(MsgId.Ping, {}), encodeFrame(MsgId.Ping, {})]));
    assert.deepEqual(await two.closedWith(), { code: 'MALFORMED_FRAME', close: 1002 });

    const big = await WsFileClient.loggedIn(server.wsPort, user);
    const length = fileFrameLimit(CHUNK) + 1;
    const frame = Buffer.alloc(6 + length);
    frame.writeUInt16BE(MsgId.UploadChunk, 0);
    frame.writeUInt32BE(length, 2);
    big.send(frame);
    assert.equal(await big.closed, 1009);

    // The server carries on.
    const ok = await WsFileClient.loggedIn(server.wsPort, user);
    ok.destroy();
  });
});
