/**
 * Files through the desktop bridge with the REAL core and file server: an upload whose bytes stay in
 * the renderer (main pulls bounded reads over the upload bridge while the core hashes and sends them)
 * becomes a file message the other user downloads intact; a file from the other user downloads into
 * the renderer with its transferId announced; a wrong sha256 is refused with its code.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { FileRef, MessageView, ParleyClient } from '@parley/client';
import { MAX_UPLOAD_READ_BYTES } from '@parley/desktop/dist/src/main/arg-schemas';
import { connectBridge, type BridgeHarness } from '@parley/desktop/dist/test/support/bridge-harness';
import { Cluster } from '../src/cluster';
import { waitFor } from './support/chat-fixtures';
import { befriend, collect, desktopCore, plainCore, rendererSource, signUp, type Account } from './support/desktop-fixtures';

let cluster: Cluster;
let dataDir: string;
let core: ParleyClient;
let bridge: BridgeHarness;
let bob: ParleyClient;
let a: Account;
let b: Account;
let conv = 0;
const bobIncoming: MessageView[] = [];

before(async () => {
  cluster = await Cluster.start({
    chatServers: 1,
    fileServers: 1,
    sections: { cluster: { log_level: 'info' }, verify: { resend_interval_sec: 0, hourly_limit_per_ip: 100000 } },
  });
  dataDir = mkdtempSync(join(tmpdir(), 'parley-desktop-userdata-'));
  core = await desktopCore(cluster, dataDir);
  bridge = connectBridge(core);
  await bridge.ready;
  bob = plainCore(cluster);
  bob.on('incoming', (m) => bobIncoming.push(m));
  a = await signUp(cluster, bridge.api, 'fa');
  b = await signUp(cluster, bob, 'fb');
  conv = await befriend(bridge.api, a.uid, bob, b.uid);
});

after(async () => {
  bridge?.close();
  await core?.close();
  await bob?.close();
  await cluster?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const fileRef = (m: MessageView): FileRef => {
  const body = JSON.parse(m.body) as FileRef & { fileId: number };
  return { ...body, fileId: String(body.fileId) };
};

test('sendFile from bytes the page holds: main pulls them in bounded reads, the other user downloads them intact', async () => {
  const api = bridge.api;
  const bytes = randomBytes(3 * 1024 * 1024 + 4321);
  const source = rendererSource(bytes, 'report.bin', 'application/octet-stream');
  const transfers = collect(api, 'transfer');
  const returned = api.sendFile(conv, source);
  assert.ok(returned, 'sendFile answers at once with an id');

  const message = await waitFor(() => bobIncoming.find((m) => m.type === 'file' && m.senderUid === a.uid), 30000, 'the file message at bob');
  const ref = fileRef(message);
  assert.equal(ref.name, 'report.bin');
  assert.equal(ref.size, bytes.length);
  assert.equal(ref.sha256, sha256(bytes), 'the core hashed the bytes it pulled from the page');
  const got = await bob.download(ref);
  assert.ok(Buffer.from(got).equals(bytes), 'bob downloads exactly the bytes the page held');

  // The bytes crossed as many bounded reads (hashing pass, then the upload's chunks), never as one copy.
  assert.ok(source.reads.length > 2, `${source.reads.length} reads`);
  assert.ok(source.reads.every((r) => r.length > 0 && r.length <= MAX_UPLOAD_READ_BYTES && r.offset + r.length <= bytes.length));
  const covered = new Set<number>();
  for (const r of source.reads) for (let o = r.offset; o < r.offset + r.length; o += 1024) covered.add(Math.floor(o / 1024));
  assert.equal(covered.size, Math.ceil(bytes.length / 1024), 'every part of the file was read');
  assert.equal(bridge.uploads.pendingReads(), 0, 'no read left waiting on the page');

  const upload = await waitFor(() => transfers.find((t) => t.direction === 'upload' && t.state === 'done'), 5000, 'the done transfer event in the renderer');
  assert.equal(upload.bytesDone, bytes.length);
  assert.equal(upload.conversationId, conv);
  assert.ok(transfers.some((t) => t.transferId === upload.transferId && t.state === 'running'), 'progress was shown along the way');
});

test('a file from the other user downloads into the renderer, its transferId announced for progress', async () => {
  const api = bridge.api;
  const incoming = collect(api, 'incoming');
  const bytes = randomBytes(1024 * 1024 + 77);
  bob.sendFile(conv, { name: 'photo.png', mime: 'image/png', size: bytes.length, read: (o, l) => Promise.resolve(bytes.subarray(o, o + l)) });
  const message = await waitFor(() => incoming.find((m) => m.type === 'image' && m.senderUid === b.uid), 30000, 'the image message in the renderer');
  const ref = fileRef(message);
  const transfers = collect(api, 'transfer');
  const started: string[] = [];
  const got = await api.download(ref, (id) => started.push(id));
  assert.ok(got instanceof Uint8Array);
  assert.ok(Buffer.from(got).equals(bytes), 'the renderer gets the verified bytes');
  assert.equal(started.length, 1, 'onTransfer learned the transferId');
  const done = await waitFor(() => transfers.find((t) => t.transferId === started[0] && t.state === 'done'), 5000, 'the download\'s done event');
  assert.equal(done.direction, 'download');
  assert.equal(done.bytesDone, bytes.length);

  await assert.rejects(api.download({ ...ref, sha256: '0'.repeat(64) }), (err: unknown) => {
    assert.deepEqual(Object.keys(err as object).sort(), ['code', 'message']);
    assert.equal((err as { code: string }).code, 'SHA256_MISMATCH');
    return true;
  });
});
