/**
 * Group benchmark fixtures: users and groups written straight into MySQL, the way chat-server's
 * GroupStore stores a new group, and a login token per user in Redis (no gate, no friendships:
 * posting to a group needs current membership only).
 *
 * Per group, as GroupService.create writes it: a `conversations` row of kind 'group' whose seq 1
 * is the `created` system message (max_seq 1), its `chat_groups` row, and one
 * `conversation_members` row per member (the first is the 'owner', the rest 'member'), joined at
 * seq 0 (before the system message), acked_seq 0, left_seq NULL. Every table is filled with
 * multi-row inserts, explicit ids, so thousands of members take well under a second.
 */
import { randomBytes } from 'node:crypto';
import type { MysqlPool, Redis } from '@parley/common';
import { insertChunked, insertUsers, issueTokens, nextId } from './chat-fixtures';

export interface GroupUser {
  uid: number;
  token: string;
}

export interface FixtureGroup {
  groupId: number;
  conversationId: number;
  /** Member uids, owner first. */
  members: number[];
}

const BATCH = 2000;

/** `count` users named `<prefix><uid>` with tokens valid for ttlSec. */
export async function createGroupUsers(pool: MysqlPool, redis: Redis, count: number, prefix = 'gb', ttlSec = 3600): Promise<GroupUser[]> {
  const uid0 = await nextId(pool, 'users');
  await insertUsers(pool, uid0, count, prefix, BATCH);
  const users = Array.from({ length: count }, (_, i) => ({ uid: uid0 + i, token: '' }));
  await issueTokens(redis, users, ttlSec, 1000);
  return users;
}

async function nextGroupId(pool: MysqlPool): Promise<number> {
  const [rows] = await pool.query('SELECT COALESCE(MAX(id), 0) + 1 AS next FROM chat_groups');
  return Number((rows as { next: number | string }[])[0]?.next ?? 1);
}

/** One group per member list (owner first), named `<name> <k>`. */
export async function createGroups(pool: MysqlPool, memberLists: readonly (readonly number[])[], name: string): Promise<FixtureGroup[]> {
  const conv0 = await nextId(pool, 'conversations');
  const group0 = await nextGroupId(pool);
  const conversations: unknown[][] = [];
  const groups: unknown[][] = [];
  const messages: unknown[][] = [];
  const members: unknown[][] = [];
  const out: FixtureGroup[] = [];
  const now = new Date();
  memberLists.forEach((uids, k) => {
    const conversationId = conv0 + k;
    const groupId = group0 + k;
    const owner = uids[0] as number;
    const groupName = `${name} ${k + 1}`;
    conversations.push([conversationId, 'group', 1]);
    groups.push([groupId, groupName, conversationId]);
    // The `created` event, as GroupStore.appendSystemMessage writes it.
    const body = JSON.stringify({ event: 'created', actor: owner, uids, name: groupName });
    messages.push([conversationId, 1, owner, `sys.${randomBytes(16).toString('base64url')}`, 'system', body, now]);
    uids.forEach((uid, i) => members.push([conversationId, uid, i === 0 ? 'owner' : 'member', 0, 0, null, now]));
    out.push({ groupId, conversationId, members: [...uids] });
  });
  await insertChunked(pool, 'INSERT INTO conversations (id, kind, max_seq) VALUES ?', conversations, BATCH);
  await insertChunked(pool, 'INSERT INTO chat_groups (id, name, conversation_id) VALUES ?', groups, BATCH);
  await insertChunked(pool, 'INSERT INTO messages (conversation_id, seq, sender_uid, client_msg_id, type, body, created_at) VALUES ?', messages, BATCH);
  await insertChunked(pool, 'INSERT INTO conversation_members (conversation_id, user_id, role, acked_seq, joined_seq, left_seq, joined_at) VALUES ?', members, BATCH);
  return out;
}

/** Text messages stored per conversation (system messages not counted). */
export async function storedTextMessages(pool: MysqlPool, conversationIds: readonly number[]): Promise<Map<number, number>> {
  const out = new Map<number, number>(conversationIds.map((id) => [id, 0]));
  if (conversationIds.length === 0) return out;
  const [rows] = await pool.query("SELECT conversation_id AS c, COUNT(*) AS n FROM messages WHERE conversation_id IN (?) AND type = 'text' GROUP BY conversation_id", [[...conversationIds]]);
  for (const r of rows as { c: number | string; n: number | string }[]) out.set(Number(r.c), Number(r.n));
  return out;
}
