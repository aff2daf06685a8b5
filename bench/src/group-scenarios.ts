/**
 * The group benchmark's scenarios (driver: group-bench.ts; what they measure: bench/README.md).
 * One function runs either: writes its groups into MySQL, spreads the members over the chat
 * servers and the generator processes (group-worker.ts), warms up, runs each rate for stepSec
 * while measuring every server-side process' CPU, merges the workers' receipts per step
 * (group-merge.ts), and at the end checks that every acked message is stored.
 */
import type { Cluster } from '@parley/e2e';
import { Generators, mergeConnects, type ConnectSummary, type Endpoint } from './chat-generators';
import { createGroups, storedTextMessages, type FixtureGroup, type GroupUser } from './group-fixtures';
import { mergeGroupSteps, type GroupStepSummary } from './group-merge';
import type { ConnectResult, GroupSentResult, GroupStepResult, GroupWorkerCommand, GroupWorkerReply, GroupWorkerUser } from './group-protocol';
import { MachineWindow, type MachineCpu } from './machine-cpu';
import { CpuWindow } from './proc-stats';

export interface GroupScenarioSpec {
  name: 'big' | 'many';
  groups: number;
  membersPerGroup: number;
  sendersPerGroup: number;
  /** Group messages per second, all groups together, one step each. */
  rates: number[];
  /** Second octet of the generators' source addresses. */
  net: number;
}

export interface GroupBenchArgs {
  stepSec: number;
  warmupSec: number;
  workers: number;
  bodyBytes: number;
  maxOutstanding: number;
  drainSec: number;
  deliveredAckMs: number;
  targetP99Ms: number;
}

export interface GroupContext {
  cluster: Cluster;
  users: GroupUser[];
  /** name → pid of the server-side processes (chat1, chat2, status, mariadb, redis). */
  pids: Record<string, number>;
  generatorCores: string | undefined;
  args: GroupBenchArgs;
  log(msg: string): void;
}

export interface DbRates {
  commitsPerSec: number;
  statementsPerSec: number;
  fsyncsPerSec: number;
  /** Acked group messages per COMMIT. */
  msgsPerCommit: number;
}

export interface GroupStep extends GroupStepSummary {
  targetPerSec: number;
  /** targetPerSec × recipients per message. */
  targetDeliveriesPerSec: number;
  /** Percent of one core over the sending window: each process, `servers` (chat1 + chat2 + MariaDB + Redis + status), `generators`, and each core. */
  cpuPct: Record<string, number>;
  /** CPU µs of all server-side processes per member delivery. */
  serverUsPerDelivery: number;
  db: DbRates;
  /** Per-core softirq / steal, and the CPU of processes that are not ours (a shared machine). */
  machine: MachineCpu;
  /** Other processes used more than DISTURBED_PCT of a core meanwhile: the step measured a shared machine. */
  disturbed: boolean;
  sustainable: boolean;
  /** Why not, when not. */
  misses: string[];
}

export interface StorageCheck {
  conversations: number;
  acked: number;
  stored: number;
  /** Σ over conversations of max(0, acked − stored): must be 0. */
  lost: number;
  /** Stored but never acked within the drain (an ack that came late, or none). */
  storedNotAcked: number;
}

export interface GroupScenarioResult {
  name: string;
  groups: number;
  membersPerGroup: number;
  sendersPerGroup: number;
  members: number;
  connect: ConnectSummary;
  steps: GroupStep[];
  /** The sustainable step with the most deliveries/s. */
  best: { targetPerSec: number; deliveriesPerSec: number } | null;
  storage: StorageCheck;
}

const SERVER_NAMES = ['chat1', 'chat2', 'mariadb', 'redis', 'status'] as const;
/** Percent of a core that processes not ours may use before a step counts as disturbed. */
const DISTURBED_PCT = 5;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round1 = (x: number) => Math.round(x * 10) / 10;

/**
 * Member i of a group is on chat server i % S (so every group is split evenly), and member k of
 * the whole plan goes to worker floor(k / 2) % W (each worker holds members of both servers);
 * the first `sendersPerGroup` members of every group post.
 */
