/**
 * Chat benchmark (not a test): `node bench/dist/src/chat-bench.js [scenario ...] [options]`.
 * Scenarios (default: all, in this order): throughput relay pingpong profile idle.
 *
 * Starts private mariadbd and redis-server instances (bench-services.ts, MariaDB's defaults:
 * innodb_flush_log_at_trx_commit=1; `--machine-services`: the machine's running ones), a
 * verify-server, status-server, gate-server and up to three chat servers through the e2e cluster
 * harness (its own database and Redis prefix, dropped at the end), and pins ALL of them to the
 * server core and the load generator processes (load-worker.ts, forked) and this orchestrator to
 * the other with taskset. Writes friend pairs and tokens straight into MySQL and Redis
 * (chat-fixtures.ts), runs the scenarios — `throughput` is the headline: per layout (`--layouts`,
 * chat servers per layout) the idle cost, the ramp judged by sustainable.ts and the storage check
 * (chat-layouts.ts); the rest in chat-scenarios.ts — and writes
 * bench/results/chat-<timestamp>.json and .md. Every step is bounded in time and count.
 *
 * Options: --layouts 2,1  --rates 2000,5000,10000,15000,20000,25000,30000,40000  --keep-going
 *   --relay-rates <rates + 50000,80000>  --step-sec 10  --idle-cost-sec 10  --delivered-ack-ms 0
 *   --users 1000  --workers 2  --body-bytes 100  --max-outstanding 64  --machine-services
 *   --pp-clients 10000  --pp-pairs 1000  --pp-servers 1 (2: chat1 + chat2)  --pp-interval-ms 1000  --pp-sec 15
 *   --profile-sec 10  --profile-rate <highest sustained>  --profile-servers 2 (1: chat1 alone, chat2 stopped)  --idle-one 19000  --idle-total 50000
 *   --idle-hold-sec 15  --disk-probe-sec 5  --server-cores 0  --generator-cores 1  --no-pin
 *   --set section.key=value (repeatable: a config override for the cluster, e.g. --set chat.commit_lanes=8)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { argValue } from '@parley/common';
import { REPO_ROOT } from '@parley/e2e';
import { applySets, num, numbers, positional } from './bench-args';
import { machineServices, privateServices, startBenchCluster, type BenchServices } from './bench-services';
import { createChatFixtures } from './chat-fixtures';
import { fsyncProbe } from './disk-probe';
import { layoutRamp, restoreChatServers } from './chat-layouts';
import { renderMarkdown, type ChatBenchReport } from './chat-report';
import { profile } from './chat-profile';
import { idle, pingPong, relayRamp, type BenchArgs, type BenchContext } from './chat-scenarios';
import { hasTaskset, pin } from './proc-stats';
import { benchSections } from './bench-sections';

const SCENARIOS = ['throughput', 'relay', 'pingpong', 'profile', 'idle'] as const;
type Scenario = (typeof SCENARIOS)[number];

const FLAGS_WITHOUT_VALUE = new Set(['--no-pin', '--keep-going', '--machine-services']);

const SECTIONS = benchSections();

const log = (msg: string) => console.log(`[chat-bench] ${msg}`);

async function main(): Promise<void> {
  const started = Date.now();
  const argv = process.argv.slice(2);
  const picked = positional(argv, FLAGS_WITHOUT_VALUE);
  for (const s of picked) if (!(SCENARIOS as readonly string[]).includes(s)) throw new Error(`unknown scenario ${s}; choose from ${SCENARIOS.join(' ')}`);
  applySets(argv, SECTIONS);
  const scenarios: Scenario[] = picked.length ? SCENARIOS.filter((s) => picked.includes(s)) : [...SCENARIOS];
  const rates = numbers('rates', [2000, 5000, 10000, 15000, 20000, 25000, 30000, 40000]);
  const args: BenchArgs = {
    rates,
    relayRates: numbers('relay-rates', [...rates, 50000, 80000]),
    stepSec: num('step-sec', 10),
    users: num('users', 1000),
    workers: num('workers', 2),
    bodyBytes: num('body-bytes', 100),
    maxOutstanding: num('max-outstanding', 64),
    ppClients: num('pp-clients', 10000),
    ppPairs: num('pp-pairs', 1000),
    ppServers: num('pp-servers', 1),
    ppIntervalMs: num('pp-interval-ms', 1000),
    ppSec: num('pp-sec', 15),
    profileSec: num('profile-sec', 10),
    diskProbeSec: num('disk-probe-sec', 5),
    profileRate: argValue('profile-rate') ? Number(argValue('profile-rate')) : undefined,
    profileServers: num('profile-servers', 2),
    idleOne: num('idle-one', 19000),
    idleTotal: num('idle-total', 50000),
    idleHoldSec: num('idle-hold-sec', 15),
    layouts: numbers('layouts', [2, 1]),
    idleCostSec: num('idle-cost-sec', 10),
    keepGoing: argv.includes('--keep-going'),
    deliveredAckMs: num('delivered-ack-ms', 0),
  };
  const pinning = !argv.includes('--no-pin') && hasTaskset() && availableParallelism() >= 2;
  const serverCores = pinning ? (argValue('server-cores') ?? '0') : undefined;
  const generatorCores = pinning ? (argValue('generator-cores') ?? '1') : undefined;
  const pinNote = pinning
    ? `Pinned with taskset: every server-side process — chat servers, gate-server, status-server, verify-server, MariaDB, Redis (and bare-relay) — on core ${serverCores}; load generators and this orchestrator on core ${generatorCores}.`
    : 'Not pinned (--no-pin, no taskset, or one core).';
  if (generatorCores) pin(process.pid, generatorCores);
  const load0 = loadavg();
  log(`scenarios: ${scenarios.join(' ')}; load average ${load0.map((x) => x.toFixed(2)).join(' ')}`);
  log(pinNote);
  const services: BenchServices = argv.includes('--machine-services') ? machineServices(serverCores) : await privateServices(serverCores);
  log(`MariaDB and Redis: ${services.note}`);

  const needed = Math.max(scenarios.some((s) => s === 'throughput' || s === 'relay' || s === 'profile') ? args.users : 0, scenarios.includes('pingpong') ? args.ppClients : 0, scenarios.includes('idle') ? Math.max(args.idleOne, args.idleTotal) : 0);
  // bare-relay alone needs only the database and Redis of the harness (for the fixtures).
  const chatNeeded = scenarios.some((s) => s !== 'relay');
  const chatServers = Math.max(scenarios.includes('throughput') ? Math.max(...args.layouts) : 0, scenarios.includes('pingpong') || scenarios.includes('profile') ? 2 : 0, scenarios.includes('idle') ? 3 : 0, 1);
  log(chatNeeded ? `starting cluster: verify, status, gate + ${chatServers} chat server(s)` : 'starting cluster harness without servers (relay only)');
  // Ctrl-C: stop the servers and drop the database before leaving.
  const cluster = await startBenchCluster(services, { chatServers, kinds: chatNeeded ? ['verify', 'status', 'gate', 'chat'] : [], sections: SECTIONS }, log);
  const pids: Record<string, number> = {};
  for (const [name, proc] of cluster.processes) pids[name] = proc.child.pid as number;
  if (serverCores) for (const pid of Object.values(pids)) pin(pid, serverCores);
  if (services.mariadbPid) pids.mariadb = services.mariadbPid;
  if (services.redisPid) pids.redis = services.redisPid;
  const ctx: BenchContext = { cluster, users: [], pids, serverCores, generatorCores, args, log };
  const report: ChatBenchReport = {
    date: new Date().toISOString(),
    command: `node bench/dist/src/chat-bench.js ${argv.join(' ')}`.trim(),
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, open files per process ${ulimitN()}`,
    node: process.version,
    loadAverageAtStart: load0,
    pinning: pinNote,
    services: services.note,
    mariadb: {},
    config: SECTIONS,
    scenarios,
    verdicts: [],
    totalSec: 0,
  };
  try {
    const [vars] = await cluster.env.pool.query("SHOW VARIABLES WHERE Variable_name IN ('version', 'innodb_flush_log_at_trx_commit', 'sync_binlog', 'log_bin', 'innodb_buffer_pool_size')");
    for (const row of vars as { Variable_name: string; Value: string }[]) report.mariadb[row.Variable_name] = row.Value;
    // The private MariaDB keeps its datadir under the temp directory: probe that filesystem.
    report.disk = await fsyncProbe(tmpdir(), args.diskProbeSec);
    log(`disk: fdatasync p50 ${report.disk.p50Ms} ms, max ${report.disk.maxMs} ms, ${report.disk.over50Ms} over 50 ms in ${args.diskProbeSec} s`);
    const t0 = Date.now();
    ctx.users = await createChatFixtures(cluster.env.pool, cluster.env.redis, needed);
    log(`fixtures: ${ctx.users.length} users in ${ctx.users.length / 2} friend pairs with tokens, ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    for (const scenario of scenarios) {
      log(`== ${scenario}`);
      if (scenario === 'throughput') {
        report.layouts = [];
        for (const n of args.layouts) report.layouts.push(await layoutRamp(ctx, cluster.chat.slice(0, n).map((c) => c.id)));
        await restoreChatServers(ctx);
      }
      else if (scenario === 'relay') report.relay = await relayRamp(ctx);
      else if (scenario === 'pingpong') report.pingpong = await pingPong(ctx);
      else if (scenario === 'profile') {
        const best = report.layouts?.find((l) => l.servers.length === args.profileServers)?.best?.deliveredPerSec;
        const rate = args.profileRate ?? (best ? roundRate(best) : 10000);
        report.profile = await profile(ctx, rate);
      } else report.idle = await idle(ctx);
    }
    verdicts(report);
  } finally {
    log('stopping cluster and services');
    await cluster.stop();
    await services.stop();
  }
  report.totalSec = Math.round((Date.now() - started) / 1000);
  const stamp = report.date.slice(0, 19).replace(/:/g, '-');
  const dir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `chat-${stamp}.json`), `${JSON.stringify(report, null, 2)}\n`);
  const md = renderMarkdown(report);
  writeFileSync(join(dir, `chat-${stamp}.md`), md);
  console.log(`\n${md}`);
  log(`results: bench/results/chat-${stamp}.json and .md (${report.totalSec} s in all)`);
}

function ulimitN(): string {
  try {
    return execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
  } catch {
    return '?';
  }
}

/** The step rate to profile at: the sustained delivered rate rounded down to a thousand. */
function roundRate(n: number): number {
  return Math.max(1000, Math.floor(n / 1000) * 1000);
}

