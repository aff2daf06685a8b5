/**
 * Redis Cluster runs a script or transaction only when all its keys hash to one slot. `keySlot` is the
 * cluster's slot function (CRC16/XMODEM of the key's hash tag, mod 16384); `watchScriptKeys` records the
 * keys of every script call this process sends under a key prefix, so a test can show that each call
 * stays within one slot. It observes ioredis in-process (servers under test run in the test's process)
 * rather than through MONITOR, which on a shared Redis would stream every other client's commands too.
 */
import Redis from 'ioredis';

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
  /** The keys (prefix included) of each EVAL/EVALSHA sent so far whose first key starts with the prefix. */
  readonly calls: string[][];
  stop(): void;
}

interface SentCommand {
  name: string;
  args: unknown[];
}

/** Starts recording the script calls every ioredis client of this process sends. */
export function watchScriptKeys(prefix: string): ScriptKeyWatch {
  const proto = Redis.prototype as unknown as { sendCommand(command: SentCommand, stream?: unknown): unknown };
  const original = proto.sendCommand;
  const calls: string[][] = [];
  proto.sendCommand = function (this: unknown, command: SentCommand, stream?: unknown) {
    const name = command.name.toLowerCase();
    if (name === 'evalsha' || name === 'eval') {
      const keys = command.args.slice(2, 2 + Number(command.args[1])).map(String);
      if (keys[0]?.startsWith(prefix)) calls.push(keys);
    }
    return original.call(this, command, stream);
  };
  return {
    calls,
    stop() {
      proto.sendCommand = original;
    },
  };
}
