/**
 * The registry's Lua scripts, shared by the chat-server and file-server registries (same record
 * shape: { server, connections, lastReportMs, draining }, differing keys).
 *
 * Why Lua rather than "read the registry, pick in TypeScript, then HINCRBY": a login storm sends
 * hundreds of picks at once, possibly to several status-servers sharing one Redis. With a
 * read-then-write pick they would all read the same minimum and land on the same server until its
 * next report. Redis runs a script as one step, so every pick sees the picks made before it.
 */
import type { Redis } from '@parley/common';

/** live(raw): the decoded record when it reported recently and is neither draining nor down (mirrors isLive()). */
const LIVE = `
local function live(raw, now, staleAfter)
  if not raw then return nil end
  local ok, rec = pcall(cjson.decode, raw)
  if not ok or type(rec) ~= 'table' then return nil end
  if type(rec.lastReportMs) ~= 'number' or type(rec.connections) ~= 'number' then return nil end
  if rec.draining == true or rec.down == true or now - rec.lastReportMs >= staleAfter then return nil end
  return rec
end
`;

/** Among live servers the least `connections + pending`, ties broken by `rnd`; then pending += 1. */
const LEAST_LOADED = `
local all = redis.call('HGETALL', records)
local best, bestLoad = {}, nil
for i = 1, #all, 2 do
  local id, raw = all[i], all[i + 1]
  local rec = live(raw, now, staleAfter)
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

/** Chat: a user with a live session goes back to its server first (docs/status-server.md). */
const PICK_CHAT_SCRIPT = `${LIVE}
local records, pending = KEYS[1], KEYS[2]
local now, staleAfter, rnd = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local routed = ARGV[4]
if routed ~= '' then
  local raw = redis.call('HGET', records, routed)
  if live(raw, now, staleAfter) then return {routed, raw, 1} end
end
${LEAST_LOADED}`;

/** Files: no sessions to stick to; the least loaded. */
const PICK_LEAST_LOADED_SCRIPT = `${LIVE}
local records, pending = KEYS[1], KEYS[2]
local now, staleAfter, rnd = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
${LEAST_LOADED}`;

/** Removes records silent for `forgetAfter` ms (or malformed), with their attachments, and pending counts without a record. */
const PRUNE_SCRIPT = `
local records, pending = KEYS[1], KEYS[2]
local now, forgetAfter = tonumber(ARGV[1]), tonumber(ARGV[2])
local attached = KEYS[3]
local removed = {}
local all = redis.call('HGETALL', records)
for i = 1, #all, 2 do
  local ok, rec = pcall(cjson.decode, all[i + 1])
  if not ok or type(rec) ~= 'table' or type(rec.lastReportMs) ~= 'number' or now - rec.lastReportMs >= forgetAfter then
    redis.call('HDEL', records, all[i])
    redis.call('HDEL', pending, all[i])
    redis.call('HDEL', attached, all[i])
    removed[#removed + 1] = all[i]
  end
end
local counted = redis.call('HKEYS', pending)
for _, id in ipairs(counted) do
  if redis.call('HEXISTS', records, id) == 0 then redis.call('HDEL', pending, id) end
end
return removed
`;

/** [id, raw record, 1 when chosen because of a live session] or null when nothing may be chosen. */
export type PickReply = [id: string, rawRecord: string, sticky: 0 | 1] | null;

export interface RegistryScripts {
  parleyPickChatServer(records: string, pending: string, now: number, staleAfterMs: number, random: number, routedServer: string): Promise<PickReply>;
  parleyPickLeastLoaded(records: string, pending: string, now: number, staleAfterMs: number, random: number): Promise<PickReply>;
  parleyPruneServers(records: string, pending: string, attached: string, now: number, forgetAfterMs: number): Promise<string[]>;
}

/** The client with the scripts defined (once per client; defineCommand caches them and prefixes KEYS). */
export function registryScripts(redis: Redis): RegistryScripts {
  const r = redis as Redis & Partial<RegistryScripts>;
  if (typeof r.parleyPickChatServer !== 'function') {
    redis.defineCommand('parleyPickChatServer', { numberOfKeys: 2, lua: PICK_CHAT_SCRIPT });
    redis.defineCommand('parleyPickLeastLoaded', { numberOfKeys: 2, lua: PICK_LEAST_LOADED_SCRIPT });
    redis.defineCommand('parleyPruneServers', { numberOfKeys: 3, lua: PRUNE_SCRIPT });
  }
  return r as Redis & RegistryScripts;
}