export function planMembers(groups: readonly FixtureGroup[], tokens: ReadonlyMap<number, string>, eps: readonly Endpoint[], workers: number, sendersPerGroup: number, net: number): GroupWorkerUser[][] {
  const shares: GroupWorkerUser[][] = Array.from({ length: workers }, () => []);
  let k = 0;
  for (const g of groups) {
    g.members.forEach((uid, i) => {
      const w = Math.floor(k++ / 2) % workers;
      const e = eps[i % eps.length] as Endpoint;
      const share = shares[w] as GroupWorkerUser[];
      const localAddress = `127.${net}.${w + 1}.${(share.length % 2) + 1}`;
      share.push({ uid, token: tokens.get(uid) as string, host: e.host, port: e.port, localAddress, conversationId: g.conversationId, sender: i < sendersPerGroup });
    });
  }
  return shares;
}

const DB_COUNTERS = ['Com_commit', 'Questions', 'Innodb_data_fsyncs'] as const;

async function dbCounters(cluster: Cluster): Promise<Record<string, number>> {
  const [rows] = await cluster.env.pool.query(`SHOW GLOBAL STATUS WHERE Variable_name IN (${DB_COUNTERS.map(() => '?').join(', ')})`, [...DB_COUNTERS]);
  const out: Record<string, number> = {};
  for (const r of rows as { Variable_name: string; Value: string }[]) out[r.Variable_name] = Number(r.Value);
  return out;
}

function dbRates(before: Record<string, number>, after: Record<string, number>, seconds: number, ackedPerSec: number): DbRates {
  const per = (k: (typeof DB_COUNTERS)[number]) => Math.round(((after[k] ?? 0) - (before[k] ?? 0)) / seconds);
  const commitsPerSec = per('Com_commit');
  return { commitsPerSec, statementsPerSec: per('Questions'), fsyncsPerSec: per('Innodb_data_fsyncs'), msgsPerCommit: commitsPerSec > 0 ? round1(ackedPerSec / commitsPerSec) : 0 };
}

/** Waits (at most maxMs) until the chat servers and MariaDB use under 10% of a core each: a backlog is worked off. */
async function waitQuiet(ctx: GroupContext, maxMs = 20_000): Promise<number> {
  const t0 = Date.now();
  const names = ['chat1', 'chat2', 'mariadb'];
  const cpu = new CpuWindow(() => Object.fromEntries(names.filter((n) => ctx.pids[n] !== undefined).map((n) => [n, ctx.pids[n] as number])));
  while (Date.now() - t0 < maxMs) {
    cpu.start();
    await sleep(500);
    const pct = cpu.stop();
    if (names.every((n) => (pct[n] ?? 0) < 10)) break;
  }
  return Date.now() - t0;
}

function verdict(step: Omit<GroupStep, 'disturbed' | 'sustainable' | 'misses'>, targetP99Ms: number): string[] {
  const misses: string[] = [];
  if (step.deliveredPct < 99) misses.push(`delivered ${step.deliveredPct}% < 99%`);
  if (step.ackMs.p99 > targetP99Ms) misses.push(`ack p99 ${step.ackMs.p99} ms > ${targetP99Ms}`);
  const last = step.lastMemberMs.p99;
  if (last === null || last > targetP99Ms) misses.push(`last-member p99 ${last === null ? 'never (messages missing)' : `${last} ms`} > ${targetP99Ms}`);
  if (step.sentPerSec < 0.95 * step.targetPerSec) misses.push(`sent ${step.sentPerSec}/s < 95% of ${step.targetPerSec}`);
  return misses;
}

class Tally {
  readonly acked = new Map<number, number>();
  add(m: ReadonlyMap<number, number>): void {
    for (const [c, n] of m) this.acked.set(c, (this.acked.get(c) ?? 0) + n);
  }
}

