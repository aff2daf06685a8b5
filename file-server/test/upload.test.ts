import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chunkFrameHead, encodeChunkFrame, FRAME_HEADER_BYTES, MsgId, type TransferProgress } from '@parley/protocol';
import type { RunningFileServer } from '../src';
import { codeOf, FileTestBed, nextFileError, until } from './support/file-fixtures';

// Uploads against a real file server (in-process), MariaDB, Redis and a private storage directory.
let bed: FileTestBed;
let server: RunningFileServer;
const MiB = 1024 * 1024;
const CHUNK = 256 * 1024;

before(async () => {
  bed = await FileTestBed.create();
  server = await bed.start();
});

after(async () => {
  await bed?.stop();
});

function blobOf(sha256: string): Buffer {
  return readFileSync(join(bed.storageDir, sha256.slice(0, 2), sha256.slice(2)));
}

describe('uploads', () => {
  it('stores a multi-MiB file under its sha256, cut mid-way and resumed from the durable offset, byte-identical', async () => {
    const user = await bed.user();
    const file = bed.localFile('cut.bin', 6 * MiB + 12345);
    const transfers = bed.transfers(user, server);
    const seen: TransferProgress[] = [];
    let cutAt = 0;
    const result = await transfers.upload(file.path, {
      mime: 'application/x-test',
      onProgress: (p) => {
        seen.push(p);
        if (cutAt === 0 && p.done >= 3 * MiB) {
          cutAt = p.done;
          transfers.connection?.destroy();
        }
      },
    });
    await transfers.close();
    assert.ok(cutAt > 0, 'the connection was cut');
    const resumedAt = seen[seen.findIndex((p) => p.done === cutAt) + 1]?.done ?? 0;
    assert.ok(resumedAt > 0, `resumed at ${resumedAt} (cut at ${cutAt}), not from 0`);
    assert.equal(seen.at(-1)?.done, file.bytes.length);
    assert.equal(seen.at(-1)?.total, file.bytes.length);
    assert.equal(result.sha256, file.sha256);
    assert.deepEqual(await bed.file(result.fileId), { state: 'complete', storedBytes: file.bytes.length, ownerUid: user.uid, size: file.bytes.length });
    assert.ok(blobOf(file.sha256).equals(file.bytes), 'the stored blob is byte-identical');
    assert.ok(!bed.storage().temps.includes(`${result.fileId}.part`), 'the temp file is gone');
  });

  it('needs no bytes for content already stored: a new complete file for another user, one stored copy', async () => {
    const [a, b] = [await bed.user(), await bed.user()];
    const file = bed.localFile('dup.bin', MiB);
    const ta = bed.transfers(a, server);
    const first = await ta.upload(file.path);
    const tb = bed.transfers(b, server);
    const progress: number[] = [];
    const second = await tb.upload(file.path, { onProgress: (p) => progress.push(p.done) });
    await Promise.all([ta.close(), tb.close()]);
    assert.notEqual(second.fileId, first.fileId);
    assert.equal((await bed.file(second.fileId))?.ownerUid, b.uid);
    assert.equal((await bed.file(second.fileId))?.state, 'complete');
    assert.deepEqual(progress, [MiB, MiB], 'complete at once');
    assert.equal(bed.storage().blobs.filter((n) => n === file.sha256).length, 1);
  });

  it('ends concurrent uploads of the same content in one stored copy, and stores concurrent different files', async () => {
    const users = [await bed.user(), await bed.user(), await bed.user()];
    const same = bed.localFile('same.bin', 3 * MiB);
    const others = [bed.localFile('o1.bin', 2 * MiB), bed.localFile('o2.bin', 2 * MiB + 1)];
    const all = users.map((u) => bed.transfers(u, server));
    const results = await Promise.all([
      ...all.map((t) => t.upload(same.path)),
      all[0]!.upload(others[0]!.path),
      all[1]!.upload(others[1]!.path),
    ]);
    await Promise.all(all.map((t) => t.close()));
    assert.equal(new Set(results.map((r) => r.fileId)).size, 5);
    for (const r of results) assert.equal((await bed.file(r.fileId))?.state, 'complete');
    const { blobs } = bed.storage();
    assert.equal(blobs.filter((n) => n === same.sha256).length, 1, 'one copy of the shared content');
    for (const f of [same, ...others]) assert.ok(blobOf(f.sha256).equals(f.bytes));
  });

  it('refuses bytes that do not match the sha256, discards them, and lets the upload start again', async () => {
    const user = await bed.user();
    const file = bed.localFile('bad-sha.bin', MiB + 7);
    const transfers = bed.transfers(user, server);
    const wrong = 'f'.repeat(64);
    let fileId = 0;
    const err = await transfers.upload(file.path, { sha256: wrong }).catch((e: unknown) => e as { code: string; details: { fileId: number } });
    assert.equal((err as { code: string }).code, 'SHA256_MISMATCH');
    fileId = (err as { details: { fileId: number } }).details.fileId;
    assert.equal((await bed.file(fileId))?.state, 'failed');
    assert.ok(!bed.storage().blobs.includes(wrong), 'nothing stored under the claimed hash');
    assert.ok(!bed.storage().temps.includes(`${fileId}.part`));
    const client = await bed.client(user, server);
    assert.equal(await codeOf(client.request(MsgId.UploadStatusReq, { fileId })), 'SHA256_MISMATCH');
    await client.close();
    const retry = await transfers.upload(file.path);
    assert.notEqual(retry.fileId, fileId);
    assert.ok(blobOf(file.sha256).equals(file.bytes));
    await transfers.close();
  });

  it('answers a chunk at the wrong offset with the offset expected, and an oversize one with the limit; nothing changes', async () => {
    const user = await bed.user();
    const file = bed.localFile('offsets.bin', CHUNK + 10);
    const client = await bed.client(user, server);
    const init = await client.request(MsgId.UploadInitReq, { name: 'o', size: file.bytes.length, sha256: file.sha256, mime: 'application/octet-stream' });
    assert.deepEqual([init.offset, init.complete, init.chunkBytes], [0, false, CHUNK]);
    const { fileId } = init;

    let err = nextFileError(client, fileId);
    client.sendChunk(fileId, 100, file.bytes.subarray(100, 200));
    assert.deepEqual([(await err).code, (await err).details], ['WRONG_OFFSET', { fileId, expected: 0 }]);

    err = nextFileError(client, fileId);
    client.sendChunk(fileId, 0, Buffer.alloc(CHUNK + 1));
    assert.deepEqual([(await err).code, (await err).details], ['CHUNK_TOO_LARGE', { fileId, maxChunkBytes: CHUNK }]);

    err = nextFileError(client, 999_999_999);
    client.sendChunk(999_999_999, 0, Buffer.alloc(10));
    assert.equal((await err).code, 'FILE_NOT_FOUND', 'a fileId not initialised here');

    // The upload is where it was: the right chunks go through and complete it.
    const acks: number[] = [];
    client.on('ack', (a) => acks.push(a.offset));
    const done = new Promise((resolve) => client.once('done', resolve));
    client.sendChunk(fileId, 0, file.bytes.subarray(0, CHUNK));
    err = nextFileError(client, fileId);
    client.sendChunk(fileId, CHUNK, Buffer.alloc(11));
    assert.deepEqual([(await err).code, (await err).details], ['CHUNK_TOO_LARGE', { fileId, maxChunkBytes: 10 }], 'past the declared size');
    client.sendChunk(fileId, CHUNK, file.bytes.subarray(CHUNK));
    assert.deepEqual(await done, { fileId, size: file.bytes.length, sha256: file.sha256 });
    assert.deepEqual(acks, [CHUNK, CHUNK + 10]);
    assert.ok(blobOf(file.sha256).equals(file.bytes));
    await client.close();
  });

  it('reads TCP into one reused buffer: a chunk trickled over many reads and chunks of two uploads at once are stored intact, their bodies pooled', async () => {
    const [a, b] = [await bed.user(), await bed.user()];
    const trickled = bed.localFile('trickle.bin', CHUNK + 5000);
    const client = await bed.client(a, server);
    const { fileId } = await client.request(MsgId.UploadInitReq, { name: 't', size: trickled.bytes.length, sha256: trickled.sha256, mime: 'application/octet-stream' });
    const done = new Promise((resolve) => client.once('done', resolve));
    // The first chunk's frame in 40 pieces, apart in time, so the server reads it over many reads of
    // one buffer that each read overwrites: what it kept of the earlier reads must be copies.
    const frame = encodeChunkFrame(MsgId.UploadChunk, { fileId, offset: 0 }, trickled.bytes.subarray(0, CHUNK));
    const piece = Math.ceil(frame.length / 40);
    const other = bed.transfers(b, server);
    const parallel = bed.localFile('alongside.bin', 3 * MiB + 3);
    const alongside = other.upload(parallel.path);
    for (let at = 0; at < frame.length; at += piece) {
      client.writeRaw(frame.subarray(at, at + piece));
      await new Promise((r) => setTimeout(r, 5));
    }
    client.sendChunk(fileId, CHUNK, trickled.bytes.subarray(CHUNK));
    assert.deepEqual(await done, { fileId, size: trickled.bytes.length, sha256: trickled.sha256 });
    assert.equal((await alongside).sha256, parallel.sha256);
    assert.ok(blobOf(trickled.sha256).equals(trickled.bytes));
    assert.ok(blobOf(parallel.sha256).equals(parallel.bytes));
    await Promise.all([client.close(), other.close()]);
    // Written chunks gave their bodies back: the next upload allocates none.
    const pooled = server.activity().pooledBodies;
    assert.ok(pooled >= 1 && pooled <= 32, `${pooled} bodies pooled`);
  });

  it('closes a connection whose frame is larger than the file frame limit, and keeps serving others', async () => {
    const user = await bed.user();
    const bad = await bed.client(user, server);
    const closed = new Promise((resolve) => bad.once('close', resolve));
    const errors: string[] = [];
    bad.on('fileError', (e) => errors.push(e.code));
    bad.writeRaw(chunkFrameHead(MsgId.UploadChunk, { fileId: 1, offset: 0 }, 2 * CHUNK));
    await closed;
    assert.deepEqual(errors, ['FRAME_TOO_LARGE']);

    const malformed = await bed.client(user, server);
    const closed2 = new Promise((resolve) => malformed.once('close', resolve));
    const frame = encodeChunkFrame(MsgId.UploadChunk, { fileId: 1, offset: 0 }, Buffer.alloc(4));
    frame.writeUInt32BE(0xffff, FRAME_HEADER_BYTES); // a header length past the body
    malformed.writeRaw(frame);
    await closed2;

    const ok = bed.transfers(user, server);
    const file = bed.localFile('after.bin', 100_000);
    assert.equal((await ok.upload(file.path)).sha256, file.sha256);
    await ok.close();
  });

  it('uploads an empty file without chunks', async () => {
    const user = await bed.user();
    const file = bed.localFile('empty.bin', 0);
    const transfers = bed.transfers(user, server);
    const r = await transfers.upload(file.path);
    assert.equal((await bed.file(r.fileId))?.state, 'complete');
    assert.equal(blobOf(file.sha256).length, 0);
    await transfers.close();
  });

  it('gives the owner the durable state of an upload, and nobody else anything', async () => {
    const [owner, other] = [await bed.user(), await bed.user()];
    const file = bed.localFile('status.bin', 2 * CHUNK);
    const client = await bed.client(owner, server);
    const init = await client.request(MsgId.UploadInitReq, { name: 's', size: file.bytes.length, sha256: file.sha256, mime: 'application/octet-stream' });
    const acked = new Promise((resolve) => client.once('ack', resolve));
    client.sendChunk(init.fileId, 0, file.bytes.subarray(0, CHUNK));
    await acked;
    await client.close();
    await until('the upload detached', () => server.activity().uploads === 0);
    // Closing made the written chunk durable.
    const owners = await bed.client(owner, server);
    const status = await owners.request(MsgId.UploadStatusReq, { fileId: init.fileId });
    assert.deepEqual([status.offset, status.size, status.complete], [CHUNK, 2 * CHUNK, false]);
    const again = await owners.request(MsgId.UploadInitReq, { name: 's', size: file.bytes.length, sha256: file.sha256, mime: 'application/octet-stream' });
    assert.deepEqual([again.fileId, again.offset], [init.fileId, CHUNK], 'the same upload, resumed');
    const others = await bed.client(other, server);
    assert.equal(await codeOf(others.request(MsgId.UploadStatusReq, { fileId: init.fileId })), 'FILE_NOT_FOUND');
    assert.equal(await codeOf(others.request(MsgId.UploadStatusReq, { fileId: 999_999_999 })), 'FILE_NOT_FOUND');
    await Promise.all([owners.close(), others.close()]);
  });

  it('hands an upload to the newest connection that initialises it; the older one is told', async () => {
    const user = await bed.user();
    const file = bed.localFile('super.bin', 3 * CHUNK);
    const req = { name: 's', size: file.bytes.length, sha256: file.sha256, mime: 'application/octet-stream' };
    const first = await bed.client(user, server);
    const a = await first.request(MsgId.UploadInitReq, req);
    const superseded = nextFileError(first, a.fileId);
    const second = await bed.client(user, server);
    const b = await second.request(MsgId.UploadInitReq, req);
    assert.equal(b.fileId, a.fileId);
    assert.equal((await superseded).code, 'UPLOAD_SUPERSEDED');
    const refused = nextFileError(first, a.fileId);
    first.sendChunk(a.fileId, 0, file.bytes.subarray(0, CHUNK));
    assert.equal((await refused).code, 'FILE_NOT_FOUND');
    await Promise.all([first.close(), second.close()]);
  });
});
