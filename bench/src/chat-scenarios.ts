/**
 * The chat benchmark's scenarios (see chat-bench.ts for the driver and bench/README.md for what
 * each one measures): throughput ramp, the same ramp against bare-relay, ping-pong round trips,
 * and idle connections (memory per connection); the CPU profile is in chat-profile.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Cluster } from '@parley/e2e';
import type { FixtureUser } from './chat-fixtures';
import { Generators, mergeConnects, mergeSteps, planUsers, type ConnectSummary, type Endpoint, type StepSummary } from './chat-generators';
import type { AddressBy, ConnectResult, StepResult } from './load-protocol';
import { CpuWindow, fdCount, pin, rssKib } from './proc-stats';
import { judgeStep } from './sustainable';
import { track } from './own-children';

export interface BenchArgs {
  rates: number[];
  relayRates: number[];
  stepSec: number;
  users: number;
  workers: number;
  bodyBytes: number;
  maxOutstanding: number;
  ppClients: number;
  ppPairs: number;
  /** Chat servers the ping-pong clients are spread over (1: the default config). */
  ppServers: number;
  ppIntervalMs: number;
  ppSec: number;
  profileSec: number;
  /** Seconds of fdatasync probing before the scenarios (disk-probe.ts). */
  diskProbeSec: number;
  profileRate: number | undefined;
  /** Chat servers loaded in the profile scenario (1: chat1 alone). */
  profileServers: number;
  idleOne: number;
  idleTotal: number;
  idleHoldSec: number;
  /** Chat servers per layout of the headline ramp, e.g. [2, 1]. */
  layouts: number[];
  /** Idle cost window per layout (users logged in, nothing sent). */
  idleCostSec: number;
  /** Every rate of the ramp even after two unsustainable steps. */
  keepGoing: boolean;
  /** How often recipients send DeliveredAck; 0 = no delivery receipts. */
  deliveredAckMs: number;
}

export interface BenchContext {
  cluster: Cluster;
  users: FixtureUser[];
  /** name → pid of every process whose CPU is reported (chat1…, status, mariadb, redis, relay). */
  pids: Record<string, number>;
  serverCores: string | undefined;
  generatorCores: string | undefined;
  args: BenchArgs;
  log(msg: string): void;
}

export interface DbRates {
  commitsPerSec: number;
  statementsPerSec: number;
  /** InnoDB fsyncs (redo log and data files). */
  fsyncsPerSec: number;
  /** INSERT statements (one per batch for messages). */
  insertsPerSec: number;
  /** Acked messages per COMMIT: the group commit's batch size. */
  msgsPerCommit: number;
}

export interface RampStep extends StepSummary {
  targetPerSec: number;
  /** Percent of one core per process over the sending window. */
  cpuPct: Record<string, number>;
  /** MariaDB's global counters over the window (chat servers only). */
  db?: DbRates;
}

export interface RampResult {
  target: string;
  users: number;
  connect: ConnectSummary;
  steps: RampStep[];
  /** Highest delivered msg/s among sustainable steps (sustainable.ts). */
  sustainedPerSec: number;
  maxDeliveredPerSec: number;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const DRAIN_MS = 3000;
export const TICK_MS = 2;

export function endpoints(ctx: BenchContext, ids: string[]): Endpoint[] {
  return ids.map((id) => {
    const c = ctx.cluster.chatEndpoint(id);
    return { id, host: c.host, port: c.tcpPort };
  });
}

/** Waits (at most maxMs) until the named processes use under 10% of a core each, e.g. a backlog is worked off. */
export async function waitQuiet(ctx: BenchContext, names: readonly string[], maxMs = 20_000): Promise<number> {
  const t0 = Date.now();
  const cpu = new CpuWindow(() => pick(ctx.pids, names));
  while (Date.now() - t0 < maxMs) {
    cpu.start();
    await sleep(500);
    const pct = cpu.stop();
    if (names.every((n) => (pct[n] ?? 0) < 10)) break;
  }
  return Date.now() - t0;
}

export function pick(pids: Record<string, number>, names: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of names) if (pids[n] !== undefined) out[n] = pids[n] as number;
  return out;
}

/** Restarts one chat server through the harness, pins it and records its pid. */
export async function restartChat(ctx: BenchContext, id: string): Promise<void> {
  await ctx.cluster.stopProcess(id);
  const proc = await ctx.cluster.startProcess('chat', id);
  const pid = proc.child.pid as number;
  ctx.pids[id] = pid;
  if (ctx.serverCores) pin(pid, ctx.serverCores);
}

