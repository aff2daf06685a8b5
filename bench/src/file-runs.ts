/**
 * The measured runs of the file benchmark: the plain-socket yardstick and Parley's uploads and
 * downloads (FileTransfers against a file-server process), each timed with the file server's RSS
 * sampled meanwhile, and the concurrent-uploads scenario.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, rmSync, statSync } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import net from 'node:net';
import { FileTransfers, type UploadResult } from '@parley/protocol';
import { CpuWindow, rssKib } from './proc-stats';

export interface RunResult {
  seconds: number;
  mibPerSec: number;
  /** File-server RSS growth over the run (peak − before), MiB; undefined for the plain copy. */
  rssGrowthMib?: number;
  /** Percent of one core per process, and per core, over the run. */
  cpu: Record<string, number>;
}

export interface RunContext {
  filePid: number;
  plainPid: number;
  fileEndpoint: { host: string; port: number };
  plainPort: number;
}

const MiB = 1024 * 1024;

/** Samples a process's RSS every 20 ms; stop() gives the peak growth over the first sample, MiB. */
export function rssSampler(pid: number): { stop(): number } {
  const base = rssKib(pid);
  let peak = base;
  const timer = setInterval(() => {
    const now = rssKib(pid);
    if (now > peak) peak = now;
  }, 20);
  return {
    stop() {
      clearInterval(timer);
      return Math.round(((peak - base) / 1024) * 10) / 10;
    },
  };
}

async function measure(ctx: RunContext, bytes: number, sampleRss: boolean, work: () => Promise<void>): Promise<RunResult> {
  const cpu = new CpuWindow(() => ({ fileServer: ctx.filePid, plainCopy: ctx.plainPid, generator: process.pid }));
  const rss = sampleRss ? rssSampler(ctx.filePid) : undefined;
  cpu.start();
  const t0 = performance.now();
  await work();
  const seconds = (performance.now() - t0) / 1000;
  const result: RunResult = { seconds: round(seconds, 3), mibPerSec: round(bytes / MiB / seconds, 1), cpu: cpu.stop() };
  if (rss) result.rssGrowthMib = rss.stop();
  return result;
}

function header(mode: 'U' | 'H' | 'D', length: number): Buffer {
  const h = Buffer.alloc(9);
  h.write(mode, 0, 'latin1');
  h.writeBigUInt64BE(BigInt(length), 1);
  return h;
}

/** The source file over a plain socket into the yardstick's sink file, fdatasync'd there (`hashed`: the receiver also sha256es it). */
export function plainUpload(ctx: RunContext, path: string, hashed = false): Promise<RunResult> {
  const size = statSync(path).size;
  return measure(ctx, size, false, () => new Promise<void>((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port: ctx.plainPort }, () => {
      socket.write(header(hashed ? 'H' : 'U', size));
      createReadStream(path, { highWaterMark: 256 * 1024 }).pipe(socket, { end: false });
    });
    socket.setNoDelay(true);
    socket.once('data', () => resolve());
    socket.once('error', reject);
  }));
}

/** The yardstick's source file over a plain socket into `dest`, fdatasync'd (`hashed`: the receiver also sha256es it, as Parley's client does). */
export function plainDownload(ctx: RunContext, size: number, dest: string, hashed = false): Promise<RunResult> {
  return measure(ctx, size, false, () => new Promise<void>((resolve, reject) => {
    const out = createWriteStream(dest, { highWaterMark: 256 * 1024 });
    const hash = hashed ? createHash('sha256') : undefined;
    const socket = net.connect({ host: '127.0.0.1', port: ctx.plainPort }, () => socket.write(header('D', size)));
    if (hash) socket.on('data', (chunk: Buffer) => hash.update(chunk));
    socket.pipe(out);
    out.once('finish', () => {
      hash?.digest();
      void open(dest, 'r+').then(async (h) => {
        await h.datasync();
        await h.close();
        resolve();
      }, reject);
    });
    socket.once('error', reject);
  }));
}

