// dist/src/main.js as a real process: ready line with the bound port, serving, graceful stop on SIGTERM.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { createStatusClient, unary, type ListChatServersReply__Output } from '@parley/common';
import { createTestEnv, testConfigText, type TestEnv, testClusterCredentials } from '@parley/common/testing';

const MAIN = join(__dirname, '..', 'src', 'main.js');

describe('status-server main', () => {
  let env: TestEnv;
  let dir: string;
  before(async () => {
    env = await createTestEnv();
    dir = mkdtempSync(join(tmpdir(), 'parley-status-main-'));
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await env.cleanup();
  });

  it('logs ready with its port, serves, and stops cleanly on SIGTERM', async () => {
    const configFile = join(dir, 'config.ini');
    writeFileSync(configFile, testConfigText({ database: env.database, redisPrefix: env.redisPrefix, sections: { cluster: { log_level: 'info' } } }));
    const child = spawn(process.execPath, [MAIN], { env: { ...process.env, PARLEY_CONFIG: configFile }, stdio: ['ignore', 'pipe', 'pipe'] });
    const events: Record<string, unknown>[] = [];
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no ready line within 15 s')), 15000);
        createInterface({ input: child.stdout }).on('line', (line) => {
          let entry: Record<string, unknown>;
          try {
            entry = JSON.parse(line) as Record<string, unknown>;
          } catch {
            return;
          }
          events.push(entry);
          if (entry.event === 'ready') {
            clearTimeout(timer);
            resolve(entry);
          }
        });
        void exited.then((code) => reject(new Error(`exited early with ${code}`)));
      });
      assert.equal(ready.kind, 'status');
      assert.equal(typeof ready.port, 'number');
      const client = createStatusClient('127.0.0.1', ready.port as number, testClusterCredentials());
      const reply = await unary<ListChatServersReply__Output>((o, cb) => client.ListChatServers({}, o, cb));
      assert.deepEqual(reply.servers, []);
      client.close();
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      assert.ok(events.some((e) => e.event === 'stopped'), 'logs stopped');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
