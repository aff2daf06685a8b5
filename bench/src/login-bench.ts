/**
 * Login benchmark (not a test): `node bench/dist/src/login-bench.js [--users 5000] [--concurrency 64]
 * [--duration 10] [--storms 2000,5000] [--rounds 3] [--wrk-sec 10] [--warmup-sec 5] [--ceiling-sec 4] [--no-wrk]
 * [--profile [gate,status]] [--machine-services] [--set section.key=value]`.
 *
 * Starts real verify-, status- and gate-server processes through the e2e cluster harness with the
 * production password-hash cost and raised login limits, on a private MariaDB and Redis (so their CPU
 * is ours alone; --machine-services: the machine's), plays a chat server's load reports to the
 * status-server, puts N users straight into MySQL, then measures:
 *   1. the argon2 ceiling: verifies/s of a fresh process, one op per core (argon2-ceiling.ts),
 *   2. after a wrk warm-up, `--rounds` × wrk (`wrk -t2 -c100 -d10s -s bench/post_login.lua`), each between two ceiling
 *      measurements: logins/s ÷ ceiling per round, the PASS/MISS verdict against issue 10's 0.85 on
 *      the median round, and CPU per login of every process (the gate by thread) (login-ratio.ts),
 *   3. login throughput and latency with C concurrent clients (keep-alive connections), and storms of
 *      2,000 and 5,000 simultaneous logins (one new connection each) that must all succeed,
 *   4. with --profile [gate,status]: those restarted under --cpu-prof for one more wrk step, their main
 *      threads' profiles summarised.
 * Results: bench/results/login-<time>.json and .md.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Algorithm, hash } from '@node-rs/argon2';
import { argValue, createStatusClient, unary, type ReportLoadReply__Output } from '@parley/common';
import { testClusterCredentials } from '@parley/common/testing';
import { type Cluster, REPO_ROOT } from '@parley/e2e';
import { measureCeiling, type Ceiling } from './argon2-ceiling';
import { applySets, num } from './bench-args';
import { machineServices, privateServices, startBenchCluster, type BenchServices } from './bench-services';
import { summariseProfile } from './cpu-profile';
import { cpuPerLogin, cpuRatio, round, verdict, type WrkRound } from './login-ratio';
import { loginMarkdown, type LoginProfile, type LoginResult, type Phase } from './login-report';
import { CpuMeter, postLogin, statusCounts, summarize, type LoginOutcome } from './login-stats';
import { runWrk, wrkInstalled, type WrkStep } from './login-wrk';
import { spawnServer, stopChild } from './own-children';

const PASSWORD = 'Bench-pass-2024';
const PREFIX = 'bench';
const DISTINCT_HASHES = 32;

const USERS = Number(argValue('users') ?? 5000);
const CONCURRENCY = Number(argValue('concurrency') ?? 64);
const DURATION_SEC = Number(argValue('duration') ?? 10);
const STORMS = (argValue('storms') ?? '2000,5000').split(',').map(Number).filter((n) => n > 0);
const RUN_WRK = !process.argv.includes('--no-wrk');
const ROUNDS = num('rounds', 3);
const WRK_SEC = num('wrk-sec', 10);
const CEILING_SEC = num('ceiling-sec', 4);
const WARMUP_SEC = num('warmup-sec', 5);
/** `--profile` = the gate; `--profile gate,status`. */
const profileArg = argValue('profile');
const PROFILE: ProfiledKind[] = !process.argv.includes('--profile') ? [] : (profileArg && !profileArg.startsWith('--') ? profileArg : 'gate').split(',').filter((k): k is ProfiledKind => k === 'gate' || k === 'status');
const CORES = availableParallelism();

/** The cluster's overrides: production hash cost, login limits out of the way. */
const SECTIONS: Record<string, Record<string, string | number | boolean>> = {
  cluster: { log_level: 'info' },
  mysql: { pool_size: 20 },
  gate: { hash_memory_kib: 19456, hash_time_cost: 2, login_limit_per_ip: 10_000_000, login_limit_per_account: 1_000_000, login_limit_per_account_ip: 1_000_000, hash_queue_limit: 1_000_000 },
  status: { report_interval_sec: 5 },
};
applySets(process.argv, SECTIONS);