export function transfers(ctx: RunContext, user: { uid: number; token: string }): FileTransfers {
  return new FileTransfers({ endpoint: ctx.fileEndpoint, uid: user.uid, token: user.token, progressIntervalMs: 1000 });
}

/** An upload through the file server; `sha256` given = the client's hashing left out of the time. */
export async function parleyUpload(ctx: RunContext, user: { uid: number; token: string }, path: string, sha256?: string): Promise<RunResult & { fileId: number }> {
  const t = transfers(ctx, user);
  let uploaded: UploadResult | undefined;
  try {
    const run = await measure(ctx, statSync(path).size, true, async () => {
      uploaded = await t.upload(path, sha256 === undefined ? {} : { sha256 });
    });
    return { ...run, fileId: (uploaded as UploadResult).fileId };
  } finally {
    await t.close();
  }
}

/** A download through the file server into `dest` (hashed and fdatasync'd by the client). */
export async function parleyDownload(ctx: RunContext, user: { uid: number; token: string }, fileId: number, size: number, dest: string): Promise<RunResult> {
  const t = transfers(ctx, user);
  try {
    return await measure(ctx, size, true, async () => {
      await t.download(fileId, dest);
    });
  } finally {
    await t.close();
    await unlink(dest).catch(() => undefined);
  }
}

export interface ConcurrentResult {
  uploads: number;
  mibEach: number;
  wallSeconds: number;
  aggregateMibPerSec: number;
  perUploadSeconds: { p50: number; p99: number; max: number };
  rssGrowthMib: number;
  cpu: Record<string, number>;
}

/** Every file uploaded at once, each by its own user on its own connection; the hashes are known beforehand. */
export async function concurrentUploads(ctx: RunContext, users: { uid: number; token: string }[], files: { path: string; sha256: string; size: number }[]): Promise<ConcurrentResult> {
  const all = files.map((_, i) => transfers(ctx, users[i] as { uid: number; token: string }));
  const times: number[] = [];
  const total = files.reduce((n, f) => n + f.size, 0);
  try {
    const run = await measure(ctx, total, true, async () => {
      await Promise.all(files.map(async (f, i) => {
        const t0 = performance.now();
        await (all[i] as FileTransfers).upload(f.path, { sha256: f.sha256 });
        times.push((performance.now() - t0) / 1000);
      }));
    });
    times.sort((a, b) => a - b);
    const pick = (q: number) => round(times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)] as number, 3);
    return {
      uploads: files.length,
      mibEach: round((files[0]?.size ?? 0) / MiB, 1),
      wallSeconds: run.seconds,
      aggregateMibPerSec: run.mibPerSec,
      perUploadSeconds: { p50: pick(0.5), p99: pick(0.99), max: round(times.at(-1) ?? 0, 3) },
      rssGrowthMib: run.rssGrowthMib ?? 0,
      cpu: run.cpu,
    };
  } finally {
    await Promise.all(all.map((t) => t.close()));
  }
}

export function removeQuietly(path: string): void {
  rmSync(path, { force: true, recursive: true });
}

export function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/**
 * Writes `bytes` of new pages into a fresh file at `path` (4 MiB writes), deletes it, and returns the
 * CPU that cost (all threads of this process, mostly the kernel's), ms per GiB. On this VM the
 * kernel hands memory that stays free back to the host (page_reporting in /proc/cmdline), and a
 * page touched again faults there: the same write has cost 0.2 to 4 s per GiB minutes apart.
 */
export async function pageCacheCost(path: string, bytes: number): Promise<number> {
  const block = Buffer.alloc(4 * MiB, 1);
  const handle = await open(path, 'w');
  const before = process.cpuUsage();
  try {
    for (let at = 0; at < bytes; at += block.length) await handle.write(block, 0, Math.min(block.length, bytes - at), at);
  } finally {
    await handle.close();
  }
  const used = process.cpuUsage(before);
  removeQuietly(path);
  return Math.round(((used.user + used.system) / 1000) * (1024 * MiB / bytes));
}
