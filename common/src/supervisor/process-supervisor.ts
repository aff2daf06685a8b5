import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { RestartPolicy, type RestartPolicyOptions } from './restart-policy';

/** One server the supervisor runs: a node entry script and its arguments. */
export interface SupervisedServer {
  name: string;
  entry: string;
  args?: string[];
}

export interface ProcessSupervisorOptions {
  env?: NodeJS.ProcessEnv;
  /** Extra node flags placed before the entry script. */
  nodeArgs?: string[];
  restart?: Partial<RestartPolicyOptions>;
  /** How long a (re)started server may take to log its ready line. Default 20 s. */
  readyTimeoutMs?: number;
  /** How long a server may take to stop after SIGTERM before SIGKILL. Default 10 s. */
  stopTimeoutMs?: number;
  /** The supervisor's own messages (start, crash, restart, give-up), one plain sentence each. */
  say: (text: string) => void;
  /** Every stdout line of a server. */
  onLine?: (name: string, line: string) => void;
  /** Every stderr line of a server. */
  onStderr?: (name: string, line: string) => void;
}

interface Slot {
  server: SupervisedServer;
  policy: RestartPolicy;
  child?: ChildProcess;
  startedAt: number;
  restartTimer?: NodeJS.Timeout;
  gaveUp: boolean;
  restarts: number;
}

const READY = '"event":"ready"';

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `exit code ${code}`;
}

/**
 * Runs servers as child processes and keeps them running: a server that exits by itself is started
 * again after an exponential backoff (RestartPolicy) while the others keep serving, and one that keeps
 * crashing is given up with a plain message. `stop()` stops everything in the order given.
 */
export class ProcessSupervisor {
  private readonly slots = new Map<string, Slot>();
  private stopping = false;
  private readonly readyTimeoutMs: number;
  private readonly stopTimeoutMs: number;

  constructor(private readonly options: ProcessSupervisorOptions) {
    this.readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
    this.stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
    new RestartPolicy(options.restart); // validates the options now, not at the first crash
  }

  /** Names of the servers whose process is running now. */
  running(): string[] {
    return [...this.slots.values()].filter((s) => s.child && s.child.exitCode === null && s.child.signalCode === null).map((s) => s.server.name);
  }

  /** Names of the servers the supervisor stopped restarting. */
  givenUp(): string[] {
    return [...this.slots.values()].filter((s) => s.gaveUp).map((s) => s.server.name);
  }

  /**
   * Starts a server and resolves once it logs ready. A first start that fails rejects (the caller
   * decides whether the cluster can come up without it); later crashes are the restart policy's.
   */
  start(server: SupervisedServer): Promise<void> {
    if (this.slots.has(server.name)) throw new Error(`${server.name} is already supervised`);
    const slot: Slot = { server, policy: new RestartPolicy(this.options.restart), startedAt: 0, gaveUp: false, restarts: 0 };
    this.slots.set(server.name, slot);
    return this.launch(slot, true);
  }

  private launch(slot: Slot, first: boolean): Promise<void> {
    const { name, entry, args = [] } = slot.server;
    // Own process group: a terminal's Ctrl-C reaches only the supervisor, which then stops servers in order.
    const child = spawn(process.execPath, [...(this.options.nodeArgs ?? []), entry, ...args], {
      env: this.options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    slot.child = child;
    slot.startedAt = Date.now();
    if (!first) this.options.say(`${name} restarted (pid ${child.pid}, restart ${slot.restarts})`);
    else this.options.say(`${name} starting (pid ${child.pid})`);
    createInterface({ input: child.stderr! }).on('line', (line) => this.options.onStderr?.(name, line));
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      const timer = setTimeout(() => {
        const message = `${name} was not ready within ${this.readyTimeoutMs / 1000} s`;
        if (first) reject(new Error(message));
        else this.options.say(`${message}; killing it`);
        child.kill('SIGKILL');
      }, this.readyTimeoutMs);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        this.options.onLine?.(name, line);
        if (!ready && line.includes(READY)) {
          ready = true;
          clearTimeout(timer);
          if (!first) this.options.say(`${name} is ready again (pid ${child.pid}, restart ${slot.restarts})`);
          resolve();
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (slot.child === child) slot.child = undefined;
        if (first && !ready) {
          reject(new Error(`${name} exited (${describeExit(code, signal)}) before it was ready`));
          return;
        }
        if (!ready) resolve(); // a restart that failed: the crash below decides what comes next
        if (!this.stopping) this.onCrash(slot, code, signal);
      });
    });
  }

  private onCrash(slot: Slot, code: number | null, signal: NodeJS.Signals | null): void {
    const uptimeMs = Date.now() - slot.startedAt;
    const decision = slot.policy.onCrash(uptimeMs);
    const name = slot.server.name;
    const how = `${describeExit(code, signal)} after ${(uptimeMs / 1000).toFixed(1)} s up`;
    if (decision.action === 'give-up') {
      slot.gaveUp = true;
      const left = this.running();
      this.options.say(
        `${name} crashed (${how}) ${decision.crashes} times in a row; giving up on it — the other servers keep running (${left.length ? left.join(', ') : 'none'}). Fix the cause and restart Parley.`,
      );
      return;
    }
    slot.restarts++;
    const backoff = decision.reset ? ' (it had run long enough: backoff reset)' : '';
    this.options.say(`${name} crashed (${how}); restart ${decision.attempt} of at most ${slot.policy.options.maxCrashes} in ${(decision.delayMs / 1000).toFixed(1)} s${backoff}; the other servers keep running`);
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      if (!this.stopping) void this.launch(slot, false);
    }, decision.delayMs);
  }

  /** Stops every server, group by group (SIGTERM, SIGKILL after stopTimeoutMs); names not listed go last. */
  async stop(order: string[][] = []): Promise<void> {
    this.stopping = true;
    for (const slot of this.slots.values()) clearTimeout(slot.restartTimer);
    const listed = new Set(order.flat());
    const rest = [...this.slots.keys()].filter((n) => !listed.has(n));
    for (const group of [...order, rest]) {
      await Promise.all(group.map((name) => this.stopOne(name)));
    }
  }

  private stopOne(name: string): Promise<void> {
    const child = this.slots.get(name)?.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const hard = setTimeout(() => child.kill('SIGKILL'), this.stopTimeoutMs);
      child.once('exit', () => {
        clearTimeout(hard);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  /** Last resort on the supervisor's own exit: no server outlives it. */
  killAll(): void {
    for (const slot of this.slots.values()) slot.child?.kill('SIGKILL');
  }
}
