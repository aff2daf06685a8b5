/**
 * File benchmark (not a test): `node bench/dist/src/file-bench.js [options]`.
 *
 * Starts one file server through the e2e cluster harness (its own database, Redis prefix and
 * storage directory, removed at the end) and the plain-copy yardstick (plain-copy.ts), pins both to
 * one core and this generator to the other with taskset, and measures over loopback:
 * 1. a `--size-mib` (1024) file: plain socket upload, Parley upload with the client's hashing,
 *    Parley upload with the sha256 known (transfer and server-side verification only), plain
 *    download, Parley download (client hashing and fdatasync included) — `--rounds` (5) times, the
 *    file server's RSS sampled throughout; even rounds run Parley's transfers before the yardstick's;
 * 2. `--concurrent` (50) uploads of distinct `--concurrent-mib` (20) MiB files at once, one user and
 *    connection each: aggregate MiB/s and the time per upload.
 * Before every measured run dirty pages are flushed and the page cache is primed alike (settle).
 * Writes bench/results/file-<timestamp>.json and .md; the generated files are deleted.
 *
 * Options: --size-mib 1024 --rounds 5 --concurrent 50 --concurrent-mib 20 --server-cores 0
 *   --generator-cores 1 --no-pin
 *   --set section.key=value (repeatable: a config override, e.g. --set file.checkpoint_bytes=67108864)
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ResultSetHeader } from 'mysql2/promise';
import { argValue, issueToken } from '@parley/common';
import { Cluster, REPO_ROOT } from '@parley/e2e';
import { renderFileMarkdown, type FileBenchReport, type FileRunKey } from './file-report';
import { concurrentUploads, pageCacheCost, parleyDownload, parleyUpload, plainDownload, plainUpload, removeQuietly, round, type RunContext } from './file-runs';
import { hasTaskset, pin } from './proc-stats';
import { applySets, num } from './bench-args';

const MiB = 1024 * 1024;

/**
 * Before every measured run: flushes dirty pages (and the discards of deleted files), so no run
 * pays for the writeback its predecessor left behind; then writes and deletes a file of the
 * transfer's size (pageCacheCost), so every run starts with the same gigabyte of just-freed page
 * cache. This VM hands memory that stays free back to its host, and a page touched again faults
 * there: without this, whichever run followed a deletion wrote into warm pages and the others into
 * cold ones (the same download went from 230 to 300–480 MiB/s once the runs were primed alike).
 * Returns what priming cost, ms of CPU per GiB.
 */
async function settle(primer: string, bytes: number): Promise<number> {
  execFileSync('sync');
  await new Promise((r) => setTimeout(r, 500));
  return pageCacheCost(primer, bytes);
}

