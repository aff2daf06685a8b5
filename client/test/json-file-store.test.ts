import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { JsonFileStore } from '../src/node/json-file-store';

const dir = mkdtempSync(join(tmpdir(), 'parley-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const message = (seq: number) => ({ conversationId: 4, seq, senderUid: 2, clientMsgId: `m${seq}`, type: 'text' as const, body: `b${seq}`, serverTime: seq });

test('everything written survives reopening the file (an app restart); the password is never there', async () => {
  const path = join(dir, 'nested', 'store.json');
  const first = await JsonFileStore.open(path);
  await first.saveSession({ uid: 2, token: 'tok', gateUrl: 'http://g' });
  await first.putConversation({ conversationId: 4, kind: 'direct', peerUid: 3, maxSeq: 3, readSeq: 1, lastActivityMs: 9 });
  await first.putPosition(4, 3);
  await first.putMessages([message(1), message(2), message(3), message(2)]);
  await first.putOutbox({ clientMsgId: 'keep', conversationId: 4, type: 'text', body: 'x', createdAtMs: 1, state: 'sending' });
  await first.putOutbox({ clientMsgId: 'gone', conversationId: 4, type: 'text', body: 'y', createdAtMs: 2, state: 'sending' });
  await first.deleteOutbox('gone');
  await first.flush();
  assert.equal(statSync(path).mode & 0o777, 0o600, 'only the user can read the token');

  const again = await JsonFileStore.open(path);
  assert.deepEqual(await again.loadSession(), { uid: 2, token: 'tok', gateUrl: 'http://g' });
  assert.equal((await again.loadConversations())[0]?.peerUid, 3);
  assert.deepEqual([...(await again.loadPositions())], [[4, 3]]);
  assert.deepEqual((await again.loadMessages(4, undefined, 10)).map((m) => m.seq), [1, 2, 3], 'one copy per seq');
  assert.deepEqual((await again.loadMessages(4, 3, 1)).map((m) => m.seq), [2], 'the newest page before a seq');
  assert.deepEqual((await again.loadOutbox()).map((e) => e.clientMsgId), ['keep']);
  assert.ok(!/password/i.test(readFileSync(path, 'utf8')));

  await again.clear();
  await again.flush();
  const cleared = await JsonFileStore.open(path);
  assert.equal(await cleared.loadSession(), undefined);
  assert.deepEqual(await cleared.loadOutbox(), []);
});
