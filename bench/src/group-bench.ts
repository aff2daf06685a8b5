/**
 * Group fan-out benchmark (not a test): `node bench/dist/src/group-bench.js [big] [many] [options]`.
 *
 * `big`: one group of 500 members, 20 of them posting, at rising rates; `many`: 100 groups of 50
 * members, 2 posters in each, all at once. Members of every group are split evenly over chat1
 * and chat2. Per step: group messages sent and acked per second, member deliveries per second,
 * delivered % of expected, ack latency, send → LAST member latency and per-delivery latency, the
 * CPU of every server-side process and of the generators. See bench/README.md.
 *
 * Starts private mariadbd and redis-server instances (bench-services.ts; `--machine-services`:
 * the machine's running ones instead), pins them, the chat servers and the status-server to the
 * server core and the generators (group-worker.ts) to the other with taskset, writes users and
 * groups straight into MySQL (group-fixtures.ts), runs the scenarios (group-scenarios.ts), checks
 * that every acked message is stored, and writes bench/results/group-<timestamp>.json and .md.
 *
 * Options: --rates 50,100,200,250,300,400 (big, group msg/s)  --many-rates 250,500,1000,2000,3000
 *   --step-sec 10  --warmup-sec 2  --big-members 500  --big-senders 20  --many-groups 100
 *   --many-members 50  --many-senders 2 (per group)  --workers 2  --body-bytes 48
 *   --max-outstanding 64  --drain-sec 5  --delivered-ack-ms 1000
 *   --target-p99-ms 200  --target-deliveries 100000  --server-cores 0  --generator-cores 1
 *   --no-pin  --machine-services  --set section.key=value (repeatable cluster config override)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { argValue } from '@parley/common';
import { Cluster, REPO_ROOT } from '@parley/e2e';
import { applySets, num, numbers, positional } from './bench-args';
import { machineServices, privateServices, stopOnSignal, type BenchServices } from './bench-services';
import { createGroupUsers } from './group-fixtures';
import { renderGroupMarkdown, type GroupBenchReport } from './group-report';
import { runGroupScenario, type GroupBenchArgs, type GroupContext, type GroupScenarioSpec } from './group-scenarios';
import { hasTaskset, pin } from './proc-stats';
import { benchSections } from './bench-sections';

const SCENARIOS = ['big', 'many'] as const;
const FLAGS = new Set(['--no-pin', '--machine-services']);

const SECTIONS = benchSections();

const log = (msg: string) => console.log(`[group-bench] ${msg}`);

function ulimitN(): string {
  try {
    return execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
  } catch {
    return '?';
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const argv = process.argv.slice(2);
  const picked = positional(argv, FLAGS);
  for (const s of picked) if (!(SCENARIOS as readonly string[]).includes(s)) throw new Error(`unknown scenario ${s}; choose from ${SCENARIOS.join(' ')}`);
  applySets(argv, SECTIONS);
  const names = picked.length ? SCENARIOS.filter((s) => picked.includes(s)) : [...SCENARIOS];
  const specs: GroupScenarioSpec[] = names.map((name) =>
    name === 'big'
      ? { name, groups: 1, membersPerGroup: num('big-members', 500), sendersPerGroup: num('big-senders', 20), rates: numbers('rates', [50, 100, 200, 250, 300, 400]), net: 50 }
      : { name, groups: num('many-groups', 100), membersPerGroup: num('many-members', 50), sendersPerGroup: num('many-senders', 2), rates: numbers('many-rates', [250, 500, 1000, 2000, 3000]), net: 51 },
  );
  const args: GroupBenchArgs = {
    stepSec: num('step-sec', 10),
    warmupSec: num('warmup-sec', 2),
    workers: num('workers', 2),
    bodyBytes: num('body-bytes', 48),
    maxOutstanding: num('max-outstanding', 64),
    drainSec: num('drain-sec', 5),
    deliveredAckMs: num('delivered-ack-ms', 1000),
    targetP99Ms: num('target-p99-ms', 200),
  };
  const targetDeliveries = num('target-deliveries', 100_000);
  const pinning = !argv.includes('--no-pin') && hasTaskset() && availableParallelism() >= 2;
  const serverCores = pinning ? (argValue('server-cores') ?? '0') : undefined;
  const generatorCores = pinning ? (argValue('generator-cores') ?? '1') : undefined;
  if (generatorCores) pin(process.pid, generatorCores);
  const load0 = loadavg();
  log(`scenarios: ${names.join(' ')}; load average ${load0.map((x) => x.toFixed(2)).join(' ')}`);

  const services: BenchServices = argv.includes('--machine-services') ? machineServices(serverCores) : await privateServices(serverCores);
  log(`MariaDB and Redis: ${services.note}`);
  const pinNote = pinning
    ? `Pinned with taskset: chat1, chat2, status-server, MariaDB and Redis on core ${serverCores}; the load generators and this orchestrator on core ${generatorCores}.`
    : 'Not pinned (--no-pin, no taskset, or one core).';
  log(pinNote);
  let cluster: Cluster | undefined;
  const report: GroupBenchReport = {
    date: new Date().toISOString(),
    command: `node bench/dist/src/group-bench.js ${argv.join(' ')}`.trim(),
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, open files per process ${ulimitN()}`,
    node: process.version,
    loadAverageAtStart: load0,
    pinning: pinNote,
    services: services.note,
    mariadb: {},
    config: SECTIONS,
    args,
    targets: { deliveriesPerSec: targetDeliveries, p99Ms: args.targetP99Ms },
    scenarios: [],
    verdicts: [],
    totalSec: 0,
  };
  const stopAll = async () => {
    await cluster?.stop();
    await services.stop();
  };
  stopOnSignal(stopAll, log);
  try {
    log('starting cluster: status + chat1, chat2');
    cluster = await Cluster.start({ chatServers: 2, kinds: ['status', 'chat'], sections: SECTIONS });
    const pids: Record<string, number> = {};
    for (const [name, proc] of cluster.processes) pids[name] = proc.child.pid as number;
    if (serverCores) for (const pid of Object.values(pids)) pin(pid, serverCores);
    if (services.mariadbPid) pids.mariadb = services.mariadbPid;
    if (services.redisPid) pids.redis = services.redisPid;
    const [vars] = await cluster.env.pool.query("SHOW VARIABLES WHERE Variable_name IN ('version', 'innodb_flush_log_at_trx_commit', 'sync_binlog', 'log_bin', 'innodb_buffer_pool_size')");
    for (const row of vars as { Variable_name: string; Value: string }[]) report.mariadb[row.Variable_name] = row.Value;
    const t0 = Date.now();
    const needed = Math.max(...specs.map((s) => s.groups * s.membersPerGroup));
    const users = await createGroupUsers(cluster.env.pool, cluster.env.redis, needed);
    log(`fixtures: ${users.length} users with tokens, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const ctx: GroupContext = { cluster, users, pids, generatorCores, args, log };
    const eps = ['chat1', 'chat2'].map((id) => {
      const c = (cluster as Cluster).chatEndpoint(id);
      return { id, host: c.host, port: c.tcpPort };
    });
    for (const spec of specs) {
      log(`== ${spec.name}`);
      report.scenarios.push(await runGroupScenario(ctx, spec, eps));
    }
    verdicts(report);
  } finally {
    log('stopping cluster and services');
    await stopAll();
  }
  report.totalSec = Math.round((Date.now() - started) / 1000);
  const stamp = report.date.slice(0, 19).replace(/:/g, '-');
  const dir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `group-${stamp}.json`), `${JSON.stringify(report, null, 2)}\n`);
  const md = renderGroupMarkdown(report);
  writeFileSync(join(dir, `group-${stamp}.md`), md);
  console.log(`\n${md}`);
  log(`results: bench/results/group-${stamp}.json and .md (${report.totalSec} s in all)`);
}

function verdicts(r: GroupBenchReport): void {
  const mark = (ok: boolean) => (ok ? 'PASS' : 'MISS');
  const { deliveriesPerSec: target, p99Ms } = r.targets;
  for (const s of r.scenarios) {
    const best = s.steps.filter((x) => x.sustainable).sort((a, b) => b.deliveriesPerSec - a.deliveriesPerSec)[0];
    const what = `${s.name} (${s.groups} × ${s.membersPerGroup} members)`;
    if (best) {
      r.verdicts.push(
        `${mark(best.deliveriesPerSec >= target)} ${what}: ${best.deliveriesPerSec.toLocaleString('en-US')} member deliveries/s sustainable at ${best.targetPerSec} msg/s, send → last member p99 ${best.lastMemberMs.p99} ms, ack p99 ${best.ackMs.p99} ms (target ≥ ${target.toLocaleString('en-US')} deliveries/s with p99 ≤ ${p99Ms} ms)`,
      );
    } else r.verdicts.push(`MISS ${what}: no step was sustainable (target ≥ ${target.toLocaleString('en-US')} deliveries/s with p99 ≤ ${p99Ms} ms)`);
    const disturbed = s.steps.filter((x) => x.disturbed).map((x) => `${x.targetPerSec} msg/s (${x.machine.othersPct}%)`);
    if (disturbed.length) r.verdicts.push(`NOTE ${s.name}: other processes on the machine used more than 5% of a core during ${disturbed.join(', ')}: those steps measured a shared machine`);
    r.verdicts.push(`${mark(s.storage.lost === 0)} ${s.name} storage: ${s.storage.acked.toLocaleString('en-US')} acked messages, ${s.storage.lost} of them missing from MySQL`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
