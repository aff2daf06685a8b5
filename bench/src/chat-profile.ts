/**
 * The chat benchmark's `profile` scenario: chat1 restarted under `node --cpu-prof`, loaded for
 * `--profile-sec`, its profile summarised for the load window only, and MariaDB's PROCESSLIST
 * sampled meanwhile (which statements it runs).
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Generators } from './chat-generators';
import { summariseProfile, type ProfileSummary } from './cpu-profile';
import type { StepResult } from './load-protocol';
import { spawnChat, stopChild } from './own-children';
import { connectAll, DRAIN_MS, endpoints, restartChat, sleep, throughputStep, TICK_MS, type BenchContext, type RampStep } from './chat-scenarios';

export interface ProfileResult {
  server: string;
  ratePerSec: number;
  seconds: number;
  step: RampStep;
  profileFile: string;
  summary: ProfileSummary;
  /** What MariaDB was running meanwhile (both chat servers' connections). */
  mysql: ProcesslistSummary;
}

const monoUs = () => Number(process.hrtime.bigint() / 1000n);

export interface StatementSample {
  statement: string;
  samples: number;
  /** Percent of the samples in which some connection was running a statement. */
  pct: number;
}

export interface ProcesslistSummary {
  samples: number;
  /** Mean statements running at once (over the benchmark database's connections). */
  meanActive: number;
  /** Mean connections of the benchmark database (idle included). */
  meanConnections: number;
  top: StatementSample[];
}

/**
 * A poor man's profiler of MariaDB: samples information_schema.PROCESSLIST for the benchmark
 * database every 20 ms until `stop()` and counts what the non-sleeping connections are running
 * (statement text up to its first 60 characters, numbers folded, plus the thread state).
 */
function sampleProcesslist(ctx: BenchContext): { stop(): Promise<ProcesslistSummary> } {
  const counts = new Map<string, number>();
  let samples = 0;
  let active = 0;
  let connections = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const [rows] = await ctx.cluster.env.pool.query('SELECT COMMAND AS c, STATE AS s, LEFT(INFO, 60) AS i FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()', [ctx.cluster.env.database]);
      samples++;
      for (const r of rows as { c: string; s: string | null; i: string | null }[]) {
        connections++;
        if (r.c === 'Sleep' || !r.i) continue;
        active++;
        const key = `${r.i.replace(/\s+/g, ' ').replace(/\d+/g, 'N').trim()} [${r.s || r.c}]`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      await sleep(20);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return {
        samples,
        meanActive: Math.round((active / Math.max(1, samples)) * 100) / 100,
        meanConnections: Math.round((connections / Math.max(1, samples)) * 10) / 10,
        top: [...counts.entries()]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 10)
          .map(([statement, n]) => ({ statement, samples: n, pct: Math.round((n / Math.max(1, active)) * 1000) / 10 })),
      };
    },
  };
}

/** Restarts chat1 under --cpu-prof, loads both servers at `rate` for profileSec, and summarises chat1's profile. */
export async function profile(ctx: BenchContext, rate: number): Promise<ProfileResult> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-chat-prof-'));
  ctx.log(`   restarting chat1 as node --cpu-prof (profile in ${dir})`);
  await ctx.cluster.stopProcess('chat1');
  const child = await spawnChat(ctx.cluster, ctx.serverCores, 'chat1', ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
  ctx.pids.chat1 = child.pid as number;
  const servers = ctx.args.profileServers === 1 ? ['chat1'] : ['chat1', 'chat2'];
  if (servers.length === 1) {
    await ctx.cluster.stopProcess('chat2');
    delete ctx.pids.chat2;
  }
  const users = ctx.users.slice(0, ctx.args.users);
  const gens = Generators.start(ctx.args.workers, ctx.generatorCores);
  let step: RampStep;
  let mysql: ProcesslistSummary;
  let window: { fromUs: number; toUs: number };
  try {
    await connectAll(ctx, gens, users, endpoints(ctx, servers), 22, 'conversation', true, 200);
    await gens.all<StepResult>({ cmd: 'throughput', rate: 2000 / gens.children.length, durationMs: 2000, drainMs: DRAIN_MS, maxOutstanding: ctx.args.maxOutstanding, tickMs: TICK_MS });
    const fromUs = monoUs();
    const sampler = sampleProcesslist(ctx);
    step = await throughputStep(ctx, gens, rate, ctx.args.profileSec, [...servers, 'status', 'mariadb', 'redis'], true);
    mysql = await sampler.stop();
    window = { fromUs, toUs: fromUs + ctx.args.profileSec * 1000 * 1000 };
    await gens.all({ cmd: 'disconnect' });
  } finally {
    await gens.close();
    // SIGTERM: chat1 drains and exits, and node writes the profile on the way out.
    await stopChild(child);
    await restartChat(ctx, 'chat1');
    if (ctx.pids.chat2 === undefined) await restartChat(ctx, 'chat2');
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`chat1 wrote no .cpuprofile into ${dir}`);
  const summary = summariseProfile(join(dir, file), window);
  return { server: 'chat1', ratePerSec: rate, seconds: ctx.args.profileSec, step, profileFile: join(dir, file), summary, mysql };
}