function verdicts(r: ChatBenchReport): void {
  const v = r.verdicts;
  const mark = (ok: boolean) => (ok ? 'PASS' : 'MISS');
  const fmtN = (n: number) => n.toLocaleString('en-US');
  for (const l of r.layouts ?? []) {
    const target = l.servers.length === 1 ? 40000 : l.servers.length === 2 ? 20000 : 0;
    const best = l.best;
    v.push(
      best
        ? `${mark(best.deliveredPerSec >= target)} ${l.name}: ${fmtN(best.deliveredPerSec)} durable msg/s sustainable (the ${fmtN(best.targetPerSec)} step: e2e p99 ${best.e2eP99} ms, ack p99 ${best.ackP99} ms)${target ? ` (target ≥ ${fmtN(target)})` : ''}`
        : `MISS ${l.name}: no step was sustainable`,
    );
    const at10k = l.steps.find((x) => x.targetPerSec === 10000);
    if (at10k) v.push(`${mark(at10k.serverUsPerMsg <= 25 && at10k.e2eMs.p99 <= 20)} ${l.name} at 10,000 msg/s: ${at10k.serverUsPerMsg} µs of all-server CPU per message (target ≤ 25), end-to-end p99 ${at10k.e2eMs.p99} ms (target ≤ 20)`);
    const at2k = l.steps.find((x) => x.targetPerSec === 2000);
    if (at2k && l.servers.length === 2) v.push(`${mark((at2k.cpuPct.core0 ?? 100) <= 20)} ${l.name} at 2,000 msg/s: core 0 ${at2k.cpuPct.core0 ?? '-'}% busy (target ≤ 20%)`);
    v.push(`INFO ${l.name} idle cost: ${l.idle.serversPct}% of a core for all server processes with ${fmtN(l.users)} users logged in and silent`);
    v.push(`${mark(l.storage.agree && l.storage.lost === 0)} ${l.name} storage: ${fmtN(l.storage.acked)} acked, ${fmtN(l.storage.pushes)} pushed, ${fmtN(l.storage.stored)} stored, ${l.storage.lost} acked but missing`);
  }
  // The headline is the default config's layout: one chat server (config.ini).
  const headline = r.layouts?.find((l) => l.servers.length === 1)?.best?.deliveredPerSec;
  if (headline !== undefined && r.relay) {
    const sustained = r.relay.sustainedPerSec ? Math.round((headline / r.relay.sustainedPerSec) * 100) / 100 : null;
    const maxDelivered = r.relay.maxDeliveredPerSec ? Math.round((headline / r.relay.maxDeliveredPerSec) * 100) / 100 : null;
    r.relayRatio = { sustained, maxDelivered };
    v.push(`${mark((sustained ?? 0) >= 0.25)} relay ratio: ours ${fmtN(headline)} / relay ${fmtN(r.relay.sustainedPerSec)} msg/s sustainable = ${sustained ?? '-'} (target ≥ 0.25)`);
  }
  if (r.pingpong) {
    const p = r.pingpong.step.rttMs;
    v.push(`${mark(p.p99 <= 10)} ping-pong round trip with ${r.pingpong.clients.toLocaleString('en-US')} clients connected: p50 ${p.p50} ms, p99 ${p.p99} ms (target p99 ≤ 10 ms)`);
  }
  for (const p of r.idle ?? []) {
    v.push(`${mark(p.connect.loggedIn >= p.target && p.hold.dropped === 0)} idle: ${p.connect.loggedIn.toLocaleString('en-US')} / ${p.target.toLocaleString('en-US')} logged in on ${p.servers.join(', ')}, ${p.hold.dropped} dropped during the hold`);
    v.push(`${mark(p.kibPerConnection <= 10)} memory: ${p.kibPerConnection} KiB RSS per connection on ${p.servers.join(', ')} (aim ≤ 10 KiB)`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
