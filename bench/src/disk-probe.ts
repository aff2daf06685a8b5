/**
 * How the disk answers fdatasync right now: a 4 KiB write and an fdatasync, back to back, for a few
 * seconds, in a directory on the filesystem MariaDB writes to. Every SendAck waits for a COMMIT, and
 * every COMMIT for one fdatasync of InnoDB's log: a disk that stalls stalls every ack with it, at
 * any message rate. On this VM the median is about 0.1 ms, but some mornings bring dozens of stalls
 * of 50–250 ms a minute, and a step's p99 then says more about the disk than about the servers.
 */
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';

export interface FsyncProbe {
  dir: string;
  seconds: number;
  calls: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  /** fdatasyncs that took longer than 50 ms. */
  over50Ms: number;
}

export async function fsyncProbe(dir: string, seconds: number): Promise<FsyncProbe> {
  const path = join(dir, `fsync-probe-${process.pid}.bin`);
  const handle = await open(path, 'w');
  const block = Buffer.alloc(4096, 1);
  const took: number[] = [];
  try {
    const end = performance.now() + seconds * 1000;
    for (let i = 0; performance.now() < end; i++) {
      // 256 slots rewritten in turn: the file stays 1 MiB, as a log being overwritten.
      await handle.write(block, 0, block.length, (i % 256) * block.length);
      const t0 = performance.now();
      await handle.datasync();
      took.push(performance.now() - t0);
    }
  } finally {
    await handle.close();
    await rm(path, { force: true });
  }
  took.sort((a, b) => a - b);
  const at = (q: number) => Math.round((took[Math.min(took.length - 1, Math.floor(q * took.length))] ?? 0) * 100) / 100;
  return { dir, seconds, calls: took.length, p50Ms: at(0.5), p99Ms: at(0.99), p999Ms: at(0.999), maxMs: Math.round((took.at(-1) ?? 0) * 10) / 10, over50Ms: took.filter((ms) => ms > 50).length };
}
