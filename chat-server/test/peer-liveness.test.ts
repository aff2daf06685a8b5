// PeerLiveness (which peers are down) and RouteGuard (routes claimed again when Redis lost them), with the
// real Redis and real gRPC connections; the status-server's side is covered in status-server/test/attachments.test.ts.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Server } from '@grpc/grpc-js';
import { bindServer, createLogger, RedisKeys } from '@parley/common';
import { createTestEnv, freePort, testClusterCredentials, type TestEnv } from '@parley/common/testing';
import { PeerLiveness } from '../src/cluster/peer-liveness';
import { canaryKey, RouteGuard } from '../src/cluster/route-guard';

let env: TestEnv;
let grpc: Server;
let livePort = 0;
const logger = createLogger({ kind: 'test', level: 'silent' });

const record = (id: string, grpcPort: number, down?: boolean) => JSON.stringify({ server: { id, host: '127.0.0.1', tcpPort: 1, grpcPort }, connections: 0, lastReportMs: Date.now(), draining: false, ...(down ? { down } : {}) });

before(async () => {
  env = await createTestEnv();
  // Any gRPC server with the cluster's mTLS answers a probe (it only connects).
  grpc = new Server();
  livePort = await bindServer(grpc, '127.0.0.1', 0, testClusterCredentials());
});

after(async () => {
  grpc.forceShutdown();
  await env.redis.del(RedisKeys.chatServers, canaryKey('chatG'));
  await env.cleanup();
});

function liveness(suspect: (id: string) => Promise<boolean> = () => Promise.resolve(false)): PeerLiveness {
  return new PeerLiveness({ selfId: 'chat1', redis: env.redis, reportIntervalSec: 60, credentials: testClusterCredentials(), configured: [], suspect, logger });
}

test('down and up events count only while attached; losing the attachment forgets every mark', () => {
  const l = liveness();
  l.onChange({ down: 'chat2' });
  assert.equal(l.isDown('chat2'), false, 'not attached: nobody would say when it is back');
  l.onChange({ attached: true });
  l.onChange({ down: 'chat2' });
  l.onChange({ down: 'chat1' });
  assert.equal(l.isDown('chat2'), true);
  assert.equal(l.isDown('chat1'), false, 'never itself');
  l.onChange({ up: 'chat2' });
  assert.equal(l.isDown('chat2'), false);
  l.onChange({ down: 'chat2' });
  l.onChange({ attached: false });
  assert.equal(l.isDown('chat2'), false);
  l.stop();
});

test('a failed call asks the status-server to probe, once per second per peer', async () => {
  const asked: string[] = [];
  const l = liveness(async (id) => {
    asked.push(id);
    return true;
  });
  l.unreachable('chat2');
  assert.deepEqual(asked, [], 'not attached: no suspect reports');
  l.onChange({ attached: true });
  l.unreachable('chat2');
  l.unreachable('chat2');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(asked, ['chat2']);
  assert.equal(l.isDown('chat2'), true, 'the status-server marked it down');
  l.stop();
});

test('the registry: a down record whose server cannot be reached is down; reachable, or not down, it is up', async () => {
  const deadPort = await freePort();
  await env.redis.hset(RedisKeys.chatServers, { chatDead: record('chatDead', deadPort, true), chatBack: record('chatBack', livePort, true), chatOk: record('chatOk', deadPort) });
  const l = liveness();
  l.onChange({ attached: true });
  await l.refresh();
  assert.equal(l.isDown('chatDead'), true);
  assert.equal(l.isDown('chatBack'), false, 'marked down but it answers: it restarted');
  assert.equal(l.isDown('chatOk'), false, 'silence or a failed call alone is not down');
  // It comes back on its port: the next refresh's probe finds it.
  await env.redis.hset(RedisKeys.chatServers, 'chatDead', record('chatDead', livePort, true));
  await l.refresh();
  assert.equal(l.isDown('chatDead'), false);
  l.stop();
});

test('RouteGuard: when the canary is gone, every route is claimed again at once', async () => {
  let reclaims = 0;
  const guard = new RouteGuard({ serverId: 'chatG', redis: env.redis, reclaim: async () => ++reclaims, logger, everyMs: 60_000 });
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(await guard.check(), 0, 'the canary is there');
  assert.equal(reclaims, 0, 'the first check (start-up) claims nothing');
  await env.redis.del(canaryKey('chatG'));
  assert.equal(await guard.check(), 1);
  assert.equal(reclaims, 1);
  assert.equal(await guard.check(), 0, 'once only');
  guard.stop();
});