/** Runs one step while measuring every process' CPU and MariaDB's counters; merges, judges and logs it. */
async function measureStep(
  ctx: GroupContext,
  generatorPids: readonly number[],
  rate: number,
  perMsg: number,
  run: () => Promise<GroupStepResult[]>,
  recipients: ReadonlyMap<number, number>,
): Promise<{ step: GroupStep; ackedByConversation: Map<number, number> }> {
  const { args } = ctx;
  const genPids = Object.fromEntries(generatorPids.map((pid, i) => [`gen${i + 1}`, pid]));
  const cpu = new CpuWindow(() => ({ ...ctx.pids, ...genPids }));
  const machine = new MachineWindow();
  const db0 = await dbCounters(ctx.cluster);
  cpu.start();
  machine.start();
  const pending = run();
  await sleep(args.stepSec * 1000);
  const raw = cpu.stop();
  const others = machine.stop(new Set([...Object.values(ctx.pids), ...generatorPids, process.pid]));
  const db1 = await dbCounters(ctx.cluster);
  const { summary, ackedByConversation } = mergeGroupSteps(await pending, (c) => recipients.get(c) ?? 0);
  const servers = SERVER_NAMES.reduce((a, n) => a + (raw[n] ?? 0), 0);
  const generators = Object.keys(genPids).reduce((a, n) => a + (raw[n] ?? 0), 0);
  const cpuPct = { ...raw, servers: round1(servers), generators: round1(generators) };
  const partial = {
    targetPerSec: rate,
    targetDeliveriesPerSec: rate * perMsg,
    ...summary,
    cpuPct,
    serverUsPerDelivery: summary.deliveriesPerSec > 0 ? round1(((servers / 100) * 1e6) / summary.deliveriesPerSec) : 0,
    db: dbRates(db0, db1, args.stepSec, summary.ackedPerSec),
    machine: others,
  };
  const misses = verdict(partial, args.targetP99Ms);
  const step: GroupStep = { ...partial, disturbed: others.othersPct > DISTURBED_PCT, sustainable: misses.length === 0, misses };
  const l = step.lastMemberMs;
  ctx.log(
    `   ${rate} msg/s (×${perMsg}): sent ${step.sentPerSec}/s, deliveries ${step.deliveriesPerSec}/s (${step.deliveredPct}%), ack p50/p99 ${step.ackMs.p50}/${step.ackMs.p99} ms, last member p50/p99/p99.9 ${l.p50}/${l.p99}/${l.p999} ms (${l.incomplete} incomplete), per delivery p50/p99 ${step.deliveryMs.p50}/${step.deliveryMs.p99} ms; CPU% ${JSON.stringify(cpuPct)}; ${step.serverUsPerDelivery} µs/delivery; not ours ${others.othersPct}%${step.disturbed ? ` (DISTURBED: ${others.topOthers.join(', ')})` : ''}; cores ${JSON.stringify(others.cores)}; ${step.sustainable ? 'SUSTAINABLE' : `not sustainable: ${misses.join('; ')}`}`,
  );
  return { step, ackedByConversation };
}

