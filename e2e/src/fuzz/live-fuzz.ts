import type { ResultSetHeader } from 'mysql2/promise';
import { issueToken } from '@parley/common';
import { nextFuzzFrame, Prng } from '@parley/protocol/fuzz';
import type { Cluster } from '../cluster';
import { AnswerTally } from './answer-check';
import { ChatFuzzSession, feedUnauthenticated, type ChatFuzzOptions } from './chat-fuzz-target';
import { feedGate, type GateCredentials } from './gate-fuzz-target';
import { RssSampler, type RssSummary } from './rss-sampler';

export interface LiveFuzzOptions {
  seed: number;
  /** Frames sent to the chat server (chat1). */
  chatInputs: number;
  /** Requests sent to the gate. */
  gateInputs: number;
  /** Share of chat inputs sent on a logged-in connection (the rest on one that never logged in). */
  loggedInShare?: number;
  /** Connections (and HTTP requests) in flight at once. */
  concurrency?: number;
  /** Per-input time bound. */
  timeoutMs?: number;
  /** Called now and then with the inputs done so far. */
  progress?: (done: number, total: number) => void;
}

export interface LiveTargetReport {
  inputs: number;
  timeouts: number;
  maxMs: number;
  p99Ms: number;
  tally: AnswerTally;
}

export interface LiveFuzzReport {
  chat: LiveTargetReport & { loggedIn: number; sessionsClosedByServer: number };
  gate: LiveTargetReport;
  rss: Record<string, RssSummary>;
  /** Every server process still running at the end, and a fresh login served. */
  serversAlive: boolean;
  seconds: number;
}

function p99(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))]! * 10) / 10;
}

async function fuzzUser(cluster: Cluster, tag: string): Promise<number> {
  const name = `fz${tag}x${process.pid}`;
  const [res] = await cluster.env.pool.query<ResultSetHeader>('INSERT INTO users (name, email, password_hash, nickname) VALUES (?, ?, ?, ?)', [name, `${name}@fuzz.local`, 'x', name]);
  return res.insertId;
}

/**
 * The live part of the fuzz run against a running cluster: mutated frames to chat1 over TCP (on
 * logged-in connections and on connections that never log in) and mutated requests to every gate
 * endpoint, `concurrency` at a time, each input bounded by `timeoutMs`, while the servers' RSS is sampled.
 */
export async function runLiveFuzz(cluster: Cluster, options: LiveFuzzOptions): Promise<LiveFuzzReport> {
  const started = Date.now();
  const concurrency = options.concurrency ?? 16;
  const timeoutMs = options.timeoutMs ?? 5000;
  const share = options.loggedInShare ?? 0.6;
  const chat1 = cluster.chatEndpoint('chat1');
  const pids = Object.fromEntries([...cluster.processes].map(([name, p]) => [name, p.child.pid ?? 0]));
  const sampler = new RssSampler(pids);
  const root = new Prng(options.seed);
  const total = options.chatInputs + options.gateInputs;
  let done = 0;
  const tick = () => {
    done++;
    if (options.progress && done % 1000 === 0) options.progress(done, total);
  };

  const chat = { inputs: 0, timeouts: 0, times: [] as number[], tally: new AnswerTally(), loggedIn: 0, closedByServer: 0 };
  const chatWorker = async (w: number, prng: Prng, count: number) => {
    const uid = await fuzzUser(cluster, `c${w}`);
    const opts: ChatFuzzOptions = { host: chat1.host, port: chat1.tcpPort, timeoutMs, credentials: async () => ({ uid, token: await issueToken(cluster.env.redis, uid, 3600) }) };
    let session: ChatFuzzSession | undefined;
    for (let i = 0; i < count; i++) {
      const input = nextFuzzFrame(prng);
      const loggedIn = prng.chance(share);
      let r;
      if (loggedIn) {
        session ??= await ChatFuzzSession.open(opts, chat.tally);
        r = await session.feed(input, timeoutMs);
        chat.loggedIn++;
        if (session.closed) {
          if (input.complete) chat.closedByServer++;
          session.close();
          session = undefined;
        }
      } else {
        r = await feedUnauthenticated(opts, chat.tally, input);
      }
      chat.inputs++;
      chat.times.push(r.ms);
      if (r.timedOut) {
        chat.timeouts++;
        chat.tally.finding(`${loggedIn ? 'logged-in' : 'unauthenticated'} ${input.kind} (${input.bytes.length} bytes, ${input.complete ? 'complete' : 'incomplete'}): no answer or close within ${timeoutMs} ms`);
        session?.close();
        session = undefined;
      }
      tick();
    }
    session?.close();
  };

  const gate = { inputs: 0, timeouts: 0, times: [] as number[], tally: new AnswerTally() };
  const gateWorker = async (w: number, prng: Prng, count: number) => {
    const uid = await fuzzUser(cluster, `g${w}`);
    const creds: GateCredentials = { uid, token: await issueToken(cluster.env.redis, uid, 3600) };
    for (let i = 0; i < count; i++) {
      const r = await feedGate(cluster.gateUrl, prng, creds, gate.tally, timeoutMs);
      gate.inputs++;
      gate.times.push(r.ms);
      if (r.timedOut) gate.timeouts++;
      if (r.loggedOut) creds.token = await issueToken(cluster.env.redis, uid, 3600);
      tick();
    }
  };

  const split = (n: number, w: number) => Math.floor(n / concurrency) + (w < n % concurrency ? 1 : 0);
  const workers: Promise<void>[] = [];
  for (let w = 0; w < concurrency; w++) {
    workers.push(chatWorker(w, root.fork(), split(options.chatInputs, w)));
    workers.push(gateWorker(w, root.fork(), split(options.gateInputs, w)));
  }
  await Promise.all(workers);
  const rss = sampler.stop();

  let serversAlive = [...cluster.processes.values()].every((p) => p.child.exitCode === null && p.child.signalCode === null);
  try {
    const uid = await fuzzUser(cluster, 'final');
    const s = await ChatFuzzSession.open({ host: chat1.host, port: chat1.tcpPort, timeoutMs, credentials: async () => ({ uid, token: await issueToken(cluster.env.redis, uid, 600) }) }, new AnswerTally());
    s.close();
  } catch {
    serversAlive = false;
  }
  const target = (t: { inputs: number; timeouts: number; times: number[]; tally: AnswerTally }): LiveTargetReport => ({
    inputs: t.inputs,
    timeouts: t.timeouts,
    maxMs: Math.round(Math.max(0, ...t.times) * 10) / 10,
    p99Ms: p99(t.times),
    tally: t.tally,
  });
  return {
    chat: { ...target(chat), loggedIn: chat.loggedIn, sessionsClosedByServer: chat.closedByServer },
    gate: target(gate),
    rss,
    serversAlive,
    seconds: (Date.now() - started) / 1000,
  };
}

/** Config sections for a fuzz cluster: the rate limits out of the way so inputs reach the handlers. */
export const FUZZ_CLUSTER_SECTIONS = {
  chat: { request_rate_per_sec: 1_000_000, request_burst: 1_000_000, send_rate_per_sec: 1_000_000, send_burst: 1_000_000, search_limit_per_minute: 1_000_000, search_burst: 1_000_000, ping_rate_per_sec: 1_000_000, ping_burst: 1_000_000, abuse_limit: 10_000_000 },
  gate: { api_limit_per_minute: 10_000_000, login_limit_per_ip: 10_000_000, register_limit_per_ip: 10_000_000 },
  verify: { hourly_limit_per_ip: 1_000_000, resend_interval_sec: 0, hourly_limit_per_email: 100_000 },
};
