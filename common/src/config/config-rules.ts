/**
 * Rules that span several keys, checked once after every key has its value (a single key's type and range
 * are in config-schema.ts). Each returns the problem as a sentence naming the keys, or undefined.
 */
import type { ParleyConfig } from './config-schema';

/**
 * OWASP's argon2id minimums (Password Storage Cheat Sheet): equally strong pairs of memory and
 * iterations, parallelism 1 — 46 MiB × 1, 19 MiB × 2, 12 MiB × 3, 9 MiB × 4, 7 MiB × 5.
 */
export const ARGON2_OWASP_MINIMUMS: readonly { timeCost: number; memoryKib: number }[] = [
  { timeCost: 1, memoryKib: 47104 },
  { timeCost: 2, memoryKib: 19456 },
  { timeCost: 3, memoryKib: 12288 },
  { timeCost: 4, memoryKib: 9216 },
  { timeCost: 5, memoryKib: 7168 },
];

/** The least memory (KiB) OWASP accepts at `timeCost` iterations. */
export function argon2MinimumMemoryKib(timeCost: number): number {
  let least = Infinity;
  for (const m of ARGON2_OWASP_MINIMUMS) if (timeCost >= m.timeCost) least = Math.min(least, m.memoryKib);
  return least;
}

/** The entries of a comma-separated origin list (chat/file ws_allowed_origins). */
export function parseOriginList(text: string): string[] {
  return text
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o !== '');
}

/** An origin as browsers send it: scheme, host and optional port, no path or trailing slash. */
const ORIGIN = /^https?:\/\/[A-Za-z0-9.\-[\]:]+$/;

function originRule(section: string, text: string): string | undefined {
  const bad = parseOriginList(text).find((o) => !ORIGIN.test(o));
  return bad === undefined ? undefined : `[${section}] ws_allowed_origins: "${bad}" is not an origin like https://chat.example.com (scheme and host, optional port, no path)`;
}

type Rule = (config: Omit<ParleyConfig, 'chatServers' | 'source'>) => string | undefined;

export const configRules: readonly Rule[] = [
  ({ chat }) => originRule('chat', chat.wsAllowedOrigins),
  ({ file }) => originRule('file', file.wsAllowedOrigins),
  ({ gate }) => {
    const least = argon2MinimumMemoryKib(gate.hashTimeCost);
    if (gate.hashMemoryKib >= least) return undefined;
    const pairs = ARGON2_OWASP_MINIMUMS.map((m) => `${m.memoryKib} KiB × ${m.timeCost}`).join(', ');
    return `[gate] hash_memory_kib ${gate.hashMemoryKib} with hash_time_cost ${gate.hashTimeCost} is below OWASP's minimum for argon2id (at ${gate.hashTimeCost} iterations at least ${least} KiB; the minimum pairs are ${pairs})`;
  },
  ({ chat }) =>
    chat.outputPauseBytes < chat.maxOutputBytes
      ? undefined
      : `[chat] output_pause_bytes ${chat.outputPauseBytes} must be below max_output_bytes ${chat.maxOutputBytes} (a client is paused before it is dropped)`,
];
