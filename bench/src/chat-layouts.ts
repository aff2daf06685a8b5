/**
 * The chat benchmark's headline: the throughput ramp per cluster layout (the default config's two
 * chat servers, one chat server, …) with every server-side process on the server core and an
 * open-loop generator on the other. Per layout: the idle cost (CPU of all server processes with
 * the users logged in and sending nothing), then the ramp, then the after-run check that acks,
 * pushes and stored rows agree. A step is sustainable by the rule in sustainable.ts.
 */
import type { Cluster } from '@parley/e2e';
import { Generators, type ConnectSummary } from './chat-generators';
import { connectAll, endpoints, pick, restartChat, throughputStep, waitQuiet, type BenchContext, type RampStep } from './chat-scenarios';
import type { StepResult, TotalsResult } from './load-protocol';
import { MachineWindow, type MachineCpu } from './machine-cpu';
import { CpuWindow } from './proc-stats';
import { judgeStep } from './sustainable';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round1 = (x: number) => Math.round(x * 10) / 10;

/** Every server-side process the bench may run (those not running are skipped). */
export const SERVER_PROCESSES = ['chat1', 'chat2', 'chat3', 'gate', 'status', 'verify', 'mariadb', 'redis'] as const;

export interface LayoutStep extends RampStep {
  /** All server processes together, percent of one core. */
  serversPct: number;
  /** CPU µs of all server processes per delivered message. */
  serverUsPerMsg: number;
  /** Busy time of the server core (everything on it, softirq included) per delivered message, µs. */
  core0UsPerMsg: number;
  machine: MachineCpu;
  sustainable: boolean;
  misses: string[];
}

export interface StorageCheck {
  sent: number;
  acked: number;
  refused: number;
  pushes: number;
  stored: number;
  /** Acked but not stored: must be 0. */
  lost: number;
  /** acked = pushes = stored. */
  agree: boolean;
}

export interface LayoutResult {
  name: string;
  servers: string[];
  users: number;
  connect: ConnectSummary;
  /** Users logged in, heartbeats only, nothing sent. */
  idle: { seconds: number; serversPct: number; cpuPct: Record<string, number>; machine: MachineCpu };
  steps: LayoutStep[];
  /** The sustainable step with the most deliveries (none: null). */
  best: { targetPerSec: number; deliveredPerSec: number; e2eP99: number; ackP99: number } | null;
  storage: StorageCheck;
}

export function layoutName(servers: readonly string[]): string {
  // config.ini runs one chat server (the better choice on a 2-core box, measured by this bench).
  return servers.length === 1 ? '1 chat server (default config)' : `${servers.length} chat servers (the cluster shape)`;
}

/** Stops the chat servers outside the layout and restarts the layout's own, so each layout starts alike. */
async function prepare(ctx: BenchContext, servers: readonly string[]): Promise<void> {
  const all = ctx.cluster.chat.map((c) => c.id);
  for (const id of all)
    if (!servers.includes(id)) {
      await ctx.cluster.stopProcess(id);
      delete ctx.pids[id];
    }
  for (const id of servers) await restartChat(ctx, id);
  await sleep(1000);
}

/** Chat servers the layouts stopped are started again for the scenarios after them. */
export async function restoreChatServers(ctx: BenchContext): Promise<void> {
  for (const c of ctx.cluster.chat) if (ctx.pids[c.id] === undefined) await restartChat(ctx, c.id);
}

async function storedText(cluster: Cluster, conversations: readonly number[]): Promise<number> {
  if (conversations.length === 0) return 0;
  const [rows] = await cluster.env.pool.query("SELECT COUNT(*) AS n FROM messages WHERE conversation_id IN (?) AND type = 'text'", [[...conversations]]);
  return Number((rows as { n: number | string }[])[0]?.n ?? 0);
}

function serverNames(ctx: BenchContext): string[] {
  return SERVER_PROCESSES.filter((n) => ctx.pids[n] !== undefined);
}

async function idleCost(ctx: BenchContext, seconds: number): Promise<LayoutResult['idle']> {
  const names = serverNames(ctx);
  const cpu = new CpuWindow(() => pick(ctx.pids, names));
  const machine = new MachineWindow();
  cpu.start();
  machine.start();
  await sleep(seconds * 1000);
  const cpuPct = cpu.stop();
  const others = machine.stop(new Set([...Object.values(ctx.pids), process.pid]));
  const serversPct = round1(names.reduce((a, n) => a + (cpuPct[n] ?? 0), 0));
  ctx.log(`   idle, ${seconds} s with everyone logged in and silent: all servers ${serversPct}% of a core ${JSON.stringify(cpuPct)}`);
  return { seconds, serversPct, cpuPct, machine: others };
}

