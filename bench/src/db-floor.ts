/**
 * The database's floor (not a test): `node bench/dist/src/db-floor.js [options]`.
 *
 * What MariaDB alone costs per durable message on this machine, whatever the chat server does:
 * a private mariadbd (its defaults, so innodb_flush_log_at_trx_commit=1) pinned to core 0, fed
 * from core 1 by one connection, one committed transaction at a time, in batches of each size of
 * `--batches`, for `--sec` seconds each:
 * - `writer`: the chat server's own message writer (chat-server/src/messaging/message-writer.ts:
 *   seq reservation, epoch check, INSERT, read-back, COMMIT) into the migrated schema;
 * - `insert`: the same rows as one plain INSERT + COMMIT into `messages` (seqs chosen here): the
 *   table's cost without the seq reservation;
 * - `pk-only`: that INSERT into a copy of `messages` with its primary key only (no unique key on
 *   (sender_uid, client_msg_id), no foreign keys, no index on file_id): what those cost.
 * MariaDB's CPU comes from /proc (all its threads, fsync included). Rows alternate over
 * `--conversations` (500, as the chat benchmark's 500 pairs) so a batch touches as many rows of
 * `conversations` as it would there.
 * Writes bench/results/db-floor-<timestamp>.json and .md.
 *
 * Options: --batches 1,8,64,512 --variants writer,insert,pk-only --sec 3 --conversations 500 --body-bytes 100 --server-cores 0
 *   --generator-cores 1 --no-pin
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { argValue, createMysqlPool } from '@parley/common';
import { createTestEnv } from '@parley/common/testing';
import { writeBatch, type Outcome, type SendCommand, type Target } from '@parley/chat-server';
import { REPO_ROOT } from '@parley/e2e';
import { num, numbers } from './bench-args';
import { privateServices } from './bench-services';
import { cpuSec, hasTaskset, pin } from './proc-stats';

type Variant = 'writer' | 'insert' | 'pk-only';
const VARIANTS: Variant[] = ['writer', 'insert', 'pk-only'];

interface FloorRow {
  batch: number;
  variant: Variant;
  commits: number;
  commitsPerSec: number;
  /** MariaDB CPU (all threads) per commit and per row, µs. */
  mariadbUsPerCommit: number;
  mariadbUsPerRow: number;
  /** This process's CPU per row (mysql2, building the statement), µs. */
  clientUsPerRow: number;
  /** Wall time per commit, ms (round trip, fsync included). */
  msPerCommit: number;
}

const COLUMNS = '(conversation_id, seq, sender_uid, client_msg_id, type, body, file_id, created_at)';

