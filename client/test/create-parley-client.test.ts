/**
 * createParleyClient, the Node factory the desktop app's main process calls: a private data directory
 * and store file, option checks that name the option, and a close() that leaves the outbox on disk.
 * (The same factory against a real cluster: e2e/test/desktop-*.test.ts.)
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ParleyClient } from '../src/parley-client';
import { createParleyClient, CreateParleyClientError, STORE_FILE_NAME, storeFilePath } from '../src/node/create-parley-client';
import { JsonFileStore } from '../src/node/json-file-store';

const root = mkdtempSync(join(tmpdir(), 'parley-factory-'));
after(() => rmSync(root, { recursive: true, force: true }));

// Nothing listens on port 1: the core's gate calls fail fast and it stays offline.
const GATE = 'http://127.0.0.1:1';
const posix = process.platform !== 'win32';
const modeOf = (path: string) => statSync(path).mode & 0o777;

test('makes a missing data directory 0700 and returns a ParleyClient with nothing to resume', async () => {
  const dataDir = join(root, 'fresh', 'userData');
  const client = await createParleyClient({ gateUrl: GATE, dataDir, transport: 'tcp' });
  assert.ok(client instanceof ParleyClient);
  if (posix) assert.equal(modeOf(dataDir), 0o700);
  assert.equal(await client.resume(), false, 'an empty store holds no session');
  await client.logout();
  await client.close();
  assert.equal(storeFilePath(dataDir), join(dataDir, STORE_FILE_NAME));
  if (posix) assert.equal(modeOf(storeFilePath(dataDir)), 0o600, 'the written store is the user\'s alone');
});

test('tightens a data directory and a store file that others could read', { skip: !posix && 'no POSIX modes on Windows' }, async () => {
  const dataDir = join(root, 'loose');
  mkdirSync(dataDir);
  const seeded = await JsonFileStore.open(storeFilePath(dataDir));
  await seeded.saveSession({ uid: 7, token: 't'.repeat(32), gateUrl: GATE });
  await seeded.flush();
  chmodSync(dataDir, 0o755);
  chmodSync(storeFilePath(dataDir), 0o644);
  const client = await createParleyClient({ gateUrl: GATE, dataDir, transport: 'tcp' });
  assert.equal(modeOf(dataDir), 0o700);
  assert.equal(modeOf(storeFilePath(dataDir)), 0o600);
  await client.close();
});

test('refuses options it cannot honour, naming the option', async () => {
  const dataDir = join(root, 'never');
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ gateUrl: GATE, dataDir, transport: 'ws' }, /^transport:/],
    [{ gateUrl: GATE, dataDir: 'relative/dir', transport: 'tcp' }, /^dataDir:/],
    [{ gateUrl: 'not a url', dataDir, transport: 'tcp' }, /^gateUrl:/],
    [{ gateUrl: 'file:///etc', dataDir, transport: 'tcp' }, /^gateUrl:/],
  ];
  for (const [options, message] of cases) {
    await assert.rejects(createParleyClient(options as never), (err: unknown) => {
      assert.ok(err instanceof CreateParleyClientError);
      assert.match(err.message, message);
      return true;
    });
  }
  assert.throws(() => statSync(dataDir), { code: 'ENOENT' }, 'nothing is made for refused options');
});

test('close() right after sendText leaves the message in the outbox on disk, for the next start to resend', async () => {
  const dataDir = join(root, 'quit');
  const seeded = await JsonFileStore.open(storeFilePath(dataDir));
  await seeded.saveSession({ uid: 7, token: 't'.repeat(32), gateUrl: GATE });
  await seeded.flush();

  const client = await createParleyClient({ gateUrl: GATE, dataDir, transport: 'tcp' });
  assert.equal(await client.resume(), true, 'the saved session for this gate');
  const id = client.sendText(42, 'queued before quitting');
  await client.close();

  const reopened = await JsonFileStore.open(storeFilePath(dataDir));
  const outbox = await reopened.loadOutbox();
  assert.deepEqual(outbox.map((e) => [e.clientMsgId, e.conversationId, e.body, e.state]), [[id, 42, 'queued before quitting', 'sending']]);

  // A core for another gate does not pick up this gate's session.
  const elsewhere = await createParleyClient({ gateUrl: 'http://127.0.0.1:2', dataDir, transport: 'tcp' });
  assert.equal(await elsewhere.resume(), false);
  await elsewhere.close();
});
