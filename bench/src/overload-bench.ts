/**
 * Overload benchmark (not a test): `node bench/dist/src/overload-bench.js [options]`.
 * Issue 11 item 10 / issue 12 "Overload": one chat server, with its production queue bounds, is
 * driven at 10× the rate it sustains; its RSS must stay flat, the excess must be refused with the
 * retryable OVERLOADED, nothing acked may be lost, and latency must come back once the flood ends.
 *
 * Layout as the chat benchmark's headline: private mariadbd and redis-server (bench-services.ts,
 * default durability), the status-server and the chat server all pinned to core 0, the generators
 * (load-worker.ts, raw sockets, batched writes) to core 1. Friend pairs with tokens straight in
 * MySQL/Redis (chat-fixtures.ts), both partners of every pair on chat1. Phases:
 *   1. calibrate: an open-loop ramp (--calibrate-rates, 5 s steps) judged by the rule of
 *      sustainable.ts (delivered ≥ 99 %, p99 < 100 ms end to end and for the ack, generator ≥ 95 %);
 *      the best sustainable step is the sustainable rate (or give it: --sustainable N).
 *   2. normal (--normal-sec 10) at --normal-share (0.5) × sustainable.
 *   3. overload (--overload-sec 60) at --factor (10) × sustainable, open loop: every connection
 *      may have --max-outstanding (256, the server's in-flight cap) sends unanswered.
 *   4. recovery (--recovery-sec 20) at the normal rate, in steps of --recovery-step-sec (2).
 * Phases run as steps of --step-sec (5): rates, refusals by code, ack latency per step. chat1's RSS
 * and CPU are sampled every second. At the end the rows in MySQL are counted against the acks.
 * Writes bench/results/overload-<timestamp>.json and .md. Every phase is bounded in time.
 *
 * Options: --users 1000 --workers 2 --body-bytes 100 --server-cores 0 --generator-cores 1 --no-pin
 *   --machine-services (the machine's MariaDB/Redis, pinned for the run, instead of private ones)
 *   --set section.key=value (repeatable: a config override, e.g. --set chat.commit_max_wait_ms=50)
 *   --profile (chat1 runs under node --cpu-prof; its busiest functions during the flood are printed
 *   and saved with the results)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { argValue } from '@parley/common';
import { REPO_ROOT } from '@parley/e2e';
import { applySets, num } from './bench-args';
import { createChatFixtures } from './chat-fixtures';
import { Generators, mergeConnects, mergeSteps, planUsers, type StepSummary } from './chat-generators';
import type { ConnectResult, StepResult } from './load-protocol';
import { renderOverloadMarkdown, overloadVerdicts, type OverloadReport, type PhaseName, type RssSample } from './overload-report';
import { cpuSec, hasTaskset, pin, rssKib } from './proc-stats';
import { benchSections } from './bench-sections';
import { machineServices, privateServices, startBenchCluster, type BenchServices } from './bench-services';
import { judgeStep } from './sustainable';
import { spawnChat, stopChild } from './own-children';
import { summariseProfile } from './cpu-profile';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { ChildProcess } from 'node:child_process';

const TICK_MS = 2;

const SECTIONS = benchSections();

const monoUs = () => Number(process.hrtime.bigint() / 1000n);
const log = (msg: string) => console.log(`[overload-bench] ${msg}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Samples a process's RSS and CPU every second, labelled with the phase running at the time. */
class RssSampler {
  readonly samples: RssSample[] = [];
  phase: PhaseName = 'calibrate';
  private timer: NodeJS.Timeout | undefined;
  private lastCpu: number;
  private lastAt: number;

  constructor(
    private readonly pid: number,
    private readonly t0: number,
  ) {
    this.lastCpu = cpuSec(pid);
    this.lastAt = Date.now();
  }

