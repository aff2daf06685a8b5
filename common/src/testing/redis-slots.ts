/**
 * Redis Cluster runs a script or transaction only when all its keys hash to one slot. `keySlot` is the
 * cluster's slot function (CRC16/XMODEM of the key's hash tag, mod 16384); `watchScriptKeys` records the
 * keys of every script call made under a key prefix (through MONITOR), so a test can show that each call
 * stays within one slot.
 */
import type { ParleyConfig } from '../config/config-schema';
import { createRedis } from '../redis/redis-client';

const SLOTS = 16384;

function crc16(data: Buffer): number {
  let crc = 0;
  for (const byte of data) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** The cluster slot of a full key: only the part inside the first non-empty {…} counts, when there is one. */
export function keySlot(key: string): number {
  const open = key.indexOf('{');
  const close = open >= 0 ? key.indexOf('}', open + 1) : -1;
  const hashed = close > open + 1 ? key.slice(open + 1, close) : key;
  return crc16(Buffer.from(hashed, 'utf8')) % SLOTS;
}

export interface ScriptKeyWatch {
  /** The keys of each EVAL/EVALSHA seen so far whose first key starts with the prefix. */
  readonly calls: string[][];
  stop(): Promise<void>;
}

/** Starts recording script calls on the configured Redis (a MONITOR connection of its own). */
export async function watchScriptKeys(cfg: ParleyConfig['redis'], prefix: string): Promise<ScriptKeyWatch> {
  const client = createRedis({ ...cfg, keyPrefix: '' });
  const monitor = await client.monitor();
  const calls: string[][] = [];
  monitor.on('monitor', (_time: string, args: string[]) => {
    const command = args[0]?.toLowerCase();
    if (command !== 'evalsha' && command !== 'eval') return;
    const keys = args.slice(3, 3 + Number(args[2]));
    if (keys[0]?.startsWith(prefix)) calls.push(keys);
  });
  return {
    calls,
    async stop() {
      monitor.disconnect();
      client.disconnect();
    },
  };
}
