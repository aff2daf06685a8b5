import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canConnect, freePort } from '@parley/common/testing';

/**
 * A redis-server of a test's own (no persistence), so the test may kill and restart it: a restart
 * comes back empty on the same port, as a Redis that lost its data would.
 */
export class PrivateRedis {
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'parley-fault-redis-'));
  port = 0;

  async start(): Promise<number> {
    this.port ||= await freePort();
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir], { stdio: 'ignore' });
    this.child = child;
    for (const end = Date.now() + 10000; !(await canConnect('127.0.0.1', this.port, 200)); ) {
      if (child.exitCode !== null || Date.now() > end) throw new Error(`private redis-server did not start on ${this.port}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.port;
  }

  /** kill -9: every key is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