  start(): void {
    this.timer = setInterval(() => this.sample(), 1000);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private sample(): void {
    const now = Date.now();
    const cpu = cpuSec(this.pid);
    const cpuPct = Math.round(((cpu - this.lastCpu) / ((now - this.lastAt) / 1000)) * 100);
    this.lastCpu = cpu;
    this.lastAt = now;
    this.samples.push({ t: Math.round((now - this.t0) / 100) / 10, phase: this.phase, rssMib: Math.round((rssKib(this.pid) / 1024) * 10) / 10, cpuPct });
  }
}

interface PhasePlan {
  name: PhaseName;
  seconds: number;
  rate: number;
  maxOutstanding: number;
  /** Step length of this phase (default --step-sec). */
  stepSec?: number;
}

async function main(): Promise<void> {
  const started = Date.now();
  const argv = process.argv.slice(2);
  applySets(argv, SECTIONS);
  const users = num('users', 1000);
  const workers = num('workers', 2);
  const bodyBytes = num('body-bytes', 100);
  const stepSec = num('step-sec', 5);
  const factor = num('factor', 10);
  const pinning = !argv.includes('--no-pin') && hasTaskset() && availableParallelism() >= 2;
  const serverCores = pinning ? (argValue('server-cores') ?? '0') : undefined;
  const generatorCores = pinning ? (argValue('generator-cores') ?? '1') : undefined;
  if (generatorCores) pin(process.pid, generatorCores);
  const load0 = loadavg();
  log(`load average ${load0.map((x) => x.toFixed(2)).join(' ')}${load0[0] !== undefined && load0[0] > 1 ? ' — the machine is busy: numbers are indicative only' : ''}`);

  const services: BenchServices = argv.includes('--machine-services') ? machineServices(serverCores) : await privateServices(serverCores);
  log(`MariaDB and Redis: ${services.note}`);
  const cluster = await startBenchCluster(services, { chatServers: 1, kinds: ['status', 'chat'], sections: SECTIONS }, log);
  let profiled: { child: ChildProcess; dir: string; fromUs: number; toUs: number } | undefined;
  if (argv.includes('--profile')) {
    const dir = mkdtempSync(join(tmpdir(), 'parley-overload-prof-'));
    await cluster.stopProcess('chat1');
    profiled = { child: await spawnChat(cluster, serverCores, 'chat1', ['--cpu-prof', `--cpu-prof-dir=${dir}`]), dir, fromUs: 0, toUs: 0 };
    log(`chat1 runs under --cpu-prof (profile in ${dir})`);
  }
  const pid = (profiled?.child.pid ?? cluster.processes.get('chat1')?.child.pid) as number;
  if (serverCores) for (const proc of cluster.processes.values()) pin(proc.child.pid as number, serverCores);
  const gens = Generators.start(workers, generatorCores);
  const sampler = new RssSampler(pid, started);
  const report: OverloadReport = {
    date: new Date().toISOString(),
    command: `node bench/dist/src/overload-bench.js ${argv.join(' ')}`.trim(),
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB`,
    node: process.version,
    loadAverageAtStart: load0,
    pinning: serverCores ? `chat server, status-server, MariaDB and Redis on core ${serverCores}, generators on core ${generatorCores}; MariaDB and Redis: ${services.note}` : `not pinned; MariaDB and Redis: ${services.note}`,
    config: SECTIONS,
    users,
    bodyBytes,
    sustainablePerSec: 0,
    sustainableSource: '',
    factor,
    phases: [],
    samples: sampler.samples,
    acks: 0,
    rows: 0,
    verdicts: [],
    totalSec: 0,
  };
  try {
    const fixtures = await createChatFixtures(cluster.env.pool, cluster.env.redis, users);
    const endpoint = cluster.chatEndpoint('chat1');
    const shares = planUsers(fixtures, { workers, endpoints: [{ id: 'chat1', host: endpoint.host, port: endpoint.tcpPort }], net: 90, addressesPerWorker: 2 });
    const connected = mergeConnects(await gens.all<ConnectResult>(shares.map((s) => ({ cmd: 'connect' as const, users: s, concurrency: 200, addressBy: 'conversation' as const, bodyBytes, heartbeats: true }))));
    log(`connected ${connected.loggedIn}/${connected.attempted} users on chat1`);
    sampler.start();

    const runStep = async (phase: PhaseName, rate: number, seconds: number, maxOutstanding: number, drainMs: number): Promise<StepSummary> => {
      const step = mergeSteps(await gens.all<StepResult>({ cmd: 'throughput', rate: rate / workers, durationMs: seconds * 1000, drainMs, maxOutstanding, tickMs: TICK_MS }));
      report.acks += step.acks;
      const rss = sampler.samples.at(-1)?.rssMib ?? 0;
      log(`   ${phase} ${rate}/s: sent ${step.sentPerSec}/s, acked ${step.ackedPerSec}/s, errors ${JSON.stringify(step.errors)}, ack p50/p99 ${step.ackMs.p50}/${step.ackMs.p99} ms, RSS ${rss} MiB`);
      return step;
    };

    // Warm-up (JIT, pools, MariaDB's buffer pool), not reported.
    await gens.all<StepResult>({ cmd: 'throughput', rate: 2000 / workers, durationMs: 3000, drainMs: 3000, maxOutstanding: 64, tickMs: TICK_MS });
    const given = argValue('sustainable');
    if (given) {
      report.sustainablePerSec = Number(given);
      report.sustainableSource = '--sustainable';
    } else {
      const rates = (argValue('calibrate-rates') ?? '5000,7500,10000,12500,15000').split(',').map(Number);
      log(`calibrate: open-loop ramp ${rates.join(', ')} msg/s, ${stepSec} s steps, judged by the sustainable rule`);
      sampler.phase = 'calibrate';
      const steps: StepSummary[] = [];
      let failedInARow = 0;
      for (const rate of rates) {
        const step = await runStep('calibrate', rate, stepSec, 64, 3000);
        const misses = judgeStep({ ...step, targetPerSec: rate });
        steps.push(step);
        if (misses.length === 0) {
          report.sustainablePerSec = Math.max(report.sustainablePerSec, rate);
          failedInARow = 0;
        } else {
          log(`   not sustainable: ${misses.join('; ')}`);
          if (++failedInARow >= 2) break;
          await sleep(3000); // let a saturated step's backlog clear before the next
        }
      }
      report.phases.push({ name: 'calibrate', targetPerSec: 0, steps });
      if (report.sustainablePerSec === 0) throw new Error('no calibration step was sustainable');
      report.sustainableSource = `calibrated: the best sustainable step of an open-loop ramp (${rates.join(', ')} msg/s; delivered ≥ 99 %, p99 < 100 ms end to end and for the ack, generator ≥ 95 %)`;
    }
    const normal = Math.max(1, Math.round(report.sustainablePerSec * num('normal-share', 0.5)));
    const plans: PhasePlan[] = [
      { name: 'normal', seconds: num('normal-sec', 10), rate: normal, maxOutstanding: 64 },
      { name: 'overload', seconds: num('overload-sec', 60), rate: Math.round(report.sustainablePerSec * factor), maxOutstanding: num('max-outstanding', 256) },
      { name: 'recovery', seconds: num('recovery-sec', 20), rate: normal, maxOutstanding: 64, stepSec: num('recovery-step-sec', 2) },
    ];
    log(`sustainable ${report.sustainablePerSec} msg/s; normal ${normal}/s, overload ${plans[1]?.rate}/s (×${factor})`);
    for (const [p, plan] of plans.entries()) {
      sampler.phase = plan.name;
      if (profiled && plan.name === 'overload') profiled.fromUs = monoUs();
      if (profiled && plan.name === 'recovery') profiled.toUs = monoUs();
      const steps: StepSummary[] = [];
      const sec = plan.stepSec ?? stepSec;
      for (let left = plan.seconds; left > 0; left -= sec) {
        // No drain between the steps of a phase (the load goes on); the last phase drains at its end.
        const last = p === plans.length - 1 && left <= sec;
        steps.push(await runStep(plan.name, plan.rate, Math.min(sec, left), plan.maxOutstanding, last ? 5000 : 0));
      }
      report.phases.push({ name: plan.name, targetPerSec: plan.rate, steps });
    }
    sampler.stop();
    await sleep(1000);
    const [rows] = await cluster.env.pool.query('SELECT COUNT(*) AS n FROM messages');
    report.rows = Number((rows as { n: number }[])[0]?.n ?? 0);
    await gens.all({ cmd: 'disconnect' });
  } finally {
    sampler.stop();
    await gens.close();
    if (profiled) {
      await stopChild(profiled.child);
      const file = readdirSync(profiled.dir).find((f) => f.endsWith('.cpuprofile'));
      if (file) {
        report.profile = summariseProfile(join(profiled.dir, file), { fromUs: profiled.fromUs, toUs: profiled.toUs });
        log(`profile of the flood: ${join(profiled.dir, file)}`);
      }
    }
    log('stopping cluster');
    await cluster.stop();
    await services.stop();
  }
  report.verdicts = overloadVerdicts(report);
  report.totalSec = Math.round((Date.now() - started) / 1000);
  const stamp = report.date.slice(0, 19).replace(/:/g, '-');
  const dir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `overload-${stamp}.json`), `${JSON.stringify(report, null, 2)}\n`);
  const md = renderOverloadMarkdown(report);
  writeFileSync(join(dir, `overload-${stamp}.md`), md);
  console.log(`\n${md}`);
  log(`results: bench/results/overload-${stamp}.json and .md (${report.totalSec} s in all)`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