function log(msg: string): void {
  console.log(`[file-bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

/** Writes `size` random bytes to `path` (16 MiB at a time) and returns their sha256. */
function randomFile(path: string, size: number): string {
  const hash = createHash('sha256');
  const block = Buffer.allocUnsafe(Math.min(16 * MiB, size));
  writeFileSync(path, Buffer.alloc(0));
  for (let done = 0; done < size; done += block.length) {
    const part = block.subarray(0, Math.min(block.length, size - done));
    randomFillSync(part);
    hash.update(part);
    writeFileSync(path, part, { flag: 'a' });
  }
  return hash.digest('hex');
}

async function startPlainCopy(sink: string, source: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [join(__dirname, 'plain-copy.js'), sink, source], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`plain-copy exited with ${code}`)));
  });
  return { child, port: (JSON.parse(line) as { port: number }).port };
}

async function main(): Promise<void> {
  const sizeMib = num('size-mib', 1024);
  const rounds = num('rounds', 5);
  const concurrent = num('concurrent', 50);
  const concurrentMib = num('concurrent-mib', 20);
  const cores = availableParallelism();
  const pinning = !process.argv.includes('--no-pin') && hasTaskset() && cores >= 2;
  const serverCores = pinning ? (argValue('server-cores') ?? '0') : undefined;
  const generatorCores = pinning ? (argValue('generator-cores') ?? '1') : undefined;
  if (generatorCores) pin(process.pid, generatorCores);
  const started = Date.now();
  const stamp = new Date().toISOString().slice(0, 19).replace(/:/g, '-');
  const tmp = join(REPO_ROOT, 'bench', 'results', 'tmp', `file-${stamp}`);
  mkdirSync(tmp, { recursive: true });

  let cluster: Cluster | undefined;
  let plain: ChildProcess | undefined;
  try {
    log(`writing a ${sizeMib} MiB file of random bytes`);
    const big = join(tmp, 'big.bin');
    const size = sizeMib * MiB;
    const sha256 = randomFile(big, size);
    const sections: Record<string, Record<string, string | number | boolean>> = { cluster: { log_level: 'warn' }, file: { min_free_bytes: 0, user_quota_bytes: 64 * 1024 * MiB, max_file_bytes: Math.max(2048, sizeMib * 2) * MiB } };
    applySets(process.argv, sections);
    cluster = await Cluster.start({ chatServers: 1, fileServers: 1, kinds: ['file'], sections });
    const filePid = cluster.processes.get('file1')?.child.pid as number;
    const plainCopy = await startPlainCopy(join(tmp, 'plain-sink.bin'), big);
    plain = plainCopy.child;
    if (serverCores) for (const pid of [filePid, plain.pid as number]) pin(pid, serverCores);
    const f = cluster.fileEndpoint('file1');
    const ctx: RunContext = { filePid, plainPid: plain.pid as number, fileEndpoint: { host: f.host, port: f.tcpPort }, plainPort: plainCopy.port };
    const users = await makeUsers(cluster, concurrent + 1);
    const owner = users[0] as { uid: number; token: string };

    const report: FileBenchReport = {
      date: new Date().toISOString(),
      machine: { cpu: cpus()[0]?.model ?? '?', cores, memGiB: round(totalmem() / 1024 ** 3, 1), node: process.version },
      pinning: pinning ? `taskset: file server and plain-copy on core ${serverCores}, generator (this process: client, hashing) on core ${generatorCores}; MariaDB and Redis not pinned` : 'not pinned',
      sizeMib,
      rounds: [],
      verdicts: [],
      totalSec: 0,
    };
    let primeCosts: number[] = [];
    const prime = async () => {
      primeCosts.push(await settle(join(tmp, 'primer.bin'), size));
    };
    for (let r = 1; r <= rounds; r++) {
      // Even rounds run Parley first: whatever the order costs (the pages the run before freed,
      // writeback still under way) falls on both sides alike over the rounds.
      const oursFirst = r % 2 === 0;
      primeCosts = [];
      log(`round ${r}: uploads${oursFirst ? ' (Parley first)' : ''}`);
      const plainUploads = async () => {
        await prime();
        const plain = await plainUpload(ctx, big);
        removeQuietly(join(tmp, 'plain-sink.bin'));
        await prime();
        const hashed = await plainUpload(ctx, big, true);
        removeQuietly(join(tmp, 'plain-sink.bin'));
        return { plain, hashed };
      };
      const parleyUploads = async () => {
        await prime();
        const hashed = await parleyUpload(ctx, owner, big);
        await forget(cluster as Cluster, hashed.fileId, sha256);
        await prime();
        const known = await parleyUpload(ctx, owner, big, sha256);
        return { hashed, known };
      };
      const [pu, ou] = await inOrder(oursFirst, plainUploads, parleyUploads);
      log(`round ${r}: downloads`);
      const plainDownloads = async () => {
        await prime();
        const plain = await plainDownload(ctx, size, join(tmp, 'plain-down.bin'));
        removeQuietly(join(tmp, 'plain-down.bin'));
        await prime();
        const hashed = await plainDownload(ctx, size, join(tmp, 'plain-down.bin'), true);
        removeQuietly(join(tmp, 'plain-down.bin'));
        return { plain, hashed };
      };
      const parleyDownloads = async () => {
        await prime();
        return parleyDownload(ctx, owner, ou.known.fileId, size, join(tmp, 'down.bin'));
      };
      const [pd, down] = await inOrder(oursFirst, plainDownloads, parleyDownloads);
      await forget(cluster, ou.known.fileId, sha256);
      const pageCost = Math.round(primeCosts.reduce((a, b) => a + b, 0) / primeCosts.length);
      log(`round ${r}: priming the page cache cost ${primeCosts.join(', ')} ms CPU per GiB`);
      report.rounds.push({
        parleyFirst: oursFirst, pageCacheMsPerGiB: pageCost,
        plainUpload: pu.plain, plainUploadHashed: pu.hashed, uploadWithClientHash: strip(ou.hashed), uploadShaKnown: strip(ou.known),
        plainDownload: pd.plain, plainDownloadHashed: pd.hashed, download: down,
      });
    }
    removeQuietly(big);

    log(`${concurrent} concurrent uploads of ${concurrentMib} MiB`);
    const files = [];
    for (let i = 0; i < concurrent; i++) {
      const path = join(tmp, `c${i}.bin`);
      files.push({ path, size: concurrentMib * MiB, sha256: randomFile(path, concurrentMib * MiB) });
    }
    await prime();
    report.concurrent = await concurrentUploads(ctx, users.slice(1), files);
    verdicts(report);
    report.totalSec = Math.round((Date.now() - started) / 1000);
    const dir = join(REPO_ROOT, 'bench', 'results');
    writeFileSync(join(dir, `file-${stamp}.json`), `${JSON.stringify(report, null, 2)}\n`);
    const md = renderFileMarkdown(report);
    writeFileSync(join(dir, `file-${stamp}.md`), md);
    console.log(`\n${md}`);
    log(`results: bench/results/file-${stamp}.json and .md (${report.totalSec} s in all)`);
  } finally {
    plain?.kill('SIGTERM');
    await cluster?.stop();
    removeQuietly(tmp);
  }
}

/** Runs the yardstick's and Parley's transfers one after the other, Parley's first when `oursFirst`. */
async function inOrder<P, O>(oursFirst: boolean, plain: () => Promise<P>, ours: () => Promise<O>): Promise<[P, O]> {
  if (!oursFirst) {
    const p = await plain();
    return [p, await ours()];
  }
  const o = await ours();
  return [await plain(), o];
}

function strip<T extends { fileId?: number }>(run: T): Omit<T, 'fileId'> {
  const { fileId: _fileId, ...rest } = run;
  return rest;
}

async function makeUsers(cluster: Cluster, n: number): Promise<{ uid: number; token: string }[]> {
  const users = [];
  for (let i = 0; i < n; i++) {
    const name = `fb${process.pid}x${i}`;
    const [res] = await cluster.env.pool.query<ResultSetHeader>('INSERT INTO users (name, email, password_hash, nickname) VALUES (?, ?, ?, ?)', [name, `${name}@bench.local`, '!', name]);
    users.push({ uid: res.insertId, token: await issueToken(cluster.env.redis, res.insertId, 3600) });
  }
  return users;
}

/** Deletes a stored file (row and blob) so the same bytes upload again in full. */
async function forget(cluster: Cluster, fileId: number, sha256: string): Promise<void> {
  await cluster.env.pool.query('DELETE FROM files WHERE id = ?', [fileId]);
  removeQuietly(join(cluster.storageDir, sha256.slice(0, 2), sha256.slice(2)));
}

/**
 * Ratios are taken per round (ours and the yardstick a few seconds apart, under the same
 * conditions): on a shared virtual machine the throughput of both drifts by tens of percent from
 * one minute to the next, so only neighbours compare. The verdict uses the median round.
 */
function verdicts(r: FileBenchReport): void {
  const mark = (ok: boolean) => (ok ? 'PASS' : 'MISS');
  type Key = FileRunKey;
  const perRound = (ours: Key, plain: Key) => r.rounds.map((x) => round(x[ours].mibPerSec / x[plain].mibPerSec, 2));
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const mid = Math.floor(s.length / 2);
    return s.length % 2 === 1 ? (s[mid] as number) : round(((s[mid - 1] as number) + (s[mid] as number)) / 2, 2);
  };
  const up = perRound('uploadShaKnown', 'plainUpload');
  const upHashed = perRound('uploadWithClientHash', 'plainUpload');
  const down = perRound('download', 'plainDownload');
  // The issue's "0.8 × the plain copy with hashing included" read both ways: against a copy that does
  // not hash (ours pays for sha256 on one core the copy does not), and against a copy whose receiver
  // hashes too (the same work minus the protocol).
  const upVsHashed = perRound('uploadShaKnown', 'plainUploadHashed');
  const downVsHashed = perRound('download', 'plainDownloadHashed');
  r.ratios = { upload: median(up), uploadWithClientHash: median(upHashed), download: median(down), uploadVsHashedCopy: median(upVsHashed), downloadVsHashedCopy: median(downVsHashed) };
  const mibs = (k: Key) => r.rounds.map((x) => x[k].mibPerSec).join(' / ');
  r.verdicts.push(`${mark(median(up) >= 0.8)} upload ÷ plain copy per round: ${up.join(', ')} (median ${median(up)}; MiB/s ours ${mibs('uploadShaKnown')}, plain ${mibs('plainUpload')}; server hashing and fsync included; target ≥ 0.8)`);
  r.verdicts.push(`${mark(median(upHashed) >= 0.8)} upload including the client's sha256 pass before it, per round: ${upHashed.join(', ')} (median ${median(upHashed)}; MiB/s ${mibs('uploadWithClientHash')})`);
  r.verdicts.push(`${mark(median(down) >= 0.8)} download ÷ plain copy per round: ${down.join(', ')} (median ${median(down)}; MiB/s ours ${mibs('download')}, plain ${mibs('plainDownload')}; client hashing and fsync included; target ≥ 0.8)`);
  r.verdicts.push(`${mark(median(upVsHashed) >= 0.8)} upload ÷ plain copy whose receiver hashes too, per round: ${upVsHashed.join(', ')} (median ${median(upVsHashed)}; MiB/s plain+sha256 ${mibs('plainUploadHashed')}; target ≥ 0.8)`);
  r.verdicts.push(`${mark(median(downVsHashed) >= 0.8)} download ÷ plain copy whose receiver hashes too, per round: ${downVsHashed.join(', ')} (median ${median(downVsHashed)}; MiB/s plain+sha256 ${mibs('plainDownloadHashed')}; target ≥ 0.8)`);
  const rss = Math.max(...r.rounds.flatMap((x) => [x.uploadWithClientHash.rssGrowthMib ?? 0, x.uploadShaKnown.rssGrowthMib ?? 0, x.download.rssGrowthMib ?? 0]));
  r.verdicts.push(`${mark(rss <= 64)} file-server RSS growth during a ${r.sizeMib} MiB transfer: ${rss} MiB at most (target ≤ 64 MiB)`);
  if (r.concurrent) {
    const c = r.concurrent;
    r.verdicts.push(`---- ${c.uploads} concurrent ${c.mibEach} MiB uploads: ${c.aggregateMibPerSec} MiB/s aggregate, p50 ${c.perUploadSeconds.p50} s, p99 ${c.perUploadSeconds.p99} s per upload, RSS growth ${c.rssGrowthMib} MiB`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
