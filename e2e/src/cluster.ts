import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createTestEnv, freePort, testConfigText, type TestEnv } from '@parley/common/testing';
import { SmtpSink } from '@parley/common/testing/smtp-sink';

export const REPO_ROOT = join(__dirname, '..', '..', '..');

export type ServerKind = 'verify' | 'status' | 'gate' | 'chat' | 'file';

export interface ClusterOptions {
  /** How many chat servers (chat1, chat2, …). Default 2. */
  chatServers?: number;
  /** How many file servers (file1, file2, …), sharing one storage directory. Default 0. */
  fileServers?: number;
  /** Which kinds to run. Default all of them. */
  kinds?: ServerKind[];
  /** Per-section ini overrides, e.g. { verify: { max_attempts: 3 } }. */
  sections?: Record<string, Record<string, string | number | boolean>>;
  /** Milliseconds to wait for each process's ready line. */
  readyTimeoutMs?: number;
}

export interface ClusterProcess {
  name: string;
  kind: ServerKind;
  child: ChildProcess;
  /** Parsed JSON log lines (most recent 500). */
  logs: Record<string, unknown>[];
  ready: Record<string, unknown>;
}

export interface ChatEndpoint {
  id: string;
  host: string;
  tcpPort: number;
  grpcPort: number;
  /** WebSocket port (one TLV frame per binary message). */
  wsPort: number;
}

export interface FileServerEndpoint {
  id: string;
  host: string;
  tcpPort: number;
  /** WebSocket port (one TLV frame per binary message). */
  wsPort: number;
}

const ENTRY: Record<ServerKind, string> = {
  verify: join(REPO_ROOT, 'verify-server', 'dist', 'src', 'main.js'),
  status: join(REPO_ROOT, 'status-server', 'dist', 'src', 'main.js'),
  gate: join(REPO_ROOT, 'gate-server', 'dist', 'src', 'main.js'),
  chat: join(REPO_ROOT, 'chat-server', 'dist', 'src', 'main.js'),
  file: join(REPO_ROOT, 'file-server', 'dist', 'src', 'main.js'),
};

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/**
 * A real Parley cluster for end-to-end tests: its own database and Redis prefix, an SMTP sink, and
 * verify, status, gate, chat and file servers as child processes on free loopback ports. `stop()` leaves
 * nothing behind, and a process exit kills any child still running.
 */
export class Cluster {
  readonly processes = new Map<string, ClusterProcess>();
  readonly chat: ChatEndpoint[] = [];
  readonly file: FileServerEndpoint[] = [];
  gateUrl = '';
  verify = { host: '127.0.0.1', port: 0 };
  status = { host: '127.0.0.1', port: 0 };
  readonly configFile: string;
  /** The file servers' shared storage directory (file.storage_dir), removed by stop(). */
  readonly storageDir: string;

  private constructor(
    readonly env: TestEnv,
    readonly smtp: SmtpSink,
    private readonly dir: string,
    private readonly readyTimeoutMs: number,
  ) {
    this.configFile = join(dir, 'config.ini');
    this.storageDir = env.config.file.storageDir;
  }

