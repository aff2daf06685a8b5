import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { ResultSetHeader, RowDataPacket } from 'mysql2';
import { connectMysqlServer, migrate, MIGRATIONS_DIR, readMigrations, MigrationError } from '../src';
import { dropDatabase, makeTestConfig, TEST_DB_PREFIX, uniqueSuffix } from '../src/testing';

const databases: string[] = [];
function freshMysqlConfig() {
  const database = `${TEST_DB_PREFIX}${uniqueSuffix()}`;
  databases.push(database);
  return makeTestConfig({ database, redisPrefix: 'unused:' }).mysql;
}

async function tables(cfg: ReturnType<typeof freshMysqlConfig>): Promise<string[]> {
  const conn = await connectMysqlServer(cfg, { database: cfg.database });
  try {
    const [rows] = await conn.query<RowDataPacket[]>('SELECT table_name AS t FROM information_schema.tables WHERE table_schema = ? ORDER BY 1', [cfg.database]);
    return rows.map((r) => String(r.t));
  } finally {
    await conn.end();
  }
}

describe('migrate', () => {
  after(async () => {
    const cfg = freshMysqlConfig();
    for (const db of databases) await dropDatabase(cfg, db);
  });

  it('creates the database and every table, then does nothing the second time', async () => {
    const cfg = freshMysqlConfig();
    const first = await migrate(cfg);
    const all = readMigrations().map((m) => m.version);
    assert.deepEqual(first.applied, all);
    const t = await tables(cfg);
    for (const name of ['users', 'friendships', 'friend_requests', 'chat_groups', 'group_invites', 'conversations', 'conversation_members', 'messages', 'files', 'schema_migrations']) {
      assert.ok(t.includes(name), `table ${name} missing (have ${t.join(', ')})`);
    }
    // 0002 folded group membership into conversation_members: one source of truth.
    assert.ok(!t.includes('group_members'), 'group_members is gone');
    const second = await migrate(cfg);
    assert.deepEqual(second.applied, []);
    assert.deepEqual(second.alreadyApplied, all);
  });

  it('is safe when several servers migrate at once: each version applied exactly once', async () => {
    const cfg = freshMysqlConfig();
    const results = await Promise.all([migrate(cfg), migrate(cfg), migrate(cfg), migrate(cfg)]);
    const appliedCounts = results.map((r) => r.applied.length);
    assert.equal(appliedCounts.filter((n) => n > 0).length, 1, `exactly one runner applies: ${appliedCounts.join(',')}`);
    const conn = await connectMysqlServer(cfg, { database: cfg.database });
    try {
      const [rows] = await conn.query<RowDataPacket[]>('SELECT version, COUNT(*) AS n FROM schema_migrations GROUP BY version');
      assert.equal(rows.length, readMigrations().length);
      for (const r of rows) assert.equal(Number(r.n), 1);
    } finally {
      await conn.end();
    }
  });

  it('applies new migrations in order and refuses an applied file that was edited', async () => {
    const cfg = freshMysqlConfig();
    const dir = mkdtempSync(join(tmpdir(), 'parley-mig-'));
    cpSync(MIGRATIONS_DIR, dir, { recursive: true });
    await migrate(cfg, { dir });
    writeFileSync(join(dir, '9998_extra_a.sql'), 'CREATE TABLE extra_a (id INT PRIMARY KEY);');
    writeFileSync(join(dir, '9999_extra_b.sql'), 'ALTER TABLE extra_a ADD COLUMN note VARCHAR(10);');
    const r = await migrate(cfg, { dir });
    assert.deepEqual(r.applied, [9998, 9999]);
    assert.ok((await tables(cfg)).includes('extra_a'));
    writeFileSync(join(dir, '9998_extra_a.sql'), 'CREATE TABLE extra_a (id BIGINT PRIMARY KEY);');
    await assert.rejects(migrate(cfg, { dir }), (err: unknown) => err instanceof MigrationError && /was changed after it was applied/.test(err.message));
  });

  it('v6 moves the files that stored messages carry into message_files and drops the index on messages.file_id', async () => {
    const cfg = freshMysqlConfig();
    const dir = mkdtempSync(join(tmpdir(), 'parley-mig-'));
    cpSync(MIGRATIONS_DIR, dir, { recursive: true, filter: (src) => !/000[6-9]_|00[1-9]\d_/.test(src) });
    assert.deepEqual((await migrate(cfg, { dir })).applied, [1, 2, 3, 4, 5]);
    const conn = await connectMysqlServer(cfg, { database: cfg.database, multipleStatements: true });
    try {
      const [u] = await conn.query<ResultSetHeader>("INSERT INTO users (name, email, password_hash, nickname) VALUES ('v6', 'v6@test.local', '!', 'v6')");
      const [f] = await conn.query<ResultSetHeader>("INSERT INTO files (owner_uid, name, mime, size, sha256, stored_bytes, state) VALUES (?, 'f', 'image/png', 1, ?, 1, 'complete')", [u.insertId, 'b'.repeat(64)]);
      const [c] = await conn.query<ResultSetHeader>("INSERT INTO conversations (kind, max_seq) VALUES ('group', 2)");
      await conn.query("INSERT INTO messages (conversation_id, seq, sender_uid, client_msg_id, type, body, file_id) VALUES (?, 1, 1, 'a', 'text', 'hi', NULL), (?, 2, 1, 'b', 'image', '{}', ?)", [c.insertId, c.insertId, f.insertId]);
      assert.deepEqual((await migrate(cfg)).applied, [6]);
      const [carried] = await conn.query<RowDataPacket[]>('SELECT file_id, conversation_id, seq FROM message_files');
      assert.deepEqual(carried.map((r) => [Number(r.file_id), Number(r.conversation_id), Number(r.seq)]), [[f.insertId, c.insertId, 2]]);
      const [indexes] = await conn.query<RowDataPacket[]>("SELECT DISTINCT index_name AS i FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = 'messages'");
      assert.deepEqual(indexes.map((r) => String(r.i)).sort(), ['PRIMARY', 'uk_messages_client']);
    } finally {
      await conn.end();
    }
  });

  it('rejects badly named migration files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-mig-'));
    writeFileSync(join(dir, 'initial.sql'), 'SELECT 1;');
    assert.throws(() => readMigrations(dir), /must look like 0001_name\.sql/);
  });
});
