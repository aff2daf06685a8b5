import { performance } from 'node:perf_hooks';
import { DEFAULT_MAX_FRAME_BYTES } from '../protocol-limits';
import { decodeCheck } from './decode-check';
import { nextFuzzFrame } from './frame-mutator';
import { Prng } from './prng';

export interface DecodeFuzzOptions {
  seed: number;
  inputs: number;
  /** An input slower than this is counted (and the slowest reported). Default 100 ms. */
  budgetMs?: number;
  maxBodyBytes?: number;
  progress?: (done: number) => void;
}

export interface DecodeFuzzSummary {
  seed: number;
  inputs: number;
  megabytes: number;
  seconds: number;
  frames: number;
  accepted: number;
  /** Inputs by how they were made (the part before the first colon). */
  kinds: Record<string, number>;
  codes: Record<string, number>;
  maxMs: number;
  slowest: { index: number; kind: string; bytes: number };
  overBudget: number;
  /** Process RSS, sampled every 10 000 inputs. */
  rssStartMb: number;
  rssMaxMb: number;
  /** Inputs that made the protocol layer throw something other than a documented ProtocolError. */
  crashes: { index: number; kind: string; crash: string; hexPrefix: string }[];
}

const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;

/**
 * The in-process part of the fuzz run: `inputs` seeded frames through the TLV decoder and the message
 * schemas (decodeCheck), with the time of each input and the process's memory watched.
 */
export function runDecodeFuzz(options: DecodeFuzzOptions): DecodeFuzzSummary {
  const prng = new Prng(options.seed);
  const budget = options.budgetMs ?? 100;
  const started = performance.now();
  const rssStart = process.memoryUsage().rss;
  const s: DecodeFuzzSummary = {
    seed: options.seed,
    inputs: 0,
    megabytes: 0,
    seconds: 0,
    frames: 0,
    accepted: 0,
    kinds: {},
    codes: {},
    maxMs: 0,
    slowest: { index: -1, kind: '', bytes: 0 },
    overBudget: 0,
    rssStartMb: mb(rssStart),
    rssMaxMb: mb(rssStart),
    crashes: [],
  };
  let bytes = 0;
  for (let i = 0; i < options.inputs; i++) {
    const input = nextFuzzFrame(prng);
    const r = decodeCheck(prng, input.bytes, options.maxBodyBytes ?? DEFAULT_MAX_FRAME_BYTES);
    bytes += input.bytes.length;
    s.inputs++;
    s.frames += r.frames;
    s.accepted += r.accepted;
    const family = input.kind.split(':')[0] ?? input.kind;
    s.kinds[family] = (s.kinds[family] ?? 0) + 1;
    for (const c of r.codes) s.codes[c] = (s.codes[c] ?? 0) + 1;
    if (r.ms > s.maxMs) {
      s.maxMs = r.ms;
      s.slowest = { index: i, kind: input.kind, bytes: input.bytes.length };
    }
    if (r.ms > budget) s.overBudget++;
    if (r.crash !== undefined && s.crashes.length < 100) s.crashes.push({ index: i, kind: input.kind, crash: r.crash, hexPrefix: input.bytes.subarray(0, 64).toString('hex') });
    if (i % 10_000 === 9_999) {
      s.rssMaxMb = Math.max(s.rssMaxMb, mb(process.memoryUsage().rss));
      options.progress?.(i + 1);
    }
  }
  s.megabytes = mb(bytes);
  s.maxMs = Math.round(s.maxMs * 10) / 10;
  s.seconds = Math.round((performance.now() - started) / 100) / 10;
  s.rssMaxMb = Math.max(s.rssMaxMb, mb(process.memoryUsage().rss));
  return s;
}
