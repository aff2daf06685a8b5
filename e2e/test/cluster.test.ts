import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createRedis, createStatusClient, deleteByPrefix, loadConfig, unary, type ListChatServersReply__Output } from '@parley/common';
import { canConnect, dropDatabase, freePort, testConfigText, TEST_DB_PREFIX, uniqueSuffix, testClusterCredentials } from '@parley/common/testing';
import { Cluster, REPO_ROOT } from '../src';

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 10000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('cluster harness', () => {
  it('starts gate, verify, status and two chat servers healthy, and stops them all', async () => {
    const cluster = await Cluster.start({ chatServers: 2 });
    const pids = [...cluster.processes.values()].map((p) => p.child.pid as number);
    try {
      assert.deepEqual([...cluster.processes.keys()].sort(), ['chat1', 'chat2', 'gate', 'status', 'verify']);
      const health = await fetch(`${cluster.gateUrl}/api/health`);
      assert.equal(health.status, 200);
      const status = createStatusClient(cluster.status.host, cluster.status.port, testClusterCredentials());
      await waitUntil('both chat servers to report', async () => {
        const reply = await unary<ListChatServersReply__Output>((o, cb) => status.ListChatServers({}, o, cb));
        return reply.servers.filter((s) => s.healthy).length === 2;
      });
      const listed = await unary<ListChatServersReply__Output>((o, cb) => status.ListChatServers({}, o, cb));
      status.close();
      for (const c of cluster.chat) assert.ok(await canConnect(c.host, c.tcpPort), `${c.id} accepts TCP`);
      for (const c of cluster.chat) assert.ok(await canConnect(c.host, c.wsPort), `${c.id} accepts connections on its WebSocket port`);
      assert.deepEqual(listed.servers.map((s) => [s.server?.id, s.server?.wsPort]).sort(), cluster.chat.map((c) => [c.id, c.wsPort]).sort(), 'the status-server knows the ws ports');
    } finally {
      await cluster.stop();
    }
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), `process ${pid} is gone`);
  });
});

describe('npm start', () => {
  it('brings up six processes within 20 s and stops cleanly on Ctrl-C (SIGINT)', async () => {
    const suffix = uniqueSuffix();
    const database = `${TEST_DB_PREFIX}${suffix}`;
    const redisPrefix = `parley-test:${suffix}:`;
    const chatServers = [
      { id: 'chat1', tcpPort: await freePort(), grpcPort: await freePort() },
      { id: 'chat2', tcpPort: await freePort(), grpcPort: await freePort() },
    ];
    const fileServers = [{ id: 'file1', tcpPort: await freePort() }];
    const ports = { gate: await freePort(), verify: await freePort(), status: await freePort() };
    const dir = mkdtempSync(join(tmpdir(), 'parley-start-'));
    const text = testConfigText({
      database,
      redisPrefix,
      chatServers,
      fileServers,
      sections: { cluster: { log_level: 'info' }, gate: { port: ports.gate }, verify: { port: ports.verify }, status: { port: ports.status }, file: { storage_dir: join(dir, 'files') } },
    });
    const file = join(dir, 'config.ini');
    writeFileSync(file, text);
    const config = loadConfig({ text, file: 'start-test.ini' });
    const started = Date.now();
    const child = spawn(process.execPath, [join(REPO_ROOT, 'scripts', 'start.mjs')], { env: { ...process.env, PARLEY_CONFIG: file }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitUntil('the start banner', async () => out.includes('is up'), 20000);
      assert.ok(Date.now() - started < 20000);
      assert.match(out, /6 processes/);
      for (const name of ['[verify]', '[status]', '[gate]', '[chat1]', '[chat2]', '[file1]']) assert.ok(out.includes(name), `merged log has ${name} lines`);
      assert.ok(out.includes(`http://127.0.0.1:${ports.gate}/api`), 'banner names the gate URL');
      assert.equal((await fetch(`http://127.0.0.1:${ports.gate}/api/health`)).status, 200);
      child.kill('SIGINT');
      assert.equal(await exited, 0, out.slice(-2000));
      assert.match(out, /stopped/);
      for (const p of [ports.gate, ports.verify, ports.status, ...chatServers.map((c) => c.tcpPort), ...fileServers.map((f) => f.tcpPort)]) {
        assert.equal(await canConnect('127.0.0.1', p), false, `port ${p} closed after stop`);
      }
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await dropDatabase(config.mysql, database);
      const redis = createRedis(config.redis);
      await deleteByPrefix(redis, redisPrefix);
      redis.disconnect();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