export async function connectAll(ctx: BenchContext, gens: Generators, users: FixtureUser[], eps: Endpoint[], net: number, addressBy: AddressBy, heartbeats: boolean, concurrency: number): Promise<ConnectSummary> {
  const shares = planUsers(users, { workers: gens.children.length, endpoints: eps, net, addressesPerWorker: 2 });
  const replies = await gens.all<ConnectResult>(shares.map((s) => ({ cmd: 'connect' as const, users: s, concurrency, addressBy, bodyBytes: ctx.args.bodyBytes, heartbeats, deliveredAckMs: ctx.args.deliveredAckMs })));
  const summary = mergeConnects(replies);
  ctx.log(`   connected ${summary.loggedIn}/${summary.attempted} in ${summary.wallSec} s (${summary.loginsPerSec}/s, login p99 ${summary.loginMs.p99} ms)${Object.keys(summary.errors).length ? ` errors ${JSON.stringify(summary.errors)}` : ''}`);
  return summary;
}

const DB_COUNTERS = ['Com_commit', 'Questions', 'Innodb_data_fsyncs', 'Com_insert', 'Com_insert_select'] as const;

/** MariaDB's global counters (server-wide: other databases' work on the same server counts too). */
async function dbCounters(ctx: BenchContext): Promise<Record<string, number>> {
  const [rows] = await ctx.cluster.env.pool.query(`SHOW GLOBAL STATUS WHERE Variable_name IN (${DB_COUNTERS.map(() => '?').join(', ')})`, [...DB_COUNTERS]);
  const out: Record<string, number> = {};
  for (const r of rows as { Variable_name: string; Value: string }[]) out[r.Variable_name] = Number(r.Value);
  return out;
}

function dbRates(before: Record<string, number>, after: Record<string, number>, seconds: number, ackedPerSec: number): DbRates {
  const per = (k: (typeof DB_COUNTERS)[number]) => Math.round(((after[k] ?? 0) - (before[k] ?? 0)) / seconds);
  const commitsPerSec = per('Com_commit');
  return {
    commitsPerSec,
    statementsPerSec: per('Questions'),
    fsyncsPerSec: per('Innodb_data_fsyncs'),
    // The committer inserts with INSERT … SELECT.
    insertsPerSec: per('Com_insert') + per('Com_insert_select'),
    msgsPerCommit: commitsPerSec > 0 ? Math.round((ackedPerSec / commitsPerSec) * 10) / 10 : 0,
  };
}

export async function throughputStep(ctx: BenchContext, gens: Generators, rate: number, seconds: number, cpuNames: string[], withDb: boolean): Promise<RampStep> {
  const cpu = new CpuWindow(() => pick(ctx.pids, cpuNames));
  const n = gens.children.length;
  const db0 = withDb ? await dbCounters(ctx) : undefined;
  cpu.start();
  const pending = gens.all<StepResult>({ cmd: 'throughput', rate: rate / n, durationMs: seconds * 1000, drainMs: DRAIN_MS, maxOutstanding: ctx.args.maxOutstanding, tickMs: TICK_MS });
  await sleep(seconds * 1000);
  const cpuPct = cpu.stop();
  const db1 = withDb ? await dbCounters(ctx) : undefined;
  const merged = mergeSteps(await pending);
  const step: RampStep = { targetPerSec: rate, ...merged, cpuPct, ...(db0 && db1 ? { db: dbRates(db0, db1, seconds, merged.ackedPerSec) } : {}) };
  ctx.log(`   ${rate}/s → delivered ${step.deliveredPerSec}/s, acked ${step.ackedPerSec}/s; ack p50/p99 ${step.ackMs.p50}/${step.ackMs.p99} ms, e2e p50/p99 ${step.e2eMs.p50}/${step.e2eMs.p99} ms; throttled ${step.throttled}, lagged ${step.lagged}, unacked ${step.unacked}; CPU% ${JSON.stringify(cpuPct)} gen ${step.generatorCpuPct}${step.db ? `; db ${JSON.stringify(step.db)}` : ''}`);
  return step;
}

