/**
 * The choice of a chat server for one login, done atomically inside Redis.
 *
 * Why a Lua script rather than "read the registry, pick in TypeScript, then HINCRBY": a login storm sends
 * hundreds of GetChatServer calls at once, possibly to several status-servers sharing one Redis. With a
 * read-then-write pick they would all read the same minimum and land on the same server until its next
 * report. Redis runs a script as one step, so every pick sees the logins assigned by all picks before it.
 *
 * Rule (mirrors isLive() in chat-server-registry.ts):
 * 1. Sticky: if route(uid).server names a live, non-draining server, choose it and count nothing
 *    (the new connection replaces the user's old one there, so the load does not change).
 * 2. Otherwise among live, non-draining servers take the least `connections + pending` (pending = logins
 *    assigned since the server's last report), ties broken by the caller's random number; then pending += 1.
 */
import { RedisKeys, type ChatServerRecord, type Redis } from '@parley/common';

/** Hash id → logins assigned since that server's last report. Private to status-servers. */
export const PENDING_KEY = 'chat-servers:pending';

const PICK_SCRIPT = `
local records, pending, route = KEYS[1], KEYS[2], KEYS[3]
local now, staleAfter, rnd = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])

local function live(raw)
  if not raw then return nil end
  local ok, rec = pcall(cjson.decode, raw)
  if not ok or type(rec) ~= 'table' then return nil end
  if type(rec.lastReportMs) ~= 'number' or type(rec.connections) ~= 'number' then return nil end
  if rec.draining == true or now - rec.lastReportMs >= staleAfter then return nil end
  return rec
end

local routed = redis.pcall('HGET', route, 'server')
if type(routed) == 'string' then
  local raw = redis.call('HGET', records, routed)
  if live(raw) then return {routed, raw, 1} end
end

local all = redis.call('HGETALL', records)
local best, bestLoad = {}, nil
for i = 1, #all, 2 do
  local id, raw = all[i], all[i + 1]
  local rec = live(raw)
  if rec then
    local load = rec.connections + (tonumber(redis.call('HGET', pending, id)) or 0)
    if bestLoad == nil or load < bestLoad then
      best, bestLoad = {id}, load
    elseif load == bestLoad then
      best[#best + 1] = id
    end
  end
end
if #best == 0 then return false end
local idx = math.min(#best, math.floor(rnd * #best) + 1)
local id = best[idx]
redis.call('HINCRBY', pending, id, 1)
return {id, redis.call('HGET', records, id), 0}
`;

type PickReply = [id: string, rawRecord: string, sticky: 0 | 1] | null;

interface RedisWithPick extends Redis {
  parleyPickChatServer(records: string, pending: string, route: string, now: number, staleAfterMs: number, random: number): Promise<PickReply>;
}

function withPick(redis: Redis): RedisWithPick {
  const r = redis as RedisWithPick;
  // defineCommand caches the script (EVALSHA, falling back to EVAL) and applies the key prefix to KEYS.
  if (typeof r.parleyPickChatServer !== 'function') redis.defineCommand('parleyPickChatServer', { numberOfKeys: 3, lua: PICK_SCRIPT });
  return r;
}

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

/** Chooses a server for uid and counts the login against it; undefined when no server may be chosen. */
export async function pickChatServer(redis: Redis, uid: number, options: PickOptions): Promise<PickResult | undefined> {
  const reply = await withPick(redis).parleyPickChatServer(RedisKeys.chatServers, PENDING_KEY, RedisKeys.route(uid), options.nowMs, options.staleAfterMs, options.random);
  if (!reply) return undefined;
  const [, raw, sticky] = reply;
  return { record: JSON.parse(raw) as ChatServerRecord, sticky: sticky === 1 };
}
