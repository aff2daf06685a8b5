import type { ErrorCode } from '@parley/protocol';

/**
 * Who may do what: every operation × every principal, with the expected answer. The one table behind
 * e2e/test/authorization-matrix.test.ts (which runs every cell against a real cluster) and the
 * "Authorization matrix" section of docs/security.md (`node scripts/authz-table.mjs` writes it; a test
 * checks the docs hold the current rendering), so the two cannot drift.
 */

/** Every principal is a user of its own, described by its relation to Alice and to Alice's group G. */
export const PRINCIPALS = ['stranger', 'logged-out', 'non-friend', 'friend', 'blocked', 'non-member', 'member', 'removed', 'admin', 'owner'] as const;
export type Principal = (typeof PRINCIPALS)[number];

export const PRINCIPAL_DOCS: Record<Principal, string> = {
  stranger: 'no session: a TCP connection that never logged in; an HTTP call without `Authorization`',
  'logged-out': 'an account whose token was revoked by `POST /api/logout` (its TCP login is refused)',
  'non-friend': 'a user with no relation to Alice or G',
  friend: "Alice's friend, not in G",
  blocked: "a former friend whom Alice blocked (BlockReq ended the friendship), not in G",
  'non-member': "a friend of a member of G, neither Alice's friend nor in G",
  member: "Alice's friend, a plain member of G",
  removed: "Alice's friend, removed from G by Alice (after the file message was posted)",
  admin: "Alice's friend, an admin of G",
  owner: 'Alice herself: the owner of G, of the file, of her direct conversation and of the friend request addressed to her',
};

/** `allow`, or the error code the request must be refused with. */
export type Outcome = 'allow' | ErrorCode;

export type Transport = 'TCP' | 'file TCP' | 'REST';

export const OPERATIONS = [
  'dm.send',
  'dm.send-in-conversation',
  'dm.send-own-conversation',
  'dm.history',
  'group.send',
  'group.pull',
  'group.history',
  'sync',
  'group.info',
  'group.invite',
  'group.remove',
  'group.remove-admin',
  'group.approve',
  'group.role',
  'group.transfer',
  'group.leave',
  'group.rename',
  'group.dissolve',
  'file.download',
  'friend.request',
  'friend.reply',
  'friend.delete',
  'block',
  'logout',
  'rest.conversations',
  'rest.group-messages',
  'rest.group-post',
  'rest.direct-messages',
  'rest.direct-post',
  'rest.groups',
  'rest.group-create',
  'rest.group-info',
  'rest.logout',
  'rest.health',
] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface OperationRow {
  operation: Operation;
  transport: Transport;
  /** What is asked, in the docs' words. */
  label: string;
  expect: Record<Principal, Outcome>;
}

type Cells = Partial<Record<Principal, Outcome>>;

/** Every logged-in principal gets `rest` unless listed; the two without a session get the transport's refusal. */
function cells(transport: Transport, rest: Outcome, listed: Cells): Record<Principal, Outcome> {
  const unauthenticated: Cells =
    transport === 'REST' ? { stranger: 'UNAUTHENTICATED', 'logged-out': 'TOKEN_INVALID' } : { stranger: 'LOGIN_REQUIRED', 'logged-out': 'TOKEN_INVALID' };
  return Object.fromEntries(PRINCIPALS.map((p) => [p, listed[p] ?? unauthenticated[p] ?? rest])) as Record<Principal, Outcome>;
}

const FRIENDS_OF_ALICE: Cells = { friend: 'allow', member: 'allow', removed: 'allow', admin: 'allow' };
const IN_G: Cells = { member: 'allow', admin: 'allow', owner: 'allow' };
/** Readers of G's messages: its members, and a removed member up to the seq of their removal. */
const READERS_OF_G: Cells = { ...IN_G, removed: 'allow' };
const IN_DIRECT: Cells = { friend: 'allow', owner: 'allow' };

function row(operation: Operation, transport: Transport, label: string, rest: Outcome, listed: Cells = {}): OperationRow {
  return { operation, transport, label, expect: cells(transport, rest, listed) };
}

