/**
 * Login benchmark (not a test): `node bench/dist/src/login-bench.js [--users 5000] [--concurrency 64]
 * [--duration 10] [--storms 2000,5000] [--no-wrk]`.
 *
 * Starts real verify-, status- and gate-server processes through the e2e cluster harness with the
 * production password-hash cost and raised login limits, plays a chat server's load reports to the
 * status-server, puts N users straight into MySQL, then measures:
 *   1. the argon2id cost alone (hashes/s and verifies/s in this process, one op per core),
 *   2. login throughput and latency with C concurrent clients (keep-alive connections),
 *   3. storms of 2,000 and 5,000 simultaneous logins (one new connection each) that must all succeed,
 *      with this generator's CPU time beside the servers' (from /proc/<pid>/stat),
 *   4. `wrk -t2 -c100 -d10s -s bench/post_login.lua` when wrk is installed.
 * Results: bench/results/login-<date>.json and .md.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { Algorithm, hash, verify } from '@node-rs/argon2';
import { argValue, createStatusClient, unary, type ReportLoadReply__Output } from '@parley/common';
import { testClusterCredentials } from '@parley/common/testing';
import { Cluster, REPO_ROOT } from '@parley/e2e';
import { CpuMeter, postLogin, statusCounts, summarize, type LatencySummary, type LoginOutcome } from './login-stats';

const PASSWORD = 'Bench-pass-2024';
const PREFIX = 'bench';
const DISTINCT_HASHES = 32;

const USERS = Number(argValue('users') ?? 5000);
const CONCURRENCY = Number(argValue('concurrency') ?? 64);
const DURATION_SEC = Number(argValue('duration') ?? 10);
const STORMS = (argValue('storms') ?? '2000,5000').split(',').map(Number).filter((n) => n > 0);
const RUN_WRK = !process.argv.includes('--no-wrk');

/** The cluster's overrides: production hash cost, login limits out of the way. */
const SECTIONS = {
  cluster: { log_level: 'info' },
  mysql: { pool_size: 20 },
  gate: { hash_memory_kib: 19456, hash_time_cost: 2, login_limit_per_ip: 10_000_000, login_limit_per_account: 1_000_000, login_limit_per_account_ip: 1_000_000, hash_queue_limit: 1_000_000 },
  status: { report_interval_sec: 5 },
};

const log = (msg: string) => console.log(`[login-bench] ${msg}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface HashCost {
  memoryKib: number;
  timeCost: number;
  concurrency: number;
  hashesPerSec: number;
  verifiesPerSec: number;
  singleVerifyMs: number;
}

async function measureHashCost(memoryKib: number, timeCost: number): Promise<HashCost> {
  const options = { algorithm: Algorithm.Argon2id, memoryCost: memoryKib, timeCost, parallelism: 1 };
  const concurrency = availableParallelism();
  const stored = await hash(PASSWORD, options);
  // Warm up: the first operations allocate the memory blocks.
  await Promise.all(Array.from({ length: concurrency * 4 }, () => verify(stored, PASSWORD)));
  const rate = async (op: () => Promise<unknown>, seconds: number) => {
    let done = 0;
    const until = Date.now() + seconds * 1000;
    const t0 = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (Date.now() < until) {
          await op();
          done += 1;
        }
      }),
    );
    return done / (Number(process.hrtime.bigint() - t0) / 1e9);
  };
  const hashesPerSec = await rate(() => hash(PASSWORD, options), 2);
  const verifiesPerSec = await rate(() => verify(stored, PASSWORD), 2);
  const singles: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = process.hrtime.bigint();
    await verify(stored, PASSWORD);
    singles.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { memoryKib, timeCost, concurrency, hashesPerSec: Math.round(hashesPerSec), verifiesPerSec: Math.round(verifiesPerSec), singleVerifyMs: summarize(singles).p50 };
}

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

interface Phase {
  name: string;
  logins: number;
  succeeded: number;
  successPct: number;
  wallSec: number;
  loginsPerSec: number;
  latencyMs: LatencySummary;
  statuses: Record<string, number>;
  cpuSec: { generator: number; servers: Record<string, number> };
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

interface WrkResult {
  command: string;
  requestsPerSec?: number;
  summary: string;
  /** generator = wrk's own CPU time. */
  cpuSec: { generator: number; servers: Record<string, number> };
}

function runWrk(port: number, pids: Record<string, number>): WrkResult | string {
  if (spawnSync('wrk', ['--version'], { encoding: 'utf8' }).error) return 'wrk is not installed (Debian: apt-get install -y wrk); skipped';
  const script = join(REPO_ROOT, 'bench', 'post_login.lua');
  // --timeout 10s: under a queue of 100 connections a login can take over wrk's default 2 s without failing.
  const args = ['-t2', '-c100', '-d10s', '--timeout', '10s', '-s', script, `http://127.0.0.1:${port}/api/login`];
  const meter = new CpuMeter(pids);
  meter.start();
  // bash's `times` prints the CPU time of its children (wrk) on its last line: "0m1.234s 0m0.567s".
  const out = execFileSync('bash', ['-c', 'wrk "$@"; times', 'wrk', ...args], { encoding: 'utf8', env: { ...process.env, PARLEY_BENCH_USERS: String(USERS), PARLEY_BENCH_PREFIX: PREFIX, PARLEY_BENCH_PASSWORD: PASSWORD } });
  const cpu = meter.stop();
  const lines = out.trim().split('\n');
  const times = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/.exec(lines[lines.length - 1] ?? '');
  if (times) cpu.generator = Math.round((Number(times[1]) * 60 + Number(times[2]) + Number(times[3]) * 60 + Number(times[4])) * 100) / 100;
  const summary = lines.slice(0, times ? -2 : undefined).join('\n');
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(summary)?.[1];
  return {
    command: `PARLEY_BENCH_USERS=${USERS} wrk ${args.join(' ').replace(script, 'bench/post_login.lua')}`,
    ...(rps ? { requestsPerSec: Math.round(Number(rps)) } : {}),
    summary,
    cpuSec: cpu,
  };
}