/** Connects `users` over `eps`, warms up, then runs each rate for stepSec. */
export async function ramp(ctx: BenchContext, target: string, eps: Endpoint[], addressBy: AddressBy, rates: number[], net: number, cpuNames: string[]): Promise<RampResult> {
  const users = ctx.users.slice(0, ctx.args.users);
  const gens = Generators.start(ctx.args.workers, ctx.generatorCores);
  try {
    const connect = await connectAll(ctx, gens, users, eps, net, addressBy, true, 200);
    ctx.log('   warm-up: 3 s at 2000/s');
    await gens.all<StepResult>({ cmd: 'throughput', rate: 2000 / gens.children.length, durationMs: 3000, drainMs: DRAIN_MS, maxOutstanding: ctx.args.maxOutstanding, tickMs: TICK_MS });
    const steps: RampStep[] = [];
    for (const rate of rates) steps.push(await throughputStep(ctx, gens, rate, ctx.args.stepSec, cpuNames, target !== 'bare-relay'));
    const ok = steps.filter((s) => judgeStep(s).length === 0);
    await gens.all({ cmd: 'disconnect' });
    // A saturated last step leaves a backlog in the servers: let them finish before the next scenario.
    const quietMs = await waitQuiet(ctx, cpuNames.filter((n) => n === 'relay' || n.startsWith('chat')));
    if (quietMs > 1000) ctx.log(`   waited ${(quietMs / 1000).toFixed(1)} s for the servers to work off their backlog`);
    return {
      target,
      users: users.length,
      connect,
      steps,
      sustainedPerSec: Math.max(0, ...ok.map((s) => s.deliveredPerSec)),
      maxDeliveredPerSec: Math.max(0, ...steps.map((s) => s.deliveredPerSec)),
    };
  } finally {
    await gens.close();
  }
}

/** Starts bare-relay (pinned like the servers); resolves its port once it is listening. */
export async function startRelay(ctx: BenchContext): Promise<{ child: ChildProcess; port: number }> {
  const script = join(__dirname, 'bare-relay.js');
  const argv = [script, '--port', '0'];
  const child = track(ctx.serverCores ? spawn('taskset', ['-c', ctx.serverCores, process.execPath, ...argv], { stdio: ['ignore', 'pipe', 'inherit'] }) : spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'] }));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('bare-relay not ready in 10 s')), 10_000);
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', (line) => {
      clearTimeout(timer);
      resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (code) => reject(new Error(`bare-relay exited (${code})`)));
  });
  ctx.pids.relay = child.pid as number;
  return { child, port };
}

export async function relayRamp(ctx: BenchContext): Promise<RampResult> {
  const relay = await startRelay(ctx);
  try {
    return await ramp(ctx, 'bare-relay', [{ id: 'relay', host: '127.0.0.1', port: relay.port }], 'to', ctx.args.relayRates, 21, ['relay']);
  } finally {
    relay.child.kill('SIGTERM');
    delete ctx.pids.relay;
  }
}

export interface PingPongResult {
  clients: number;
  /** The chat servers the clients were spread over. */
  servers: string[];
  activePairs: number;
  intervalMs: number;
  connect: ConnectSummary;
  step: StepSummary & { cpuPct: Record<string, number>; db: DbRates };
}

export async function pingPong(ctx: BenchContext): Promise<PingPongResult> {
  const { ppClients, ppPairs, ppIntervalMs, ppSec } = ctx.args;
  // The default config's one chat server (chat2 stopped meanwhile), or the two-server cluster shape.
  const servers = ctx.args.ppServers === 1 ? ['chat1'] : ['chat1', 'chat2'];
  if (servers.length === 1 && ctx.pids.chat2 !== undefined) {
    await ctx.cluster.stopProcess('chat2');
    delete ctx.pids.chat2;
  }
  const users = ctx.users.slice(0, ppClients);
  const gens = Generators.start(ctx.args.workers, ctx.generatorCores);
  try {
    const connect = await connectAll(ctx, gens, users, endpoints(ctx, servers), 30, 'conversation', true, 300);
    const n = gens.children.length;
    const pairs = Math.ceil(ppPairs / n);
    ctx.log('   warm-up: 2 s');
    await gens.all<StepResult>({ cmd: 'pingpong', pairs, intervalMs: ppIntervalMs, durationMs: 2000, drainMs: DRAIN_MS });
    const cpu = new CpuWindow(() => pick(ctx.pids, [...servers, 'status', 'mariadb', 'redis']));
    const db0 = await dbCounters(ctx);
    cpu.start();
    const pending = gens.all<StepResult>({ cmd: 'pingpong', pairs, intervalMs: ppIntervalMs, durationMs: ppSec * 1000, drainMs: DRAIN_MS });
    await sleep(ppSec * 1000);
    const cpuPct = cpu.stop();
    const merged = mergeSteps(await pending);
    const db = dbRates(db0, await dbCounters(ctx), ppSec, merged.ackedPerSec);
    const step = { ...merged, cpuPct, db };
    ctx.log(`   ${servers.join(' + ')}: ${pairs * n} pairs, one round trip each per ${ppIntervalMs} ms: RTT p50/p99/p99.9 ${step.rttMs.p50}/${step.rttMs.p99}/${step.rttMs.p999} ms over ${step.rttMs.count}; CPU% ${JSON.stringify(cpuPct)}`);
    await gens.all({ cmd: 'disconnect' });
    return { clients: users.length, servers, activePairs: pairs * n, intervalMs: ppIntervalMs, connect, step };
  } finally {
    await gens.close();
    if (ctx.pids.chat2 === undefined && ctx.cluster.chat.some((c) => c.id === 'chat2')) await restartChat(ctx, 'chat2');
  }
}

