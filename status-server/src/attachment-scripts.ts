/**
 * The Lua scripts behind attachments and the `down` mark (docs/status-server.md, "Attachments"). Each
 * touches one registry's keys only — records, pending counts and attachments share the registry's hash
 * tag — so they run on Redis Cluster.
 *
 * Why scripts: a report that was already on its way when its server died must not revive it, and a
 * stream that ended late (its server attached again meanwhile) must not mark the new attachment down.
 * Both decisions read one key and write another; only a script makes them one step.
 */
import type { Redis } from '@parley/common';

/** Sets `rec.down` in the JSON record of `id`, if there is one. */
const SET_DOWN = `
local function setDown(records, id)
  local raw = redis.call('HGET', records, id)
  if not raw then return 0 end
  local ok, rec = pcall(cjson.decode, raw)
  if not ok or type(rec) ~= 'table' or rec.down == true then return 0 end
  rec.down = true
  redis.call('HSET', records, id, cjson.encode(rec))
  return 1
end
`;

/**
 * A load report: writes the record and resets the pending count. A record marked down stays down unless
 * the server holds an attachment (a report that was in flight when the server died cannot revive it; a
 * live server attaches again within a second, and a failed probe of an attached server is undone here).
 * `token` names the server's stream when it is attached to this status-server: it restores an
 * attachment that Redis lost (a restart or flush). Returns 1 when the server was not registered.
 */
const REPORT = `
local records, pending, attached = KEYS[1], KEYS[2], KEYS[3]
local id, fresh, downRecord, token = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if token ~= '' then redis.call('HSETNX', attached, id, token) end
local old = redis.call('HGET', records, id)
local value = fresh
if old and redis.call('HEXISTS', attached, id) == 0 then
  local ok, rec = pcall(cjson.decode, old)
  if ok and type(rec) == 'table' and rec.down == true then value = downRecord end
end
redis.call('HSET', records, id, value)
redis.call('HDEL', pending, id)
if old then return 0 end
return 1`;

/** An attachment opened: the server is registered (not down) and `token` names its stream. 1 when new. */
const ATTACH = `
local records, pending, attached = KEYS[1], KEYS[2], KEYS[3]
local id, fresh, token = ARGV[1], ARGV[2], ARGV[3]
local old = redis.call('HGET', records, id)
redis.call('HSET', records, id, fresh)
redis.call('HDEL', pending, id)
redis.call('HSET', attached, id, token)
if old then return 0 end
return 1`;

/** The stream `token` ended: if it is still the server's attachment, the server is down. 1 when marked. */
const DETACH = `${SET_DOWN}
local records, attached = KEYS[1], KEYS[2]
local id, token = ARGV[1], ARGV[2]
if redis.call('HGET', attached, id) ~= token then return 0 end
redis.call('HDEL', attached, id)
setDown(records, id)
return 1`;

/** A failed probe: marks the record down (the attachment stays: an attached server's next report undoes it). */
const MARK_DOWN = `${SET_DOWN}
return setDown(KEYS[1], ARGV[1])`;

export interface AttachmentScripts {
  parleyRegistryReport(records: string, pending: string, attached: string, id: string, fresh: string, downRecord: string, token: string): Promise<number>;
  parleyRegistryAttach(records: string, pending: string, attached: string, id: string, fresh: string, token: string): Promise<number>;
  parleyRegistryDetach(records: string, attached: string, id: string, token: string): Promise<number>;
  parleyRegistryMarkDown(records: string, id: string): Promise<number>;
}

/** The client with the scripts defined (once per client). */
export function attachmentScripts(redis: Redis): AttachmentScripts {
  const r = redis as Redis & Partial<AttachmentScripts>;
  if (typeof r.parleyRegistryReport !== 'function') {
    redis.defineCommand('parleyRegistryReport', { numberOfKeys: 3, lua: REPORT });
    redis.defineCommand('parleyRegistryAttach', { numberOfKeys: 3, lua: ATTACH });
    redis.defineCommand('parleyRegistryDetach', { numberOfKeys: 2, lua: DETACH });
    redis.defineCommand('parleyRegistryMarkDown', { numberOfKeys: 1, lua: MARK_DOWN });
  }
  return r as Redis & AttachmentScripts;
}