function log(msg: string): void {
  console.log(`[db-floor ${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

async function main(): Promise<void> {
  const batches = numbers('batches', [1, 8, 64, 512]);
  const variants = (argValue('variants') ?? VARIANTS.join(',')).split(',') as Variant[];
  const sec = num('sec', 3);
  const conversations = num('conversations', 500);
  const body = 'x'.repeat(num('body-bytes', 100));
  const pinning = !process.argv.includes('--no-pin') && hasTaskset() && cpus().length >= 2;
  const serverCores = pinning ? (argValue('server-cores') ?? '0') : undefined;
  if (pinning) pin(process.pid, argValue('generator-cores') ?? '1');
  const services = await privateServices(serverCores);
  const env = await createTestEnv();
  const rows: FloorRow[] = [];
  try {
    const mariadbPid = services.mariadbPid;
    if (mariadbPid === undefined) throw new Error('the private mariadbd was not found');
    const pool = env.pool;
    const values = Array.from({ length: conversations }, (_, i) => `('direct', 'floor:${i}')`).join(', ');
    const [made] = await pool.query<ResultSetHeader>(`INSERT INTO conversations (kind, direct_key) VALUES ${values}`);
    const firstId = made.insertId;
    await pool.query('CREATE TABLE messages_pk_only LIKE messages');
    // LIKE copies the indexes (not the foreign keys): drop every one but the primary key.
    const [indexes] = await pool.query<RowDataPacket[]>("SELECT DISTINCT index_name AS name FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = 'messages_pk_only' AND index_name <> 'PRIMARY'");
    if (indexes.length > 0) await pool.query(`ALTER TABLE messages_pk_only ${indexes.map((i) => `DROP INDEX \`${String(i.name)}\``).join(', ')}`);
    // As the chat server's commit pool: multi-statement queries, no stack traces per query.
    const commitPool = createMysqlPool(env.config.mysql, { multipleStatements: true, connectionLimit: 1, trace: false });
    const conn = await commitPool.getConnection();
    // Seqs for the plain INSERTs, far above what the writer reserves, so the two never collide.
    const plainSeq = new Map<number, number>();
    let next = 0;
    const batchOf = (n: number): SendCommand[] =>
      Array.from({ length: n }, () => {
        const k = next++;
        const conversationId = firstId + (k % conversations);
        return { senderUid: conversationId, to: conversationId + 1, clientMsgId: `f${k}`, type: 'text', body };
      });
    const once = async (variant: Variant, n: number): Promise<void> => {
      const cmds = batchOf(n);
      if (variant === 'writer') {
        const targets = new Map<number, Target>(cmds.map((c, i) => [i, { conversationId: c.senderUid, epoch: 0, kind: 'direct', peer: c.to as number }]));
        const outcomes: (Outcome | undefined)[] = [];
        await writeBatch(conn, cmds, cmds.map((_, i) => i), targets, outcomes);
        return;
      }
      const table = variant === 'insert' ? 'messages' : 'messages_pk_only';
      const now = new Date();
      const tuples = cmds.map((c) => {
        const seq = (plainSeq.get(c.senderUid) ?? 1e12) + 1;
        plainSeq.set(c.senderUid, seq);
        return [c.senderUid, seq, c.senderUid, c.clientMsgId, c.type, c.body, null, now];
      });
      await conn.query(`START TRANSACTION; INSERT INTO ${table} ${COLUMNS} VALUES ?; COMMIT`, [tuples]);
    };
    for (const batch of batches) {
      for (const variant of variants) {
        await measureFor(0.5, () => once(variant, batch));
        const m0 = cpuSec(mariadbPid);
        const c0 = process.cpuUsage();
        const { commits, seconds } = await measureFor(sec, () => once(variant, batch));
        const mariadb = cpuSec(mariadbPid) - m0;
        const own = process.cpuUsage(c0);
        const row: FloorRow = {
          batch,
          variant,
          commits,
          commitsPerSec: Math.round(commits / seconds),
          mariadbUsPerCommit: Math.round((mariadb * 1e6) / commits),
          mariadbUsPerRow: Math.round(((mariadb * 1e6) / (commits * batch)) * 10) / 10,
          clientUsPerRow: Math.round(((own.user + own.system) / (commits * batch)) * 10) / 10,
          msPerCommit: Math.round(((seconds * 1000) / commits) * 100) / 100,
        };
        rows.push(row);
        log(`batch ${batch} ${variant}: MariaDB ${row.mariadbUsPerCommit} µs per commit, ${row.mariadbUsPerRow} µs per row; ${row.commitsPerSec} commits/s`);
      }
    }
    conn.release();
    await commitPool.end();
  } finally {
    await env.cleanup();
    await services.stop();
  }
  const stamp = new Date().toISOString().slice(0, 19).replace(/:/g, '-');
  const dir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const report = { date: new Date().toISOString(), command: `node bench/dist/src/db-floor.js ${process.argv.slice(2).join(' ')}`.trim(), cpu: cpus()[0]?.model ?? '?', services: services.note, sec, conversations, bodyBytes: body.length, rows };
  writeFileSync(join(dir, `db-floor-${stamp}.json`), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(dir, `db-floor-${stamp}.md`), render(report));
  console.log(`\n${render(report)}`);
  log(`results: bench/results/db-floor-${stamp}.json and .md`);
}

/** Calls `work` back to back for `sec` seconds. */
async function measureFor(sec: number, work: () => Promise<void>): Promise<{ commits: number; seconds: number }> {
  const t0 = performance.now();
  let commits = 0;
  while (performance.now() - t0 < sec * 1000) {
    await work();
    commits++;
  }
  return { commits, seconds: (performance.now() - t0) / 1000 };
}

function render(r: { date: string; command: string; cpu: string; services: string; sec: number; conversations: number; bodyBytes: number; rows: FloorRow[] }): string {
  const lines = [
    `# The database's floor — ${r.date.slice(0, 19).replace('T', ' ')} UTC`,
    '',
    `Command: \`${r.command}\`. ${r.cpu}. MariaDB: ${r.services}. One connection, one committed transaction at a time, ${r.sec} s per cell, rows over ${r.conversations} conversations, ${r.bodyBytes}-byte bodies.`,
    '',
    '`writer` = the chat server\'s message writer; `insert` = the same rows as one plain INSERT + COMMIT into `messages`; `pk-only` = that INSERT into a copy of `messages` with its primary key only.',
    '',
    '| batch | variant | commits/s | ms per commit | MariaDB µs per commit | MariaDB µs per row | client µs per row |',
    '|---|---|---|---|---|---|---|',
    ...r.rows.map((x) => `| ${x.batch} | ${x.variant} | ${x.commitsPerSec} | ${x.msPerCommit} | ${x.mariadbUsPerCommit} | **${x.mariadbUsPerRow}** | ${x.clientUsPerRow} |`),
    '',
  ];
  return lines.join('\n');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