function markdown(report: Record<string, unknown>, hashCost: HashCost, phases: Phase[], wrk: WrkResult | string): string {
  const lines: string[] = [];
  lines.push(`# Login benchmark — ${String(report.date)}`, '');
  lines.push(`Machine: ${String(report.cpus)}; Node ${process.version}. Cluster: verify, status and gate processes (e2e harness), MariaDB and Redis on the same host.`);
  lines.push(`argon2id m=${hashCost.memoryKib} KiB, t=${hashCost.timeCost}, p=1 (production defaults). ${USERS} users inserted directly into MySQL (${DISTINCT_HASHES} distinct hashes reused).`);
  lines.push(`**Login limits raised for the run** via config sections: gate.login_limit_per_ip=${SECTIONS.gate.login_limit_per_ip}, gate.login_limit_per_account=${SECTIONS.gate.login_limit_per_account}, gate.login_limit_per_account_ip=${SECTIONS.gate.login_limit_per_account_ip}, gate.hash_queue_limit=${SECTIONS.gate.hash_queue_limit} (all requests come from 127.0.0.1; storms wait in the hashing queue instead of being refused).`, '');
  lines.push('## 1. Password-hash cost alone (in the generator process)', '');
  lines.push('| ops in parallel | hashes/s | verifies/s | one verify (p50) |', '|---|---|---|---|');
  lines.push(`| ${hashCost.concurrency} | ${hashCost.hashesPerSec} | ${hashCost.verifiesPerSec} | ${hashCost.singleVerifyMs} ms |`, '');
  lines.push('## 2–3. Logins through the gate', '');
  lines.push('The gate is CPU-bound on argon2: compare logins/s with the verifies/s above from the same run (other load on the host moves both). CPU s = user+system seconds during the phase (/proc/<pid>/stat; generator = this process).', '');
  lines.push('| phase | logins | success | wall s | logins/s | p50 ms | p99 ms | max ms | generator CPU s | gate CPU s | status CPU s | verify CPU s |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const p of phases) {
    lines.push(`| ${p.name} | ${p.logins} | ${p.successPct}% | ${p.wallSec} | ${p.loginsPerSec} | ${p.latencyMs.p50} | ${p.latencyMs.p99} | ${p.latencyMs.max} | ${p.cpuSec.generator} | ${p.cpuSec.servers.gate ?? '-'} | ${p.cpuSec.servers.status ?? '-'} | ${p.cpuSec.servers.verify ?? '-'} |`);
  }
  lines.push('');
  for (const p of phases) if (p.successPct < 100) lines.push(`- ${p.name}: outcomes ${JSON.stringify(p.statuses)}`);
  lines.push('## 4. wrk', '');
  if (typeof wrk === 'string') lines.push(wrk);
  else {
    lines.push(`\`${wrk.command}\` → **${wrk.requestsPerSec ?? '?'} requests/s**; CPU s: wrk ${wrk.cpuSec.generator}, servers ${JSON.stringify(wrk.cpuSec.servers)}.`, '');
    lines.push('```', wrk.summary, '```');
  }
  lines.push('', `Command: \`${String(report.command)}\``, '');
  return lines.join('\n');
}

