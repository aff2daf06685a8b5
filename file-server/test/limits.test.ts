import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { decodeFileServerMessage, encodeFrame, MsgId, TlvDecoder, type FileServerMessage } from '@parley/protocol';
import { BlobStore, FileStore, UploadExpiry, type RunningFileServer } from '../src';
import { codeOf, FileTestBed, until } from './support/file-fixtures';

// Limits and login on a file server with small config values: each refusal has its code, and
// nothing is stored for it.
let bed: FileTestBed;
let small: RunningFileServer;
let full: RunningFileServer;
const KiB = 1024;

before(async () => {
  bed = await FileTestBed.create({}, ['file1', 'file2']);
  small = await bed.start('file1', { maxFileBytes: 300 * KiB, userQuotaBytes: 500 * KiB });
  // A volume that is always "full": the reserve is larger than any disk.
  full = await bed.start('file2', { minFreeBytes: Number.MAX_SAFE_INTEGER / 2 });
});

after(async () => {
  await bed?.stop();
});

const init = (size: number, sha256 = 'a'.repeat(64)) => ({ name: 'x.bin', size, sha256, mime: 'application/octet-stream' });

/** Sends raw frames on a bare socket and collects what the server answers until it closes. */
async function rawSession(server: RunningFileServer, frames: Buffer[]): Promise<FileServerMessage[]> {
  const socket = net.connect({ host: '127.0.0.1', port: server.tcpPort });
  const decoder = new TlvDecoder({ maxBodyBytes: 1 << 20 });
  const got: FileServerMessage[] = [];
  socket.on('data', (chunk: Buffer) => {
    for (const f of decoder.push(chunk)) got.push(decodeFileServerMessage(f));
  });
  await new Promise((resolve) => socket.once('connect', resolve));
  for (const f of frames) socket.write(f);
  await new Promise((resolve) => socket.once('close', resolve));
  return got;
}

