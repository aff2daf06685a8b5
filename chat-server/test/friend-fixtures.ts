import assert from 'node:assert/strict';
import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { MysqlPool } from '@parley/common';
import type { RequestContext } from '../src/session/request-context';
import type { UserNotifier } from '../src/cluster/user-notifier';

/** Shared by the friend-*.test.ts files (not a test file itself). */

export interface Pushed {
  uid: number;
  msgId: number;
  body: Record<string, unknown>;
}

/**
 * A UserNotifier that records what it is asked to push and reports `online` as presence — the
 * seam between the friend feature and the session layer. `failPush` / `failPresence` make it throw.
 */
export class RecordingNotifier implements UserNotifier {
  /** Pushes not yet taken. */
  readonly pushes: Pushed[] = [];
  /** Every push ever made, never cleared. */
  readonly history: Pushed[] = [];
  readonly online = new Set<number>();
  failPush = false;
  failPresence = false;

  async push(uid: number, msgId: number, body: object): Promise<void> {
    if (this.failPush) throw new Error('session layer down');
    const pushed = { uid, msgId, body: body as Record<string, unknown> };
    this.pushes.push(pushed);
    this.history.push(pushed);
  }

  async pushMany(uids: readonly number[], msgId: number, body: object): Promise<void> {
    for (const uid of uids) await this.push(uid, msgId, body);
  }

  async onlineState(uids: readonly number[]): Promise<Map<number, boolean>> {
    if (this.failPresence) throw new Error('presence down');
    return new Map(uids.map((u) => [u, this.online.has(u)]));
  }

  /** Pushes to `uid`, removing them from the record. */
  take(uid: number): Pushed[] {
    const mine = this.pushes.filter((p) => p.uid === uid);
    for (const p of mine) this.pushes.splice(this.pushes.indexOf(p), 1);
    return mine;
  }

  clear(): void {
    this.pushes.length = 0;
  }
}

let userSeq = 0;

/** Inserts a user the way the gate would (with an e-mail and a password hash) and returns its uid. */
export async function createUser(pool: MysqlPool, name?: string, nickname = ''): Promise<number> {
  userSeq += 1;
  const n = name ?? `u${process.pid.toString(36)}x${userSeq}`;
  const [res] = await pool.query<ResultSetHeader>(
    'INSERT INTO users (name, email, password_hash, nickname, avatar) VALUES (?, ?, ?, ?, ?)',
    [n, `${n}.${userSeq}@example.test`, '$argon2id$v=19$m=4096,t=1,p=1$c2VjcmV0$notarealhash', nickname, `https://example.test/${n}.png`],
  );
  return Number(res.insertId);
}

export function ctxOf(uid: number): RequestContext {
  return { uid, sessionId: `s-${uid}`, serverId: 'chat-test' };
}

/** Asserts that no key anywhere in `value` mentions an e-mail or a password. */
export function assertNoPrivateKeys(value: unknown, path = '$'): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => assertNoPrivateKeys(v, `${path}[${i}]`));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      assert.doesNotMatch(k, /email|password/i, `private key ${path}.${k}`);
      assertNoPrivateKeys(v, `${path}.${k}`);
    }
  }
}

/** The database's view of one pair: friendship rows both ways, direct conversations, memberships. */
export async function pairState(pool: MysqlPool, a: number, b: number): Promise<{ friendships: number; conversations: number[]; members: number }> {
  const [fs] = await pool.query<RowDataPacket[]>(
    'SELECT COUNT(*) AS n FROM friendships WHERE (user_id = ? AND friend_id = ?) OR (user_id = ? AND friend_id = ?)',
    [a, b, b, a],
  );
  const key = a < b ? `${a}:${b}` : `${b}:${a}`;
  const [cs] = await pool.query<RowDataPacket[]>("SELECT id FROM conversations WHERE kind = 'direct' AND direct_key = ?", [key]);
  const conversations = cs.map((r) => Number(r.id));
  const [ms] = await pool.query<RowDataPacket[]>(
    'SELECT COUNT(*) AS n FROM conversation_members WHERE conversation_id IN (?) AND user_id IN (?, ?)',
    [conversations.length > 0 ? conversations : [0], a, b],
  );
  return { friendships: Number(fs[0]?.n), conversations, members: Number(ms[0]?.n) };
}