export async function runGroupScenario(ctx: GroupContext, spec: GroupScenarioSpec, eps: Endpoint[]): Promise<GroupScenarioResult> {
  const { args } = ctx;
  const need = spec.groups * spec.membersPerGroup;
  if (ctx.users.length < need) throw new Error(`${spec.name} needs ${need} users, have ${ctx.users.length}`);
  const lists = Array.from({ length: spec.groups }, (_, g) => ctx.users.slice(g * spec.membersPerGroup, (g + 1) * spec.membersPerGroup).map((u) => u.uid));
  const groups = await createGroups(ctx.cluster.env.pool, lists, `bench ${spec.name}`);
  const recipients = new Map(groups.map((g) => [g.conversationId, g.members.length - 1]));
  const tokens = new Map(ctx.users.map((u) => [u.uid, u.token]));
  const shares = planMembers(groups, tokens, eps, args.workers, spec.sendersPerGroup, spec.net);
  const senderShare = shares.map((s) => s.filter((u) => u.sender).length);
  const senders = senderShare.reduce((a, b) => a + b, 0);
  ctx.log(`   ${spec.groups} group(s) × ${spec.membersPerGroup} members over ${eps.map((e) => e.id).join(' + ')}, ${senders} senders, ${args.workers} generator processes`);

  const gens = Generators.start<GroupWorkerCommand, GroupWorkerReply>(args.workers, ctx.generatorCores, 'group-worker.js');
  const tally = new Tally();
  let stepNo = 0;
  // Pushes each worker should see per acked message of a sender: its members of the sender's group, minus the sender.
  const membersIn = shares.map((share) => {
    const m = new Map<number, number>();
    for (const u of share) m.set(u.conversationId, (m.get(u.conversationId) ?? 0) + 1);
    return m;
  });
  const home = new Map<number, { worker: number; conversationId: number }>();
  shares.forEach((share, worker) => share.forEach((u) => home.set(u.uid, { worker, conversationId: u.conversationId })));
  const runStep = async (rate: number, seconds: number): Promise<GroupStepResult[]> => {
    const cmds = senderShare.map((n): GroupWorkerCommand => ({ cmd: 'step', step: stepNo, rate: senders ? (rate * n) / senders : 0, durationMs: seconds * 1000, drainMs: args.drainSec * 1000, maxOutstanding: args.maxOutstanding, tickMs: 2 }));
    stepNo++;
    const sent = await gens.all<GroupSentResult>(cmds);
    const expected = membersIn.map((members, w) => {
      let n = 0;
      for (const r of sent)
        for (const [uid, acked] of r.acked) {
          const h = home.get(uid);
          if (h) n += acked * ((members.get(h.conversationId) ?? 0) - (h.worker === w ? 1 : 0));
        }
      return n;
    });
    return gens.all<GroupStepResult>(expected.map((expectedPushes): GroupWorkerCommand => ({ cmd: 'collect', expectedPushes })));
  };
  try {
    const replies = await gens.all<ConnectResult>(shares.map((users, index) => ({ cmd: 'connect', index, users, concurrency: 200, bodyBytes: args.bodyBytes, deliveredAckMs: args.deliveredAckMs })));
    const connect = mergeConnects(replies);
    ctx.log(`   connected ${connect.loggedIn}/${connect.attempted} in ${connect.wallSec} s${Object.keys(connect.errors).length ? ` errors ${JSON.stringify(connect.errors)}` : ''}`);
    const warmRate = Math.max(1, Math.round((spec.rates[0] ?? 10) / 2));
    ctx.log(`   warm-up: ${args.warmupSec} s at ${warmRate} msg/s`);
    tally.add(mergeGroupSteps(await runStep(warmRate, args.warmupSec), (c) => recipients.get(c) ?? 0).ackedByConversation);
    const steps: GroupStep[] = [];
    for (const rate of spec.rates) {
      const quietMs = await waitQuiet(ctx);
      if (quietMs > 1500) ctx.log(`   waited ${(quietMs / 1000).toFixed(1)} s for the servers to go quiet`);
      const { step, ackedByConversation } = await measureStep(ctx, gens.pids, rate, spec.membersPerGroup - 1, () => runStep(rate, args.stepSec), recipients);
      tally.add(ackedByConversation);
      steps.push(step);
    }
    await gens.all({ cmd: 'disconnect' });
    await waitQuiet(ctx);
    const storage = await checkStorage(ctx, groups, tally);
    ctx.log(`   storage: ${storage.acked} acked, ${storage.stored} stored in ${storage.conversations} conversation(s), lost ${storage.lost}, stored but not acked ${storage.storedNotAcked}`);
    const ok = steps.filter((s) => s.sustainable);
    const top = ok.reduce<GroupStep | undefined>((a, s) => (!a || s.deliveriesPerSec > a.deliveriesPerSec ? s : a), undefined);
    return {
      name: spec.name,
      groups: spec.groups,
      membersPerGroup: spec.membersPerGroup,
      sendersPerGroup: spec.sendersPerGroup,
      members: need,
      connect,
      steps,
      best: top ? { targetPerSec: top.targetPerSec, deliveriesPerSec: top.deliveriesPerSec } : null,
      storage,
    };
  } finally {
    await gens.close();
  }
}

/** Every acked message must be in MySQL: text messages counted per conversation against the acks. */
async function checkStorage(ctx: GroupContext, groups: readonly FixtureGroup[], tally: Tally): Promise<StorageCheck> {
  const stored = await storedTextMessages(ctx.cluster.env.pool, groups.map((g) => g.conversationId));
  let acked = 0;
  let total = 0;
  let lost = 0;
  let extra = 0;
  for (const [conv, n] of stored) {
    const a = tally.acked.get(conv) ?? 0;
    acked += a;
    total += n;
    lost += Math.max(0, a - n);
    extra += Math.max(0, n - a);
  }
  return { conversations: stored.size, acked, stored: total, lost, storedNotAcked: extra };
}