const log = (msg: string) => console.log(`[login-bench] ${msg}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function createUsers(cluster: Cluster, count: number, memoryKib: number, timeCost: number): Promise<void> {
  const options = { algorithm: Algorithm.Argon2id, memoryCost: memoryKib, timeCost, parallelism: 1 };
  // Distinct salts for a sample of hashes, reused round-robin: the verification cost per login is the same.
  const hashes = await Promise.all(Array.from({ length: DISTINCT_HASHES }, () => hash(PASSWORD, options)));
  const batch = 1000;
  for (let start = 0; start < count; start += batch) {
    const rows: (string | number)[][] = [];
    for (let i = start; i < Math.min(count, start + batch); i++) rows.push([`${PREFIX}${i}`, `${PREFIX}${i}@bench.example.test`, hashes[i % DISTINCT_HASHES] as string, `Bench ${i}`]);
    await cluster.env.pool.query('INSERT INTO users (name, email, password_hash, nickname) VALUES ?', [rows]);
  }
}

function phaseOf(name: string, outcomes: LoginOutcome[], wallSec: number, cpuSec: Phase['cpuSec']): Phase {
  const succeeded = outcomes.filter((o) => o.status === 200).length;
  return {
    name,
    logins: outcomes.length,
    succeeded,
    successPct: Math.round((succeeded / Math.max(1, outcomes.length)) * 10000) / 100,
    wallSec: Math.round(wallSec * 100) / 100,
    loginsPerSec: Math.round(succeeded / wallSec),
    latencyMs: summarize(outcomes.map((o) => o.ms)),
    statuses: statusCounts(outcomes),
    cpuSec,
  };
}

async function throughput(port: number, meter: CpuMeter): Promise<Phase> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const outcomes: LoginOutcome[] = [];
  const until = Date.now() + DURATION_SEC * 1000;
  meter.start();
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, worker) => {
      for (let i = worker; Date.now() < until; i += CONCURRENCY) outcomes.push(await postLogin(agent, '127.0.0.1', port, `${PREFIX}${i % USERS}`, PASSWORD));
    }),
  );
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = meter.stop();
  agent.destroy();
  return phaseOf(`throughput, ${CONCURRENCY} concurrent clients, ${DURATION_SEC} s`, outcomes, wall, cpu);
}

async function storm(port: number, size: number, meter: CpuMeter): Promise<Phase> {
  // One new connection per login, all started at once: `size` clients arriving together.
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  meter.start();
  const t0 = process.hrtime.bigint();
  const outcomes = await Promise.all(Array.from({ length: size }, (_, i) => postLogin(agent, '127.0.0.1', port, `${PREFIX}${i % USERS}`, PASSWORD)));
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = meter.stop();
  agent.destroy();
  return phaseOf(`storm of ${size} simultaneous logins`, outcomes, wall, cpu);
}

const WRK_ENV = { PARLEY_BENCH_USERS: String(USERS), PARLEY_BENCH_PREFIX: PREFIX, PARLEY_BENCH_PASSWORD: PASSWORD };

/** `ROUNDS` wrk steps, each between two ceiling measurements (the one after a round is the next one's before). */
async function wrkRounds(port: number, pids: Record<string, number>, memoryKib: number, timeCost: number): Promise<WrkRound[]> {
  const ceiling = () => measureCeiling({ memoryKib, timeCost, parallel: CORES, seconds: CEILING_SEC });
  const rounds: WrkRound[] = [];
  // Warm-up, not counted: the first seconds under wrk open 100 connections and JIT-compile the gate's
  // paths (a first round measured cold came out 5-10 % below the next ones).
  log(`2. warm-up: wrk for ${WARMUP_SEC} s, not counted`);
  await runWrk(port, WARMUP_SEC, pids, WRK_ENV);
  let before: Ceiling = await ceiling();
  for (let i = 1; i <= ROUNDS; i++) {
    log(`2. round ${i}/${ROUNDS}: ceiling ${before.verifiesPerSec} verifies/s; wrk -t2 -c100 -d${WRK_SEC}s`);
    const wrk = await runWrk(port, WRK_SEC, pids, WRK_ENV);
    const after = await ceiling();
    const r = round(before, wrk, after);
    log(`   ${wrk.loginsPerSec} logins/s (${wrk.failed} not 200), ceiling after ${after.verifiesPerSec}: ratio ${r.ratio}; gate CPU ${JSON.stringify(wrk.gateThreadsSec)}`);
    rounds.push(r);
    before = after;
  }
  return rounds;
}

type ProfiledKind = 'gate' | 'status';

/** The main thread's profile among those node wrote into `dir` (workers write their own: CPU.<date>.<time>.<pid>.<threadId>.<seq>). */
function mainThreadProfile(dir: string): string {
  const file = readdirSync(dir).find((f) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(f));
  if (!file) throw new Error(`no main-thread .cpuprofile in ${dir}`);
  return join(dir, file);
}

/**
 * Restarts `kinds` (the gate, the status-server) under --cpu-prof, runs one wrk step, stops them (node
 * writes the profiles) and summarises each main thread's profile. They are left stopped: this is the last step.
 */
async function profileServers(cluster: Cluster, port: number, pids: Record<string, number>, kinds: ProfiledKind[]): Promise<LoginProfile> {
  const dirs = new Map(kinds.map((k) => [k, mkdtempSync(join(tmpdir(), `parley-${k}-prof-`))]));
  log(`4. profile: ${kinds.join(', ')} restarted as node --cpu-prof (${[...dirs.values()].join(', ')})`);
  const children = new Map<ProfiledKind, ChildProcess>();
  let wrk: WrkStep;
  let window: { fromUs: number; toUs: number };
  try {
    for (const k of kinds) {
      await cluster.stopProcess(k);
      children.set(k, await spawnServer(cluster, undefined, k, k, ['--cpu-prof', `--cpu-prof-dir=${dirs.get(k) as string}`]));
    }
    await Promise.all(Array.from({ length: 20 }, (_, i) => postLogin(new Agent(), '127.0.0.1', port, `${PREFIX}${i}`, PASSWORD)));
    const fromUs = Number(process.hrtime.bigint() / 1000n);
    const profiledPids = { ...pids };
    for (const [k, child] of children) profiledPids[k] = child.pid as number;
    wrk = await runWrk(port, WRK_SEC, profiledPids, WRK_ENV);
    window = { fromUs, toUs: Number(process.hrtime.bigint() / 1000n) };
  } finally {
    for (const child of children.values()) await stopChild(child);
  }
  return { wrk, summaries: Object.fromEntries(kinds.map((k) => [k, summariseProfile(mainThreadProfile(dirs.get(k) as string), window, 30)])) };
}

async function main(): Promise<void> {
  const started = Date.now();
  const loadAverageAtStart = loadavg().map((x) => Math.round(x * 100) / 100);
  const services: BenchServices = process.argv.includes('--machine-services') ? machineServices(undefined) : await privateServices(undefined);
  log(`services: ${services.note}`);
  log(`starting cluster (verify, status, gate) with raised login limits: ${JSON.stringify(SECTIONS.gate)}`);
  const cluster = await startBenchCluster(services, { chatServers: 1, kinds: ['verify', 'status', 'gate'], sections: SECTIONS }, log);
  const status = createStatusClient(cluster.status.host, cluster.status.port, testClusterCredentials());
  const chat = cluster.chat[0] as (typeof cluster.chat)[number];
  // Play chat1's load reports so the status-server has a live chat server to hand out.
  const report = () => unary<ReportLoadReply__Output>((o, cb) => status.ReportLoad({ server: { id: chat.id, host: chat.host, tcpPort: chat.tcpPort, grpcPort: chat.grpcPort }, connections: 0, draining: false }, o, cb));
  await report();
  const reporter = setInterval(() => void report().catch((err: unknown) => log(`ReportLoad failed: ${String(err)}`)), 1000);
  const pids: Record<string, number> = {};
  for (const [name, proc] of cluster.processes) pids[name] = proc.child.pid as number;
  if (services.mariadbPid !== undefined) pids.mariadb = services.mariadbPid;
  if (services.redisPid !== undefined) pids.redis = services.redisPid;
  const port = Number(new URL(cluster.gateUrl).port);
  let failed = false;
  try {
    const { hashMemoryKib, hashTimeCost } = cluster.env.config.gate;
    log(`creating ${USERS} users (argon2id m=${hashMemoryKib} t=${hashTimeCost})`);
    await createUsers(cluster, USERS, hashMemoryKib, hashTimeCost);

    log('1. the argon2 ceiling');
    const hashCost = { memoryKib: hashMemoryKib, timeCost: hashTimeCost, ...(await measureCeiling({ memoryKib: hashMemoryKib, timeCost: hashTimeCost, parallel: CORES, seconds: CEILING_SEC, hashes: true })) };
    log(`   ${JSON.stringify(hashCost)}`);
    // Warm the gate (connections to MySQL, Redis, status) before measuring.
    await Promise.all(Array.from({ length: 20 }, (_, i) => postLogin(new Agent(), '127.0.0.1', port, `${PREFIX}${i}`, PASSWORD)));

    let rounds: WrkRound[] = [];
    let skipped: string | undefined;
    if (!RUN_WRK) skipped = 'wrk skipped (--no-wrk): no verdict';
    else if (!wrkInstalled()) skipped = 'wrk is not installed (Debian: apt-get install -y wrk): no verdict';
    else rounds = await wrkRounds(port, pids, hashMemoryKib, hashTimeCost);
    if (skipped) log(skipped);
    const v = rounds.length > 0 ? verdict(rounds) : undefined;
    if (v) log(`${v.line}; CPU cross-check ${cpuRatio(rounds).ratio}`);

    const meter = new CpuMeter(pids);
    log(`3. throughput: ${CONCURRENCY} concurrent clients for ${DURATION_SEC} s`);
    const phases: Phase[] = DURATION_SEC > 0 ? [await throughput(port, meter)] : [];
    for (const size of STORMS) {
      await sleep(1000);
      log(`3. storm of ${size} simultaneous logins`);
      const p = await storm(port, size, meter);
      phases.push(p);
      log(`   ${p.loginsPerSec} logins/s, ${p.successPct}% succeeded`);
      if (p.successPct < 100) failed = true;
    }
    const profile = PROFILE.length > 0 && rounds.length > 0 ? await profileServers(cluster, port, pids, PROFILE) : undefined;

    const time = new Date().toISOString().slice(0, 19).replace(/:/g, '-');
    const result: LoginResult = {
      date: new Date().toISOString(),
      command: `node bench/dist/src/login-bench.js ${process.argv.slice(2).join(' ')}`.trim(),
      cpus: `${CORES} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB`,
      cores: CORES,
      node: process.version,
      users: USERS,
      distinctHashes: DISTINCT_HASHES,
      services: services.note,
      loadAverageAtStart,
      configOverrides: { gate: SECTIONS.gate as Record<string, string | number | boolean> },
      hashCost,
      phases,
      rounds,
      verdict: v,
      cpuPerLoginMs: cpuPerLogin(rounds),
      ...(profile ? { profile } : {}),
      ...(skipped ? { skipped } : {}),
      totalSec: Math.round((Date.now() - started) / 1000),
    };
    const dir = join(REPO_ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `login-${time}.json`), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(join(dir, `login-${time}.md`), loginMarkdown(result));
    log(`results: bench/results/login-${time}.json and .md (${result.totalSec} s in all)`);
    console.log(`\n${loginMarkdown(result)}`);
  } finally {
    clearInterval(reporter);
    status.close();
    await cluster.stop();
    await services.stop();
  }
  if (failed) {
    log('FAILED: not every storm login succeeded');
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
