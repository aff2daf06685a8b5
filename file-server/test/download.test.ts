import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { ResultSetHeader } from 'mysql2/promise';
import type { ProtocolError} from '@parley/protocol';
import { MsgId, type ReceivedChunk, type TransferProgress } from '@parley/protocol';
import type { RunningFileServer } from '../src';
import { codeOf, FileTestBed, until, type TestUser } from './support/file-fixtures';

// Downloads: resume after a cut, backpressure, and who may read what (the same answer for "not
// yours" and "does not exist").
let bed: FileTestBed;
let server: RunningFileServer;
const MiB = 1024 * 1024;

before(async () => {
  bed = await FileTestBed.create();
  server = await bed.start();
});

after(async () => {
  await bed?.stop();
});

async function uploaded(owner: TestUser, name: string, size: number, mime = 'application/octet-stream') {
  const local = bed.localFile(name, size);
  const transfers = bed.transfers(owner, server);
  const { fileId } = await transfers.upload(local.path, { mime });
  await transfers.close();
  return { fileId, ...local };
}

/** A group conversation with members joined at the given seqs, and a file message at `seq`. */
async function conversationWithFile(members: [TestUser, number][], sender: TestUser, fileId: number, seq: number): Promise<number> {
  const [conv] = await bed.env.pool.query<ResultSetHeader>("INSERT INTO conversations (kind, max_seq) VALUES ('group', ?)", [seq]);
  for (const [u, joined] of members) await bed.env.pool.query('INSERT INTO conversation_members (conversation_id, user_id, joined_seq) VALUES (?, ?, ?)', [conv.insertId, u.uid, joined]);
  await bed.env.pool.query("INSERT INTO messages (conversation_id, seq, sender_uid, client_msg_id, type, body, file_id) VALUES (?, ?, ?, ?, 'file', '{}', ?)", [conv.insertId, seq, sender.uid, `m${fileId}`, fileId]);
  await bed.env.pool.query('INSERT INTO message_files (file_id, conversation_id, seq) VALUES (?, ?, ?)', [fileId, conv.insertId, seq]);
  return conv.insertId;
}