export const AUTHORIZATION_TABLE: readonly OperationRow[] = [
  row('dm.send', 'TCP', 'SendReq `to: Alice` (direct message)', 'NOT_FRIENDS', { ...FRIENDS_OF_ALICE, blocked: 'BLOCKED', owner: 'NOT_FRIENDS' }),
  row('dm.send-in-conversation', 'TCP', "SendReq `conversationId` of Alice's direct conversation with her friend", 'NOT_MEMBER', IN_DIRECT),
  row('dm.send-own-conversation', 'TCP', "SendReq `conversationId` of the caller's own direct conversation with Alice (Alice's with her friend for callers without one)", 'NOT_MEMBER', { ...FRIENDS_OF_ALICE, blocked: 'BLOCKED', owner: 'allow' }),
  row('dm.history', 'TCP', "HistoryReq of Alice's direct conversation with her friend", 'NOT_MEMBER', IN_DIRECT),
  row('group.send', 'TCP', "SendReq `conversationId` of G (group post)", 'NOT_MEMBER', IN_G),
  row('group.pull', 'TCP', "PullReq of G's conversation", 'NOT_MEMBER', READERS_OF_G),
  row('group.history', 'TCP', "HistoryReq of G's conversation", 'NOT_MEMBER', READERS_OF_G),
  row('sync', 'TCP', 'SyncReq (lists only conversations the caller is or was in)', 'allow'),
  row('group.info', 'TCP', 'GroupInfoReq G (info and members)', 'NOT_MEMBER', IN_G),
  row('group.invite', 'TCP', 'GroupInviteReq G (any member may invite)', 'NOT_MEMBER', IN_G),
  row('group.remove', 'TCP', 'GroupRemoveReq G, a plain member', 'NOT_MEMBER', { member: 'FORBIDDEN', admin: 'allow', owner: 'allow' }),
  row('group.remove-admin', 'TCP', 'GroupRemoveReq G, an admin', 'NOT_MEMBER', { member: 'FORBIDDEN', admin: 'FORBIDDEN', owner: 'allow' }),
  row('group.approve', 'TCP', "GroupApproveReq G (a member's pending invitation)", 'NOT_MEMBER', { member: 'FORBIDDEN', admin: 'allow', owner: 'allow' }),
  row('group.role', 'TCP', 'GroupRoleReq G (set a role)', 'NOT_MEMBER', { member: 'FORBIDDEN', admin: 'FORBIDDEN', owner: 'allow' }),
  row('group.rename', 'TCP', 'GroupUpdateReq G `name` (rename)', 'NOT_MEMBER', { member: 'FORBIDDEN', admin: 'FORBIDDEN', owner: 'allow' }),
  row('group.transfer', 'TCP', 'GroupTransferReq G to a member', 'NOT_MEMBER', { member: 'FORBIDDEN', admin: 'FORBIDDEN', owner: 'allow' }),
  row('group.leave', 'TCP', 'GroupLeaveReq G', 'NOT_MEMBER', { member: 'allow', admin: 'allow', owner: 'OWNER_MUST_TRANSFER' }),
  row('group.dissolve', 'TCP', 'GroupDissolveReq G', 'NOT_MEMBER', { member: 'FORBIDDEN', admin: 'FORBIDDEN', owner: 'allow' }),
  row('file.download', 'file TCP', "DownloadReq of Alice's file, posted in G", 'FILE_NOT_FOUND', READERS_OF_G),
  row('friend.request', 'TCP', 'FriendRequestReq to Alice', 'allow', { friend: 'ALREADY_FRIENDS', member: 'ALREADY_FRIENDS', removed: 'ALREADY_FRIENDS', admin: 'ALREADY_FRIENDS', blocked: 'BLOCKED', owner: 'SELF_REQUEST' }),
  row('friend.reply', 'TCP', 'FriendReplyReq to a friend request addressed to Alice', 'NOT_FOUND', { owner: 'allow' }),
  row('friend.delete', 'TCP', 'FriendDeleteReq Alice', 'NOT_FRIENDS', FRIENDS_OF_ALICE),
  row('block', 'TCP', 'BlockReq Alice', 'allow', { owner: 'VALIDATION_FAILED' }),
  row('logout', 'TCP', 'LogoutReq (ends the caller’s own session and token)', 'allow'),
  row('rest.conversations', 'REST', 'GET /api/conversations (only the caller’s own)', 'allow'),
  row('rest.group-messages', 'REST', "GET /api/conversations/:G's conversation/messages", 'NOT_MEMBER', READERS_OF_G),
  row('rest.group-post', 'REST', "POST /api/conversations/:G's conversation/messages", 'NOT_MEMBER', IN_G),
  row('rest.direct-messages', 'REST', "GET /api/conversations/:Alice's direct conversation/messages", 'NOT_MEMBER', IN_DIRECT),
  row('rest.direct-post', 'REST', 'POST /api/conversations/:the caller\'s direct conversation with Alice/messages (as above)', 'NOT_MEMBER', { ...FRIENDS_OF_ALICE, blocked: 'BLOCKED', owner: 'allow' }),
  row('rest.groups', 'REST', 'GET /api/groups (only the caller’s own)', 'allow'),
  row('rest.group-create', 'REST', 'POST /api/groups with `members: [Alice]`', 'NOT_FRIENDS', { ...FRIENDS_OF_ALICE, owner: 'allow' }),
  row('rest.group-info', 'REST', 'GET /api/groups/:G', 'NOT_MEMBER', IN_G),
  row('rest.logout', 'REST', 'POST /api/logout (the caller’s own token)', 'allow'),
  row('rest.health', 'REST', 'GET /api/health (public)', 'allow', { stranger: 'allow', 'logged-out': 'allow' }),
];

/** The markdown of docs/security.md's matrix (between its authz-table markers). */
export function renderAuthorizationTable(): string {
  const short = (o: Outcome) => (o === 'allow' ? '✓' : `\`${o}\``);
  const lines = [
    `| Operation | Via | ${PRINCIPALS.join(' | ')} |`,
    `|---|---|${PRINCIPALS.map(() => '---|').join('')}`,
    ...AUTHORIZATION_TABLE.map((r) => `| ${r.label} | ${r.transport} | ${PRINCIPALS.map((p) => short(r.expect[p])).join(' | ')} |`),
    '',
    'Principals:',
    '',
    ...PRINCIPALS.map((p) => `- **${p}**: ${PRINCIPAL_DOCS[p]}.`),
  ];
  return lines.join('\n');
}