describe('file server limits', () => {
  it('refuses a file above file.max_file_bytes with FILE_TOO_LARGE', async () => {
    const client = await bed.client(await bed.user(), small);
    const err = await client.request(MsgId.UploadInitReq, init(300 * KiB + 1)).catch((e: unknown) => e as { code: string; details: unknown });
    assert.deepEqual([(err as { code: string }).code, (err as { details: unknown }).details], ['FILE_TOO_LARGE', { maxFileBytes: 300 * KiB }]);
    await client.close();
  });

  it('counts complete and unfinished files against file.user_quota_bytes', async () => {
    const user = await bed.user();
    const transfers = bed.transfers(user, small);
    const a = bed.localFile('qa.bin', 200 * KiB);
    await transfers.upload(a.path);
    const client = await bed.client(user, small);
    const unfinished = await client.request(MsgId.UploadInitReq, init(250 * KiB, 'b'.repeat(64)));
    assert.equal(unfinished.complete, false);
    const err = await client.request(MsgId.UploadInitReq, init(51 * KiB, 'c'.repeat(64))).catch((e: unknown) => e as { code: string; details: unknown });
    assert.deepEqual([(err as { code: string }).code, (err as { details: unknown }).details], ['QUOTA_EXCEEDED', { quotaBytes: 500 * KiB, usedBytes: 450 * KiB }]);
    // Within the quota still works; another user has a quota of their own.
    assert.equal((await client.request(MsgId.UploadInitReq, init(50 * KiB, 'd'.repeat(64)))).offset, 0);
    const other = bed.transfers(await bed.user(), small);
    assert.equal((await other.upload(bed.localFile('qb.bin', 250 * KiB).path)).size, 250 * KiB);
    await Promise.all([client.close(), transfers.close(), other.close()]);
  });

  it('refuses an upload that would eat into file.min_free_bytes with INSUFFICIENT_STORAGE, storing nothing', async () => {
    const user = await bed.user();
    const client = await bed.client(user, full);
    assert.equal(await codeOf(client.request(MsgId.UploadInitReq, init(10))), 'INSUFFICIENT_STORAGE');
    const [rows] = await bed.env.pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM files WHERE owner_uid = ?', [user.uid]);
    assert.equal(Number(rows[0]?.n), 0);
    await client.close();
  });

  it('takes a conversationId only from a member of it', async () => {
    const user = await bed.user();
    const [conv] = await bed.env.pool.query<ResultSetHeader>("INSERT INTO conversations (kind) VALUES ('group')");
    const client = await bed.client(user, small);
    assert.equal(await codeOf(client.request(MsgId.UploadInitReq, { ...init(10), conversationId: conv.insertId })), 'NOT_MEMBER');
    await bed.env.pool.query('INSERT INTO conversation_members (conversation_id, user_id) VALUES (?, ?)', [conv.insertId, user.uid]);
    assert.equal((await client.request(MsgId.UploadInitReq, { ...init(10), conversationId: conv.insertId })).offset, 0);
    await client.close();
  });

  it('logs in with the chat token: LOGIN_REQUIRED first, TOKEN_INVALID for a bad token, both closed', async () => {
    const user = await bed.user();
    const notLogin = await rawSession(small, [encodeFrame(MsgId.UploadStatusReq, { reqId: 1, fileId: 1 })]);
    assert.deepEqual(notLogin.map((m) => m.id === MsgId.Error && m.msg.code), ['LOGIN_REQUIRED']);
    const badToken = await rawSession(small, [encodeFrame(MsgId.LoginReq, { reqId: 7, uid: user.uid, token: 'x'.repeat(43) })]);
    assert.deepEqual(badToken.map((m) => m.id === MsgId.Error && [m.msg.code, m.msg.reqId]), [['TOKEN_INVALID', 7]]);
    const client = await bed.client(user, small);
    assert.equal(await codeOf(client.request(MsgId.LoginReq, { uid: user.uid, token: user.token })), 'ALREADY_LOGGED_IN');
    assert.ok((await client.ping()).serverTime > 0);
    await client.close();
    await until('the logged-in count follows', () => small.activity().connections === 0);
  });
});

describe('abandoned uploads', () => {
  it('are deleted after file.upload_expiry_hours untouched: row, temp file and quota', async () => {
    const user = await bed.user();
    const client = await bed.client(user, small);
    const stale = await client.request(MsgId.UploadInitReq, init(200 * KiB, '1'.repeat(64)));
    const fresh = await client.request(MsgId.UploadInitReq, init(200 * KiB, '2'.repeat(64)));
    const acked = new Promise((resolve) => client.once('ack', resolve));
    client.sendChunk(stale.fileId, 0, Buffer.alloc(1000, 1));
    await acked;
    await client.close();
    await until('both uploads detached', () => small.activity().uploads === 0);
    assert.ok(bed.storage().temps.includes(`${stale.fileId}.part`));
    assert.equal(await codeOf(bed.transfers(user, small).upload(bed.localFile('over.bin', 200 * KiB).path)), 'QUOTA_EXCEEDED', '400 KiB of 500 used');
    await bed.env.pool.query('UPDATE files SET updated_at = NOW(3) - INTERVAL 49 HOUR WHERE id = ?', [stale.fileId]);

    const expiry = new UploadExpiry({ store: new FileStore(bed.env.pool, bed.env.logger), blobs: new BlobStore(bed.storageDir), hours: 48, logger: bed.env.logger });
    assert.equal(await expiry.sweep(), 1);
    assert.equal(await bed.file(stale.fileId), undefined);
    assert.equal((await bed.file(fresh.fileId))?.state, 'uploading', 'a recent one stays');
    assert.ok(!bed.storage().temps.includes(`${stale.fileId}.part`));
    assert.equal(await expiry.sweep(), 0);
    const t = bed.transfers(user, small);
    assert.equal((await t.upload(bed.localFile('fits.bin', 200 * KiB).path)).size, 200 * KiB, 'the quota is free again');
    await t.close();
  });
});