async function measuredStep(ctx: BenchContext, gens: Generators, rate: number, genPids: readonly number[]): Promise<LayoutStep> {
  const names = serverNames(ctx);
  const machine = new MachineWindow();
  machine.start();
  const step = await throughputStep(ctx, gens, rate, ctx.args.stepSec, names, true);
  const others = machine.stop(new Set([...Object.values(ctx.pids), ...genPids, process.pid]));
  const serversPct = round1(names.reduce((a, n) => a + (step.cpuPct[n] ?? 0), 0));
  const per = (pct: number) => (step.deliveredPerSec > 0 ? round1(((pct / 100) * 1e6) / step.deliveredPerSec) : 0);
  const misses = judgeStep(step);
  const out: LayoutStep = { ...step, serversPct, serverUsPerMsg: per(serversPct), core0UsPerMsg: per(step.cpuPct.core0 ?? 0), machine: others, sustainable: misses.length === 0, misses };
  ctx.log(`   → all servers ${serversPct}% (${out.serverUsPerMsg} µs/msg), core0 ${step.cpuPct.core0 ?? '-'}%, not ours ${others.othersPct}%; ${out.sustainable ? 'SUSTAINABLE' : `not sustainable: ${misses.join('; ')}`}`);
  return out;
}

/** One layout: connect, idle cost, warm-up, the ramp (stops after two unsustainable steps in a row), storage check. */
export async function layoutRamp(ctx: BenchContext, servers: string[]): Promise<LayoutResult> {
  const name = layoutName(servers);
  ctx.log(` -- layout: ${name} (${servers.join(', ')})`);
  await prepare(ctx, servers);
  const users = ctx.users.slice(0, ctx.args.users);
  const gens = Generators.start(ctx.args.workers, ctx.generatorCores);
  try {
    const conversations = [...new Set(users.map((u) => u.conversationId))];
    const storedBefore = await storedText(ctx.cluster, conversations);
    const connect = await connectAll(ctx, gens, users, endpoints(ctx, servers), 20, 'conversation', true, 200);
    await sleep(2000);
    const idle = await idleCost(ctx, ctx.args.idleCostSec);
    ctx.log('   warm-up: 3 s at 2000/s');
    await gens.all<StepResult>({ cmd: 'throughput', rate: 2000 / gens.children.length, durationMs: 3000, drainMs: 3000, maxOutstanding: ctx.args.maxOutstanding, tickMs: 2 });
    const steps: LayoutStep[] = [];
    let failedInARow = 0;
    for (const rate of ctx.args.rates) {
      const step = await measuredStep(ctx, gens, rate, gens.pids);
      steps.push(step);
      failedInARow = step.sustainable ? 0 : failedInARow + 1;
      if (failedInARow >= 2 && !ctx.args.keepGoing) {
        ctx.log('   two unsustainable steps in a row: the ramp stops here (--keep-going runs every rate)');
        break;
      }
      // A saturated step leaves a backlog: let it clear so the next step starts from an idle server.
      if (!step.sustainable) await waitQuiet(ctx, servers);
    }
    const totals = await gens.all<TotalsResult>({ cmd: 'totals', drainMs: 15_000 });
    const stored = (await storedText(ctx.cluster, conversations)) - storedBefore;
    const sum = (f: (t: TotalsResult) => number) => totals.reduce((a, t) => a + f(t), 0);
    const acked = sum((t) => t.acks);
    const pushes = sum((t) => t.pushes);
    const storage: StorageCheck = { sent: sum((t) => t.sent), acked, refused: sum((t) => t.refused), pushes, stored, lost: Math.max(0, acked - stored), agree: acked === stored && pushes === acked };
    ctx.log(`   storage check: sent ${storage.sent}, acked ${acked}, refused ${storage.refused}, pushes ${pushes}, stored ${stored} → ${storage.agree ? 'agree' : `DISAGREE (lost ${storage.lost})`}`);
    await gens.all({ cmd: 'disconnect' });
    const best = steps.filter((s) => s.sustainable).sort((a, b) => b.deliveredPerSec - a.deliveredPerSec)[0];
    return {
      name,
      servers,
      users: users.length,
      connect,
      idle,
      steps,
      best: best ? { targetPerSec: best.targetPerSec, deliveredPerSec: best.deliveredPerSec, e2eP99: best.e2eMs.p99, ackP99: best.ackMs.p99 } : null,
      storage,
    };
  } finally {
    await gens.close();
  }
}
