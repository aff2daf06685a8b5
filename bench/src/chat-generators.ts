/**
 * The chat benchmark's load generator processes, seen from the orchestrator: forks load-worker.js
 * (pinned with taskset when asked), sends each one command at a time and merges what they answer.
 * `planUsers` splits users into the workers' shares: whole pairs per worker, each user on a chat
 * server, half the pairs with partners on different servers, sockets spread over 127.x addresses.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { FixtureUser } from './chat-fixtures';
import { LatencyHistogram } from './chat-histogram';
import type { ConnectResult, StepResult, WorkerCommand, WorkerReply, WorkerUser } from './load-protocol';

export interface Endpoint {
  id: string;
  host: string;
  port: number;
}

export interface PlanOptions {
  workers: number;
  endpoints: readonly Endpoint[];
  /** Second octet of the source addresses (one per scenario keeps their ports apart). */
  net: number;
  addressesPerWorker: number;
}

/**
 * Pair k goes to worker k % workers. Within a worker, its j-th pair has A on endpoint j % S and
 * B on the same server when floor(j / S) is even, on the next one when it is odd (so with two or
 * more servers half the pairs cross servers and every server gets the same number of users).
 */
export function planUsers(users: readonly FixtureUser[], o: PlanOptions): WorkerUser[][] {
  const shares: WorkerUser[][] = Array.from({ length: o.workers }, () => []);
  const s = o.endpoints.length;
  const pairs = Math.floor(users.length / 2);
  for (let k = 0; k < pairs; k++) {
    const w = k % o.workers;
    const j = Math.floor(k / o.workers);
    const cross = s > 1 && Math.floor(j / s) % 2 === 1;
    const ea = o.endpoints[j % s] as Endpoint;
    const eb = o.endpoints[(cross ? j + 1 : j) % s] as Endpoint;
    const share = shares[w] as WorkerUser[];
    for (const [u, e] of [
      [users[2 * k] as FixtureUser, ea],
      [users[2 * k + 1] as FixtureUser, eb],
    ] as const) {
      const localAddress = `127.${o.net}.${w + 1}.${(share.length % o.addressesPerWorker) + 1}`;
      share.push({ uid: u.uid, token: u.token, host: e.host, port: e.port, localAddress, peer: u.peer, conversationId: u.conversationId, cross });
    }
  }
  return shares;
}

/** What every worker answers with when a command fails (or the worker died). */
interface ErrorReply {
  type: 'error';
  message: string;
}

/**
 * Forked generator processes, one command at a time each. `C` and `R` are the script's IPC
 * messages (load-protocol.ts for load-worker.js); every worker understands `{ cmd: 'exit' }` and
 * may answer `{ type: 'error', message }`.
 */
export class Generators<C extends { cmd: string } = WorkerCommand, R extends { type: string } = WorkerReply> {
  private readonly waiters = new Map<ChildProcess, ((reply: R | ErrorReply) => void)[]>();

  private constructor(readonly children: ChildProcess[]) {
    for (const child of children) {
      this.waiters.set(child, []);
      child.on('message', (reply: R) => this.waiters.get(child)?.shift()?.(reply));
      child.on('exit', (code) => {
        const list = this.waiters.get(child) ?? [];
        for (const w of list.splice(0)) w({ type: 'error', message: `load worker ${child.pid} exited (${code})` });
      });
    }
  }

  /** Forks `count` workers running `script` (a file next to this one); with `core`, each runs under `taskset -c core`. */
  static start<C extends { cmd: string } = WorkerCommand, R extends { type: string } = WorkerReply>(count: number, core: string | undefined, script = 'load-worker.js'): Generators<C, R> {
    const path = join(__dirname, script);
    const children = Array.from({ length: count }, () =>
      core === undefined
        ? fork(path, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
        : fork(path, [], { execPath: 'taskset', execArgv: ['-c', core, process.execPath], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    );
    return new Generators<C, R>(children);
  }

  get pids(): number[] {
    return this.children.map((c) => c.pid as number);
  }

  private ask(child: ChildProcess, cmd: C): Promise<R> {
    return new Promise((resolve, reject) => {
      this.waiters.get(child)?.push((reply) => (isError(reply) ? reject(new Error(reply.message)) : resolve(reply)));
      child.send(cmd);
    });
  }

  /** Sends cmds[i] (or the one cmd) to worker i and waits for every answer. */
  all<T extends R>(cmds: C | C[]): Promise<T[]> {
    return Promise.all(this.children.map((c, i) => this.ask(c, Array.isArray(cmds) ? (cmds[i] as C) : cmds) as Promise<T>));
  }

  async close(): Promise<void> {
    await Promise.all(
      this.children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            const timer = setTimeout(() => c.kill('SIGKILL'), 10_000);
            c.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            c.send({ cmd: 'exit' });
          }),
      ),
    );
  }
}

