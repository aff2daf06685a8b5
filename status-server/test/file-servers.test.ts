// File servers in the status-server: registration, the least-loaded choice named beside the chat server
// in GetChatServer, liveness and pruning, over real gRPC and the real Redis.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  createStatusClient,
  isParleyError,
  RedisKeys,
  unary,
  type FileServerLoad__Output,
  type GetChatServerReply__Output,
  type StatusServiceClient,
} from '@parley/common';
import { createTestEnv, type TestEnv, testClusterCredentials } from '@parley/common/testing';
import { FILE_PENDING_KEY, FileServerRegistry, PENDING_KEY, startStatusServer, type RunningStatusServer } from '../src';

const INTERVAL_SEC = 5;

function fileAddr(id: string) {
  const n = Number(id.replace(/\D/g, '') || 0);
  return { id, host: '127.0.0.1', tcpPort: 9000 + n, wsPort: 9200 + n };
}

describe('file servers in the status-server', () => {
  let env: TestEnv;
  let server: RunningStatusServer;
  let client: StatusServiceClient;
  let clock = Date.now();

  before(async () => {
    env = await createTestEnv({ sections: { status: { report_interval_sec: INTERVAL_SEC } } });
    server = await startStatusServer({ config: env.config, logger: env.logger, id: 'status' }, { now: () => clock });
    client = createStatusClient('127.0.0.1', server.port, testClusterCredentials());
  });
  after(async () => {
    client.close();
    await server.stop();
    await env.cleanup();
  });
  beforeEach(async () => {
    clock = Date.now();
    await env.redis.del(RedisKeys.chatServers, PENDING_KEY, RedisKeys.fileServers, FILE_PENDING_KEY);
    await unary((o, cb) => client.ReportLoad({ server: { id: 'chat1', host: '127.0.0.1', tcpPort: 8001, grpcPort: 8501 }, connections: 0 }, o, cb));
  });

  const reportFile = (id: string, connections: number, draining = false) => unary((o, cb) => client.ReportFileLoad({ server: fileAddr(id), connections, draining }, o, cb));
  const login = (uid: number) => unary<GetChatServerReply__Output>((o, cb) => client.GetChatServer({ uid }, o, cb));
  const list = async () => (await unary<{ servers: FileServerLoad__Output[] }>((o, cb) => client.ListFileServers({}, o, cb))).servers;

  it('names no file server while none is registered; the login still succeeds', async () => {
    const reply = await login(1);
    assert.equal(reply.server?.id, 'chat1');
    assert.equal(reply.fileServer, null);
  });

  it('names the least-loaded file server, counts the login against it, and forgets the count at its next report', async () => {
    assert.deepEqual(await reportFile('file1', 7), { reportIntervalSec: INTERVAL_SEC });
    await reportFile('file2', 3);
    await reportFile('file3', 5);
    const reply = await login(1);
    assert.deepEqual(reply.fileServer, fileAddr('file2'));
    assert.equal(reply.server?.id, 'chat1', 'the chat choice is unchanged');
    assert.deepEqual(Object.fromEntries((await list()).map((s) => [s.server?.id, s.pending])), { file1: 0, file2: 1, file3: 0 });
    // Six more logins fill the lightest servers first: the loads end within one of each other.
    const picks = [];
    for (let uid = 2; uid <= 7; uid++) picks.push((await login(uid)).fileServer?.id);
    const counts: Record<string, number> = Object.fromEntries((await list()).map((s) => [s.server?.id, s.connections + s.pending]));
    assert.ok(Math.max(...Object.values(counts)) - Math.min(...Object.values(counts)) <= 1, `balanced: ${JSON.stringify(counts)} after ${picks.join(',')}`);
    await reportFile('file2', 3);
    assert.equal((await list()).find((s) => s.server?.id === 'file2')?.pending, 0);
  });

  it('never names a draining or silent file server, and names it again once it reports', async () => {
    await reportFile('file1', 0, true);
    await reportFile('file2', 50);
    assert.equal((await login(1)).fileServer?.id, 'file2', 'draining file1 is skipped');
    clock += 3 * INTERVAL_SEC * 1000;
    await unary((o, cb) => client.ReportLoad({ server: { id: 'chat1', host: '127.0.0.1', tcpPort: 8001, grpcPort: 8501 }, connections: 0 }, o, cb));
    assert.equal((await login(2)).fileServer, null, 'both silent for 3 intervals');
    assert.deepEqual((await list()).map((s) => s.healthy), [false, false]);
    await reportFile('file2', 50);
    assert.equal((await login(3)).fileServer?.id, 'file2');
  });

  it('deregisters at once and prunes long-silent servers', async () => {
    await reportFile('file1', 0);
    await reportFile('file2', 0);
    await unary((o, cb) => client.DeregisterFileServer({ id: 'file1' }, o, cb));
    assert.deepEqual((await list()).map((s) => s.server?.id), ['file2']);
    const registry = new FileServerRegistry(env.redis, { reportIntervalSec: INTERVAL_SEC, now: () => clock + 12 * INTERVAL_SEC * 1000 });
    assert.deepEqual(await registry.prune(), ['file2']);
    assert.deepEqual(await list(), []);
    assert.equal(await env.redis.hlen(RedisKeys.chatServers), 1, 'chat servers are not touched');
  });

  it('refuses malformed file reports', async () => {
    for (const server of [{ ...fileAddr('file1'), tcpPort: 0 }, { ...fileAddr('file1'), wsPort: 70000 }, { ...fileAddr('file1'), id: 'bad id' }, { ...fileAddr('file1'), host: '' }, undefined]) {
      await assert.rejects(
        unary((o, cb) => client.ReportFileLoad({ server, connections: 1 }, o, cb)),
        (err: unknown) => isParleyError(err) && err.code === 'VALIDATION_FAILED',
      );
    }
    assert.deepEqual(await list(), []);
  });
});
