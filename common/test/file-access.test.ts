import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ResultSetHeader } from 'mysql2';
import { findReadableFile } from '../src';
import { createTestEnv, type TestEnv } from '../src/testing';

// The one read rule for files, against the real schema: owner, public, and members who may read a
// message carrying the file (join and leave seqs honoured); everyone else sees nothing.
let env: TestEnv;

before(async () => {
  env = await createTestEnv();
});

after(async () => {
  await env?.cleanup();
});

async function user(name: string): Promise<number> {
  const [r] = await env.pool.query<ResultSetHeader>('INSERT INTO users (name, email, password_hash, nickname) VALUES (?, ?, ?, ?)', [name, `${name}@t.local`, 'x', name]);
  return r.insertId;
}

async function file(owner: number, state: string, isPublic = false): Promise<number> {
  const [r] = await env.pool.query<ResultSetHeader>("INSERT INTO files (owner_uid, name, mime, size, sha256, stored_bytes, state, is_public) VALUES (?, 'f', 'image/png', 10, ?, 10, ?, ?)", [owner, 'a'.repeat(64), state, isPublic ? 1 : 0]);
  return r.insertId;
}

describe('findReadableFile', () => {
  it('follows owner, public and the read rule of the conversation that carries it', async () => {
    const [owner, early, late, gone, stranger] = [await user('fo'), await user('fe'), await user('fl'), await user('fg'), await user('fs')];
    const [conv] = await env.pool.query<ResultSetHeader>("INSERT INTO conversations (kind, max_seq) VALUES ('group', 10)");
    const c = conv.insertId;
    // early: joined at 0; late: joined after seq 5; gone: joined at 0, left at seq 3.
    await env.pool.query('INSERT INTO conversation_members (conversation_id, user_id, joined_seq, left_seq) VALUES (?, ?, 0, NULL), (?, ?, 0, NULL), (?, ?, 5, NULL), (?, ?, 0, 3)', [c, owner, c, early, c, late, c, gone]);
    const atTwo = await file(owner, 'complete');
    const atEight = await file(owner, 'complete');
    const unsent = await file(owner, 'complete');
    const unfinished = await file(owner, 'uploading');
    const avatar = await file(owner, 'complete', true);
    const failed = await file(owner, 'failed');
    await env.pool.query("INSERT INTO messages (conversation_id, seq, sender_uid, client_msg_id, type, body, file_id) VALUES (?, 2, ?, 'm2', 'file', '{}', ?), (?, 8, ?, 'm8', 'file', '{}', ?)", [c, owner, atTwo, c, owner, atEight]);
    // What the chat server's writer stores with them: which message carries which file.
    await env.pool.query('INSERT INTO message_files (file_id, conversation_id, seq) VALUES (?, ?, 2), (?, ?, 8)', [atTwo, c, atEight, c]);

    const readable = async (uid: number, id: number) => (await findReadableFile(env.pool, uid, id))?.id === id;
    assert.deepEqual(await Promise.all([atTwo, atEight, unsent, unfinished, avatar, failed].map((id) => readable(owner, id))), [true, true, true, true, true, false], 'owner');
    assert.deepEqual(await Promise.all([atTwo, atEight, unsent, unfinished, avatar].map((id) => readable(early, id))), [true, true, false, false, true], 'member since 0');
    assert.deepEqual(await Promise.all([atTwo, atEight].map((id) => readable(late, id))), [false, true], 'joined after seq 5');
    assert.deepEqual(await Promise.all([atTwo, atEight].map((id) => readable(gone, id))), [true, false], 'left at seq 3');
    assert.deepEqual(await Promise.all([atTwo, atEight, unsent, avatar].map((id) => readable(stranger, id))), [false, false, false, true], 'stranger');
    assert.equal(await findReadableFile(env.pool, owner, 999_999), undefined);

    const record = await findReadableFile(env.pool, early, avatar);
    assert.deepEqual(record, { id: avatar, ownerUid: owner, conversationId: null, name: 'f', mime: 'image/png', size: 10, sha256: 'a'.repeat(64), storedBytes: 10, state: 'complete', isPublic: true });
  });
});