async function main(): Promise<void> {
  const started = Date.now();
  log(`starting cluster (verify, status, gate) with raised login limits: ${JSON.stringify(SECTIONS.gate)}`);
  const cluster = await Cluster.start({ chatServers: 1, kinds: ['verify', 'status', 'gate'], sections: SECTIONS });
  const status = createStatusClient(cluster.status.host, cluster.status.port, testClusterCredentials());
  const chat = cluster.chat[0] as (typeof cluster.chat)[number];
  // Play chat1's load reports so the status-server has a live chat server to hand out.
  const report = () => unary<ReportLoadReply__Output>((o, cb) => status.ReportLoad({ server: { id: chat.id, host: chat.host, tcpPort: chat.tcpPort, grpcPort: chat.grpcPort }, connections: 0, draining: false }, o, cb));
  await report();
  const reporter = setInterval(() => void report().catch((err: unknown) => log(`ReportLoad failed: ${String(err)}`)), 1000);
  const pids: Record<string, number> = {};
  for (const [name, proc] of cluster.processes) pids[name] = proc.child.pid as number;
  const port = Number(new URL(cluster.gateUrl).port);
  let failed = false;
  try {
    const { hashMemoryKib, hashTimeCost } = cluster.env.config.gate;
    log(`creating ${USERS} users (argon2id m=${hashMemoryKib} t=${hashTimeCost})`);
    await createUsers(cluster, USERS, hashMemoryKib, hashTimeCost);

    log('1. password-hash cost alone');
    const hashCost = await measureHashCost(hashMemoryKib, hashTimeCost);
    log(`   ${JSON.stringify(hashCost)}`);

    const meter = new CpuMeter(pids);
    // Warm the gate (connections to MySQL, Redis, status) before measuring.
    await Promise.all(Array.from({ length: 20 }, (_, i) => postLogin(new Agent(), '127.0.0.1', port, `${PREFIX}${i}`, PASSWORD)));
    log(`2. throughput: ${CONCURRENCY} concurrent clients for ${DURATION_SEC} s`);
    const phases: Phase[] = [await throughput(port, meter)];
    log(`   ${JSON.stringify(phases[0])}`);
    for (const size of STORMS) {
      await sleep(1000);
      log(`3. storm of ${size} simultaneous logins`);
      const p = await storm(port, size, meter);
      phases.push(p);
      log(`   ${JSON.stringify(p)}`);
      if (p.successPct < 100) failed = true;
    }
    let wrk: WrkResult | string = 'skipped (--no-wrk)';
    if (RUN_WRK) {
      log('4. wrk -t2 -c100 -d10s');
      wrk = runWrk(port, pids);
      log(typeof wrk === 'string' ? `   ${wrk}` : `   ${wrk.requestsPerSec ?? '?'} requests/s`);
    }

    const date = new Date().toISOString().slice(0, 10);
    const result = {
      date,
      command: `node bench/dist/src/login-bench.js ${process.argv.slice(2).join(' ')}`.trim(),
      cpus: `${availableParallelism()} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB`,
      node: process.version,
      users: USERS,
      configOverrides: SECTIONS,
      note: 'Login limits raised via config sections for the benchmark; users inserted directly into MySQL; chat-server load reports played by the benchmark.',
      hashCost,
      phases,
      wrk,
      totalSec: Math.round((Date.now() - started) / 1000),
    };
    const dir = join(REPO_ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `login-${date}.json`), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(join(dir, `login-${date}.md`), markdown(result, hashCost, phases, wrk));
    log(`results: bench/results/login-${date}.json and .md (${result.totalSec} s in all)`);
    console.log(`\n${markdown(result, hashCost, phases, wrk)}`);
  } finally {
    clearInterval(reporter);
    status.close();
    await cluster.stop();
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
