/**
 * The choice of a server for one login, done atomically inside Redis (registry-scripts.ts).
 *
 * Chat servers (mirrors isLive() in chat-server-registry.ts):
 * 1. Sticky: if route(uid).server names a live, non-draining server, choose it and count nothing
 *    (the new connection replaces the user's old one there, so the load does not change). The route
 *    is read just before the script (it lives in another hash slot); a route that changes in between
 *    only makes the choice less sticky.
 * 2. Otherwise among live, non-draining servers take the least `connections + pending` (pending = logins
 *    assigned since the server's last report), ties broken by the caller's random number; then pending += 1.
 * File servers: step 2 only (a user may hold any number of file connections, on any file server).
 */
import { RedisKeys, type ChatServerRecord, type FileServerRecord, type Redis } from '@parley/common';
import { registryScripts } from './registry-scripts';

/** Hash id → logins assigned since that server's last report. Private to status-servers. */
export const PENDING_KEY = '{chat-servers}:pending';
/** The same for file servers. */
export const FILE_PENDING_KEY = '{file-servers}:pending';
/** Hash id → token of the chat server's open attachment stream (attachments.ts). Private to status-servers. */
export const ATTACHED_KEY = '{chat-servers}:attached';
/** The same for file servers. */
export const FILE_ATTACHED_KEY = '{file-servers}:attached';

export interface PickResult {
  record: ChatServerRecord;
  /** True when chosen because the user already has a live session there. */
  sticky: boolean;
}

export interface PickOptions {
  nowMs: number;
  /** A server whose last report is at least this old is not chosen. */
  staleAfterMs: number;
  /** In [0, 1): breaks ties among equally loaded servers. */
  random: number;
}

/** Chooses a chat server for uid and counts the login against it; undefined when no server may be chosen. */
export async function pickChatServer(redis: Redis, uid: number, options: PickOptions): Promise<PickResult | undefined> {
  // A route that cannot be read (e.g. a wrong type) only loses the stickiness.
  const routed = (await redis.hget(RedisKeys.route(uid), 'server').catch(() => null)) ?? '';
  const reply = await registryScripts(redis).parleyPickChatServer(RedisKeys.chatServers, PENDING_KEY, options.nowMs, options.staleAfterMs, options.random, routed);
  if (!reply) return undefined;
  const [, raw, sticky] = reply;
  return { record: JSON.parse(raw) as ChatServerRecord, sticky: sticky === 1 };
}

/** Chooses the least-loaded file server and counts the login against it; undefined when none is live. */
export async function pickFileServer(redis: Redis, options: PickOptions): Promise<FileServerRecord | undefined> {
  const reply = await registryScripts(redis).parleyPickLeastLoaded(RedisKeys.fileServers, FILE_PENDING_KEY, options.nowMs, options.staleAfterMs, options.random);
  return reply ? (JSON.parse(reply[1]) as FileServerRecord) : undefined;
}