function isError(reply: { type: string }): reply is ErrorReply {
  return reply.type === 'error';
}

export interface ConnectSummary {
  attempted: number;
  loggedIn: number;
  errors: Record<string, number>;
  wallSec: number;
  loginsPerSec: number;
  loginMs: ReturnType<LatencyHistogram['stats']>;
  heartbeatSec: number;
  generatorCpuSec: number;
}

export function mergeConnects(list: readonly ConnectResult[]): ConnectSummary {
  const errors: Record<string, number> = {};
  for (const r of list) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
  const attempted = list.reduce((a, r) => a + r.attempted, 0);
  const loggedIn = list.reduce((a, r) => a + r.loggedIn, 0);
  const wallSec = Math.max(...list.map((r) => r.wallMs)) / 1000;
  return {
    attempted,
    loggedIn,
    errors,
    wallSec: Math.round(wallSec * 100) / 100,
    loginsPerSec: Math.round(loggedIn / Math.max(wallSec, 0.001)),
    loginMs: LatencyHistogram.merge(list.map((r) => r.login)).stats(),
    heartbeatSec: list[0]?.heartbeatSec ?? 0,
    generatorCpuSec: Math.round(list.reduce((a, r) => a + r.cpuMs, 0) / 10) / 100,
  };
}

export interface StepSummary {
  windowSec: number;
  sent: number;
  sentPerSec: number;
  deliveredPerSec: number;
  ackedPerSec: number;
  acks: number;
  pushes: number;
  throttled: number;
  lagged: number;
  unacked: number;
  errors: Record<string, number>;
  ackMs: ReturnType<LatencyHistogram['stats']>;
  e2eMs: ReturnType<LatencyHistogram['stats']>;
  e2eSameMs: ReturnType<LatencyHistogram['stats']>;
  e2eCrossMs: ReturnType<LatencyHistogram['stats']>;
  rttMs: ReturnType<LatencyHistogram['stats']>;
  rttSameMs: ReturnType<LatencyHistogram['stats']>;
  rttCrossMs: ReturnType<LatencyHistogram['stats']>;
  deliveredAcks: number;
  pings: number;
  pongs: number;
  dropped: number;
  open: number;
  /** All generator processes together, percent of one core over the window. */
  generatorCpuPct: number;
}

export function mergeSteps(list: readonly StepResult[]): StepSummary {
  const sum = (f: (r: StepResult) => number) => list.reduce((a, r) => a + f(r), 0);
  const windowSec = Math.max(...list.map((r) => r.windowMs)) / 1000;
  const errors: Record<string, number> = {};
  for (const r of list) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
  const per = (n: number) => Math.round(n / Math.max(windowSec, 0.001));
  // Each worker counted over its own settled window: add up the rates.
  const rate = (f: (r: StepResult) => number) => Math.round(list.reduce((a, r) => a + (r.countMs > 0 ? (f(r) * 1000) / r.countMs : 0), 0));
  const e2e = LatencyHistogram.merge([...list.map((r) => r.e2eSame), ...list.map((r) => r.e2eCross)]);
  const rtt = LatencyHistogram.merge([...list.map((r) => r.rttSame), ...list.map((r) => r.rttCross)]);
  return {
    windowSec: Math.round(windowSec * 100) / 100,
    sent: sum((r) => r.sent),
    sentPerSec: per(sum((r) => r.sent)),
    deliveredPerSec: rate((r) => r.pushesInWindow),
    ackedPerSec: rate((r) => r.acksInWindow),
    acks: sum((r) => r.acks),
    pushes: sum((r) => r.pushes),
    throttled: sum((r) => r.throttled),
    lagged: sum((r) => r.lagged),
    unacked: sum((r) => r.unacked),
    errors,
    ackMs: LatencyHistogram.merge(list.map((r) => r.ack)).stats(),
    e2eMs: e2e.stats(),
    e2eSameMs: LatencyHistogram.merge(list.map((r) => r.e2eSame)).stats(),
    e2eCrossMs: LatencyHistogram.merge(list.map((r) => r.e2eCross)).stats(),
    rttMs: rtt.stats(),
    rttSameMs: LatencyHistogram.merge(list.map((r) => r.rttSame)).stats(),
    rttCrossMs: LatencyHistogram.merge(list.map((r) => r.rttCross)).stats(),
    deliveredAcks: sum((r) => r.deliveredAcks),
    pings: sum((r) => r.pings),
    pongs: sum((r) => r.pongs),
    dropped: sum((r) => r.dropped),
    open: sum((r) => r.open),
    generatorCpuPct: Math.round((sum((r) => r.cpuMs) / 1000 / Math.max(windowSec, 0.001)) * 1000) / 10,
  };
}