describe('downloads', () => {
  it('resumes a download cut mid-way from the bytes already on disk, and checks the sha256', async () => {
    const owner = await bed.user();
    const file = await uploaded(owner, 'big.bin', 5 * MiB + 3);
    const transfers = bed.transfers(owner, server);
    const seen: TransferProgress[] = [];
    let cut = 0;
    const target = bed.path('big.copy');
    const result = await transfers.download(file.fileId, target, {
      onProgress: (p) => {
        seen.push(p);
        if (cut === 0 && p.done >= 2 * MiB) {
          cut = p.done;
          transfers.connection?.destroy();
        }
      },
    });
    await transfers.close();
    assert.ok(cut > 0);
    const resumedAt = seen[seen.findIndex((p) => p.done === cut) + 1]?.done ?? 0;
    assert.ok(resumedAt >= cut, `resumed at ${resumedAt} after the cut at ${cut}`);
    assert.deepEqual([result.size, result.sha256, result.name], [file.bytes.length, file.sha256, 'big.bin']);
    assert.ok(readFileSync(target).equals(file.bytes), 'byte-identical');
    assert.ok(!existsSync(`${target}.part`));
  });

  it('throws away a partial download that does not match, instead of keeping a corrupt file', async () => {
    const owner = await bed.user();
    const file = await uploaded(owner, 'check.bin', MiB);
    const target = bed.path('check.copy');
    writeFileSync(`${target}.part`, Buffer.alloc(1000, 7)); // not the file's first bytes
    const transfers = bed.transfers(owner, server, { attempts: 1 });
    assert.equal(await codeOf(transfers.download(file.fileId, target)), 'SHA256_MISMATCH');
    assert.ok(!existsSync(target) && !existsSync(`${target}.part`));
    await transfers.download(file.fileId, target);
    assert.ok(readFileSync(target).equals(file.bytes));
    await transfers.close();
  });

  it('lets members read what was sent while they were in; everyone else gets what an unknown file gets', async () => {
    const [owner, member, late, stranger] = [await bed.user(), await bed.user(), await bed.user(), await bed.user()];
    const file = await uploaded(owner, 'shared.bin', 100_000);
    await conversationWithFile([[owner, 0], [member, 0], [late, 5]], owner, file.fileId, 3);
    const tryDownload = async (u: TestUser, fileId: number) => {
      const client = await bed.client(u, server);
      try {
        return await client.request(MsgId.DownloadReq, { fileId, offset: 0 });
      } finally {
        client.destroy();
      }
    };
    assert.equal((await tryDownload(member, file.fileId)).size, 100_000);
    const refusals: ProtocolError[] = [];
    for (const [u, id] of [[late, file.fileId], [stranger, file.fileId], [stranger, 987_654_321]] as const) {
      refusals.push(await tryDownload(u, id).then(() => assert.fail('should be refused'), (e: unknown) => e as ProtocolError));
    }
    assert.deepEqual(refusals.map((e) => [e.code, e.message]), Array(3).fill(['FILE_NOT_FOUND', 'No such file']), 'indistinguishable');
    // A public file (an avatar) is everyone's.
    await bed.env.pool.query('UPDATE files SET is_public = 1 WHERE id = ?', [file.fileId]);
    assert.equal((await tryDownload(stranger, file.fileId)).sha256, file.sha256);
  });

  it('tells the owner an unfinished upload is incomplete, refuses an offset past the end, and sends nothing from the end', async () => {
    const owner = await bed.user();
    const client = await bed.client(owner, server);
    const unfinished = await client.request(MsgId.UploadInitReq, { name: 'u', size: 10, sha256: 'e'.repeat(64), mime: 'text/plain' });
    assert.equal(await codeOf(client.request(MsgId.DownloadReq, { fileId: unfinished.fileId, offset: 0 })), 'FILE_INCOMPLETE');
    const file = await uploaded(owner, 'small.bin', 5000);
    assert.equal(await codeOf(client.request(MsgId.DownloadReq, { fileId: file.fileId, offset: 5001 })), 'VALIDATION_FAILED');
    const chunks: ReceivedChunk[] = [];
    client.on('chunk', (c) => chunks.push(c));
    const resp = await client.request(MsgId.DownloadReq, { fileId: file.fileId, offset: 5000 });
    assert.deepEqual([resp.offset, resp.size], [5000, 5000]);
    const tail = await client.request(MsgId.DownloadReq, { fileId: file.fileId, offset: 4990 });
    assert.equal(tail.offset, 4990);
    await until('the last chunk', () => chunks.length > 0);
    await until('both downloads ended', () => server.activity().downloads === 0);
    assert.deepEqual(chunks.map((c) => [c.offset, c.data.length]), [[4990, 10]]);
    assert.ok(chunks[0]?.data.equals(file.bytes.subarray(4990)));
    await client.close();
  });

  it('stops reading the file while the client does not read, and goes on when it does', async () => {
    const owner = await bed.user();
    const file = await uploaded(owner, 'slow.bin', 16 * MiB);
    const client = await bed.client(owner, server);
    let received = 0;
    client.on('chunk', (c) => (received += c.data.length));
    client.pauseReading();
    const asked = client.request(MsgId.DownloadReq, { fileId: file.fileId, offset: 0 });
    await new Promise((r) => setTimeout(r, 300));
    // The response is stuck behind the paused socket too; nothing has been consumed.
    assert.equal(received, 0);
    assert.equal(server.activity().downloads, 1, 'the download waits, it has not run to the end');
    client.resumeReading();
    assert.equal((await asked).size, file.bytes.length);
    const end = Date.now() + 5000;
    while (received < file.bytes.length && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    assert.equal(received, file.bytes.length);
    await client.close();
  });
});

describe('download leftovers', () => {
  it('starts over when a leftover .part is longer than the file', async () => {
    const owner = await bed.user();
    const file = await uploaded(owner, 'short.bin', 1000);
    const target = bed.path('short.copy');
    writeFileSync(`${target}.part`, Buffer.alloc(5000, 9));
    const transfers = bed.transfers(owner, server);
    await transfers.download(file.fileId, target);
    await transfers.close();
    assert.ok(readFileSync(target).equals(file.bytes));
  });
});