export interface IdlePart {
  servers: string[];
  target: number;
  generators: number;
  sourceAddresses: number;
  connect: ConnectSummary;
  hold: StepSummary & { cpuPct: Record<string, number> };
  rssBeforeKib: Record<string, number>;
  rssAfterKib: Record<string, number>;
  fdsAfter: Record<string, number>;
  /** (RSS after − RSS before) / logged-in connections, over the servers together. */
  kibPerConnection: number;
}

async function idlePart(ctx: BenchContext, ids: string[], count: number, workers: number, net: number): Promise<IdlePart> {
  ctx.log(`   restarting ${ids.join(', ')} for a clean baseline`);
  await Promise.all(ids.map((id) => restartChat(ctx, id)));
  await sleep(2000);
  const rssBeforeKib: Record<string, number> = {};
  for (const id of ids) rssBeforeKib[id] = rssKib(ctx.pids[id] as number);
  const users = ctx.users.slice(0, count);
  const gens = Generators.start(workers, ctx.generatorCores);
  try {
    const connect = await connectAll(ctx, gens, users, endpoints(ctx, ids), net, 'conversation', true, 300);
    const cpu = new CpuWindow(() => pick(ctx.pids, [...ids, 'redis']));
    cpu.start();
    const holdMs = ctx.args.idleHoldSec * 1000;
    const pending = gens.all<StepResult>({ cmd: 'hold', durationMs: holdMs });
    await sleep(holdMs);
    const cpuPct = cpu.stop();
    const hold = { ...mergeSteps(await pending), cpuPct };
    const rssAfterKib: Record<string, number> = {};
    const fdsAfter: Record<string, number> = {};
    for (const id of ids) {
      rssAfterKib[id] = rssKib(ctx.pids[id] as number);
      fdsAfter[id] = fdCount(ctx.pids[id] as number);
    }
    const grown = ids.reduce((a, id) => a + ((rssAfterKib[id] as number) - (rssBeforeKib[id] as number)), 0);
    const kibPerConnection = Math.round((grown / Math.max(1, connect.loggedIn)) * 100) / 100;
    ctx.log(`   ${connect.loggedIn} logged in; held ${ctx.args.idleHoldSec} s: ${hold.open} open, ${hold.dropped} dropped, pings ${hold.pings} / pongs ${hold.pongs}; RSS ${JSON.stringify(rssBeforeKib)} → ${JSON.stringify(rssAfterKib)} KiB = ${kibPerConnection} KiB/connection; CPU% ${JSON.stringify(cpuPct)}`);
    await gens.all({ cmd: 'disconnect' });
    return { servers: ids, target: count, generators: workers, sourceAddresses: workers * 2, connect, hold, rssBeforeKib, rssAfterKib, fdsAfter, kibPerConnection };
  } finally {
    await gens.close();
  }
}

export async function idle(ctx: BenchContext): Promise<IdlePart[]> {
  const parts: IdlePart[] = [];
  ctx.log(`   part 1: ${ctx.args.idleOne} connections on chat1`);
  parts.push(await idlePart(ctx, ['chat1'], ctx.args.idleOne, 3, 40));
  ctx.log(`   part 2: ${ctx.args.idleTotal} connections over chat1, chat2, chat3`);
  parts.push(await idlePart(ctx, ['chat1', 'chat2', 'chat3'], ctx.args.idleTotal, 4, 41));
  return parts;
}