  static async start(options: ClusterOptions = {}): Promise<Cluster> {
    const smtp = new SmtpSink();
    const smtpPort = await smtp.start();
    const chatCount = options.chatServers ?? 2;
    const chatServers = [];
    for (let i = 1; i <= chatCount; i++) chatServers.push({ id: `chat${i}`, tcpPort: await freePort(), grpcPort: await freePort(), wsPort: await freePort() });
    const fileServers = [];
    for (let i = 1; i <= (options.fileServers ?? 0); i++) fileServers.push({ id: `file${i}`, tcpPort: await freePort(), wsPort: await freePort() });
    const ports = { verify: await freePort(), status: await freePort(), gate: await freePort() };
    const dir = mkdtempSync(join(tmpdir(), 'parley-cluster-'));
    const sections = {
      ...options.sections,
      file: { storage_dir: join(dir, 'files'), ...options.sections?.file },
      smtp: { host: '127.0.0.1', port: smtpPort, secure: false, ...options.sections?.smtp },
      verify: { port: ports.verify, ...options.sections?.verify },
      status: { port: ports.status, ...options.sections?.status },
      gate: { port: ports.gate, ...options.sections?.gate },
    };
    const env = await createTestEnv({ sections, chatServers, fileServers });
    const cluster = new Cluster(env, smtp, dir, options.readyTimeoutMs ?? 20000);
    writeFileSync(cluster.configFile, testConfigText({ database: env.database, redisPrefix: env.redisPrefix, sections, chatServers, fileServers }));
    cluster.verify = { host: '127.0.0.1', port: ports.verify };
    cluster.status = { host: '127.0.0.1', port: ports.status };
    cluster.gateUrl = `http://127.0.0.1:${ports.gate}`;
    cluster.chat.push(...chatServers.map((c) => ({ id: c.id, host: '127.0.0.1', tcpPort: c.tcpPort, grpcPort: c.grpcPort, wsPort: c.wsPort })));
    cluster.file.push(...fileServers.map((f) => ({ id: f.id, host: '127.0.0.1', tcpPort: f.tcpPort, wsPort: f.wsPort })));
    const kinds = options.kinds ?? ['verify', 'status', 'gate', 'chat', 'file'];
    try {
      const first: Promise<unknown>[] = [];
      if (kinds.includes('verify')) first.push(cluster.startProcess('verify'));
      if (kinds.includes('status')) first.push(cluster.startProcess('status'));
      await Promise.all(first);
      const second: Promise<unknown>[] = [];
      if (kinds.includes('chat')) for (const c of chatServers) second.push(cluster.startProcess('chat', c.id));
      if (kinds.includes('file')) for (const f of fileServers) second.push(cluster.startProcess('file', f.id));
      if (kinds.includes('gate')) second.push(cluster.startProcess('gate'));
      await Promise.all(second);
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** Starts (or restarts) one server process and waits for its ready line. */
  startProcess(kind: ServerKind, id: string = kind): Promise<ClusterProcess> {
    const args = [ENTRY[kind], ...(kind === 'chat' || kind === 'file' ? ['--id', id] : [])];
    const child = spawn(process.execPath, args, {
      env: { ...process.env, PARLEY_CONFIG: this.configFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(child);
    const proc: ClusterProcess = { name: id, kind, child, logs: [], ready: {} };
    this.processes.set(id, proc);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
      if (process.env.PARLEY_TEST_ECHO) process.stderr.write(`[${id}!] ${d.toString()}`);
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${id} not ready within ${this.readyTimeoutMs} ms; stderr: ${stderr}`)), this.readyTimeoutMs);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (process.env.PARLEY_TEST_ECHO) process.stderr.write(`[${id}] ${line}\n`);
        let entry: Record<string, unknown>;
        try {
          entry = JSON.parse(line) as Record<string, unknown>;
        } catch {
          entry = { msg: line };
        }
        proc.logs.push(entry);
        if (proc.logs.length > 500) proc.logs.shift();
        if (entry.event === 'ready') {
          clearTimeout(timer);
          proc.ready = entry;
          resolve(proc);
        }
      });
      child.once('exit', (code, signal) => {
        live.delete(child);
        clearTimeout(timer);
        // A server that fails at start logs why as JSON on stdout, not stderr: name it in the error.
        const why = proc.logs.filter((l) => typeof l.level === 'number' && l.level >= 50).slice(-3).map((l) => JSON.stringify(l).slice(0, 1000));
        reject(new Error(`${id} exited (code ${code}, signal ${signal}) before it was ready; stderr: ${stderr}; errors logged: ${why.join(' | ') || 'none'}`));
      });
    });
  }

  /** Sends a signal and waits for the exit; resolves the exit code (null when killed). */
  async stopProcess(name: string, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10000): Promise<number | null> {
    const proc = this.processes.get(name);
    if (!proc || proc.child.exitCode !== null || proc.child.signalCode !== null) return proc?.child.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) => proc.child.once('exit', (code) => resolve(code)));
    proc.child.kill(signal);
    const timer = setTimeout(() => proc.child.kill('SIGKILL'), timeoutMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  }

  chatEndpoint(id: string): ChatEndpoint {
    const c = this.chat.find((x) => x.id === id);
    if (!c) throw new Error(`no chat server ${id}`);
    return c;
  }

  fileEndpoint(id: string): FileServerEndpoint {
    const f = this.file.find((x) => x.id === id);
    if (!f) throw new Error(`no file server ${id}`);
    return f;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.processes.keys()].map((name) => this.stopProcess(name)));
    await this.smtp.stop();
    await this.env.cleanup();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
