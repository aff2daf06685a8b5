/**
 * The verify-server's private Redis keys (relative to the configured prefix), in one place so their hash
 * tags are seen together. Redis Cluster runs a script only when all its keys live in one hash slot, so
 * every key of one address carries the tag `{e:<address>}` and the per-IP key the tag `{ip:<bucket>}`;
 * a script touches keys of one tag only. (An address may itself contain "}": the tag then ends early,
 * but at the same place for every key of that address, so they still share a slot.)
 */
import { ipLimitKey } from '@parley/common';
import type { Purpose } from './code-store';

const email = (address: string): string => `verify:{e:${address}}`;

export const VerifyKeys = {
  /** Hash: the current code for (purpose, address) — salted digest, attempts, nonce; TTL = code lifetime. */
  code: (purpose: Purpose, address: string): string => `${email(address)}:code:${purpose}`,
  /** String: set while the address must wait before another code (verify.resend_interval_sec). */
  cooldown: (address: string): string => `${email(address)}:cooldown`,
  /** Sorted set: codes sent to the address in the last hour (verify.hourly_limit_per_email). */
  emailWindow: (address: string): string => `${email(address)}:hourly`,
  /** Sorted set: wrong codes tried for the address in the last 24 hours (verify.daily_failure_limit). */
  failures: (address: string): string => `${email(address)}:failures`,
  /** Sorted set: codes asked for from the client's IP bucket in the last hour (verify.hourly_limit_per_ip). */
  ipWindow: (clientIp: string): string => `verify:{ip:${ipLimitKey(clientIp) || '-'}}:hourly`,
} as const;
