// `node scripts/start.mjs` against a private cluster config: a chat server killed with SIGKILL is
// restarted and serves logins again while the gate never stops; one that keeps crashing is given up
// without taking the others down; SIGTERM still stops everything.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { issueToken } from '@parley/common';
import { createTestEnv, freePort, testConfigText, type TestEnv } from '@parley/common/testing';
import { ChatClient } from '@parley/protocol';
import type { ResultSetHeader } from 'mysql2/promise';
import { REPO_ROOT } from '../src/cluster';
import { getJson } from '../src/gate-api';
import { waitFor } from './support/chat-fixtures';

let env: TestEnv;
let dir: string;
let supervisor: ChildProcess;
const output: string[] = [];
const chatPorts = new Map<string, number>();
let gateUrl = '';

function lineMatching(re: RegExp, from = 0): RegExpMatchArray | undefined {
  for (const line of output.slice(from)) {
    const m = re.exec(line);
    if (m) return m;
  }
  return undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function loginOn(server: string): Promise<void> {
  const [res] = await env.pool.query<ResultSetHeader>("INSERT INTO users (name, email, password_hash, nickname) VALUES (CONCAT('sv', UUID_SHORT()), CONCAT(UUID_SHORT(), '@t.local'), 'x', 'sv')");
  const token = await issueToken(env.redis, res.insertId, 600);
  const client = new ChatClient({ defaultTimeoutMs: 5000 });
  try {
    await client.connect('127.0.0.1', chatPorts.get(server)!);
    const welcome = await client.login(res.insertId, token);
    assert.ok(welcome, `${server} answered the login`);
  } finally {
    client.close();
  }
}

before(async () => {
  const chatServers = [];
  for (const id of ['chat1', 'chat2']) {
    const c = { id, tcpPort: await freePort(), grpcPort: await freePort() };
    chatServers.push(c);
    chatPorts.set(id, c.tcpPort);
  }
  const sections = { verify: { port: await freePort() }, status: { port: await freePort() }, gate: { port: await freePort() } };
  gateUrl = `http://127.0.0.1:${sections.gate.port}`;
  env = await createTestEnv({ sections, chatServers });
  dir = mkdtempSync(join(tmpdir(), 'parley-supervisor-'));
  const configFile = join(dir, 'config.ini');
  writeFileSync(configFile, testConfigText({ database: env.database, redisPrefix: env.redisPrefix, sections, chatServers }));
  supervisor = spawn(process.execPath, [join(REPO_ROOT, 'scripts', 'start.mjs')], {
    env: { ...process.env, PARLEY_CONFIG: configFile, PARLEY_RESTART_DELAY_MS: '200', PARLEY_RESTART_MAX_CRASHES: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let partial = '';
  supervisor.stdout!.on('data', (d: Buffer) => {
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop() ?? '';
    output.push(...lines);
    if (process.env.PARLEY_TEST_ECHO) process.stderr.write(lines.map((l) => `[start] ${l}\n`).join(''));
  });
  supervisor.stderr!.on('data', (d: Buffer) => output.push(...d.toString().split('\n')));
  await waitFor(() => lineMatching(/Parley ".*" is up/) ?? lineMatching(/start failed/), 30_000, 'the cluster to be up');
  assert.ok(!lineMatching(/start failed/), output.join('\n'));
});

after(async () => {
  const pids = output.flatMap((l) => [.../\(pid (\d+)/.exec(l)?.slice(1) ?? []]).map(Number);
  if (supervisor.exitCode === null && supervisor.signalCode === null) {
    supervisor.kill('SIGTERM');
    await new Promise((resolve) => supervisor.once('exit', resolve));
  }
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  await env.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test('a chat server killed with SIGKILL comes back and serves logins; the gate never stops; a crash loop is given up; SIGTERM stops all', { timeout: 60_000 }, async () => {
  const pid = (name: string, from = 0) => Number(lineMatching(new RegExp(`${name} (?:starting|restarted) \\(pid (\\d+)`), from)?.[1]);
  const gatePid = pid('gate');
  const chat2Pid = pid('chat2');
  const firstChat1 = pid('chat1');
  assert.ok(gatePid > 0 && chat2Pid > 0 && firstChat1 > 0, output.join('\n'));
  await loginOn('chat1');

  // The gate answers health checks throughout.
  const healthFailures: string[] = [];
  let probing = true;
  const probes = (async () => {
    while (probing) {
      const res = await getJson(gateUrl, '/api/health').catch((err: Error) => ({ status: 0, body: { error: err.message } }));
      if (res.status !== 200) healthFailures.push(`${res.status} ${JSON.stringify(res.body)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();

  const killedAt = Date.now();
  const mark = output.length;
  process.kill(firstChat1, 'SIGKILL');
  const crash = await waitFor(() => lineMatching(/chat1 crashed \(signal SIGKILL after [\d.]+ s up\); restart 1 of at most 1 in 0\.2 s/, mark), 5000, 'the crash report');
  assert.ok(crash);
  await waitFor(() => lineMatching(/chat1 is ready again \(pid \d+, restart 1\)/, mark), 20_000, 'chat1 ready again');
  const secondChat1 = pid('chat1', mark);
  assert.notEqual(secondChat1, firstChat1);
  await loginOn('chat1');
  const recoveredMs = Date.now() - killedAt;

  // A second crash before the run counts as healthy exceeds max crashes 1: given up, the rest keep running.
  const mark2 = output.length;
  process.kill(secondChat1, 'SIGKILL');
  await waitFor(() => lineMatching(/chat1 crashed .* 2 times in a row; giving up on it — the other servers keep running \(.*gate.*\)/, mark2), 5000, 'the give-up message');
  await new Promise((r) => setTimeout(r, 500));
  assert.ok(!lineMatching(/chat1 restarted/, mark2), 'a given-up server is not restarted');
  await loginOn('chat2');
  probing = false;
  await probes;
  assert.deepEqual(healthFailures, [], 'the gate answered every health check');
  assert.ok(alive(gatePid) && alive(chat2Pid), 'gate and chat2 kept their processes');
  assert.ok(recoveredMs < 20_000, `chat1 served a login again ${recoveredMs} ms after the kill`);

  supervisor.kill('SIGTERM');
  const code = await new Promise<number | null>((resolve) => supervisor.once('exit', (c) => resolve(c)));
  assert.equal(code, 0);
  assert.ok(lineMatching(/\[parley\] stopped/), output.join('\n'));
  assert.ok(!alive(gatePid) && !alive(chat2Pid), 'no server outlives the supervisor');
});
