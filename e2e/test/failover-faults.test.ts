/**
 * Issue 12's fault runs, each bounded in time, under a steady message load between real client cores
 * (@parley/client: reconnect through the gate, resend with the same clientMsgId, sync) spread over two
 * chat servers: kill -9 of a chat server, Redis restarted empty, MySQL away for a few seconds, the
 * status-server killed and restarted, the verify-server down. After each: every acked message stored
 * under its seq and delivered exactly once, in seq order, without gaps; rows equal acks.
 * The measured windows are printed (`# failover …` lines); bench/src/failover-bench.ts runs them longer.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { MsgId } from '@parley/protocol';
import { ChatLoad } from '../src/chat-load';
import { Cluster } from '../src/cluster';
import { cutMysql, killChatServer, restartRedis, restartStatusServer, verifyServerDown } from '../src/fault-scenarios';
import { PrivateRedis } from '../src/private-redis';
import { TcpProxy } from '../src/tcp-proxy';
import { befriend, createUser, login, routeOf } from './support/chat-fixtures';

let cluster: Cluster;
let load: ChatLoad;
const redis = new PrivateRedis();
const mysql = new TcpProxy({ host: process.env.PARLEY_MYSQL_HOST ?? '127.0.0.1', port: Number(process.env.PARLEY_MYSQL_PORT ?? 3306) });
/** Steady load for this long around each fault, ms. */
const SETTLE_MS = 1500;

before(async () => {
  // Every process of this cluster (and this file's own clients) uses the private Redis and reaches MySQL
  // through the proxy: the children inherit this environment, and PARLEY_* overrides win over config.ini.
  process.env.PARLEY_REDIS_HOST = '127.0.0.1';
  process.env.PARLEY_REDIS_PORT = String(await redis.start());
  process.env.PARLEY_MYSQL_HOST = '127.0.0.1';
  process.env.PARLEY_MYSQL_PORT = String(await mysql.start());
  cluster = await Cluster.start({
    chatServers: 2,
    kinds: ['verify', 'status', 'gate', 'chat'],
    sections: { cluster: { log_level: 'info' }, chat: { commit_interval_ms: 5 }, verify: { resend_interval_sec: 0, hourly_limit_per_ip: 100000 } },
  });
  load = await ChatLoad.start(cluster, { pairs: 3, intervalMs: 100 });
  const servers = new Set((await load.servers()).values());
  assert.deepEqual([...servers].sort(), ['chat1', 'chat2'], 'the clients are spread over both chat servers');
  load.startSending();
});

after(async () => {
  await load?.close();
  await cluster?.stop();
  await mysql.stop();
  await redis.stop();
});

function report(what: string, result: object): void {
  console.log(`# failover ${what}: ${JSON.stringify(result)}`);
}

async function assertNothingLost(): Promise<void> {
  await load.settle(30000);
  assert.deepEqual(await load.violations(), []);
  load.startSending();
}

test('kill -9 of a chat server: its clients chat again within seconds, pushes to them stop failing', async () => {
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const result = await killChatServer(cluster, load, 'chat1', SETTLE_MS);
  report('chat server kill', result);
  // The target is 3 s (docs/status-server.md); a loaded CI box gets room, the real figure is printed.
  assert.ok(result.allChattingMs <= 6000, `every client chatting again after ${result.allChattingMs} ms`);
  assert.ok(result.markedDownMs <= 1000, `the dead server marked down after ${result.markedDownMs} ms`);
  assert.ok(result.pushFailuresMs <= 3000, `pushes to the dead server failed for ${result.pushFailuresMs} ms`);
  await assertNothingLost();
});

test('a user of a killed server who does not come back: offline at once, no pushes to the dead server, the route removed', async () => {
  const [away, friend] = [await createUser(cluster), await createUser(cluster)];
  const conv = await befriend(cluster, away.uid, friend.uid);
  const gone = await login(cluster.chatEndpoint('chat1'), away);
  const watcher = await login(cluster.chatEndpoint('chat2'), friend);
  const online = async () => (await watcher.request(MsgId.FriendListReq, {})).friends.find((f) => f.uid === away.uid)?.online;
  assert.equal(await online(), true);
  // chat2 delivers to chat1 (and remembers the route) before the kill.
  await watcher.sendMessage({ conversationId: conv }, 'before');
  const killAt = Date.now();
  await cluster.stopProcess('chat1', 'SIGKILL');
  gone.destroy();
  // Not after 3 silent report intervals, nor when the route's TTL (85 s) runs out: at once.
  for (const end = Date.now() + 1500; (await online()) !== false; ) {
    assert.ok(Date.now() < end, 'shown offline within 1.5 s');
    await new Promise((r) => setTimeout(r, 20));
  }
  const offlineMs = Date.now() - killAt;
  const sentAt = Date.now();
  const ack = await watcher.sendMessage({ conversationId: conv }, 'after');
  assert.ok(ack.seq > 0, 'the message is stored (the user finds it by sync)');
  for (const end = Date.now() + 2000; (await routeOf(cluster, away.uid)).server !== undefined; ) {
    assert.ok(Date.now() < end, 'the stale route removed within 2 s');
    await new Promise((r) => setTimeout(r, 20));
  }
  const failed = (cluster.processes.get('chat2')?.logs ?? []).filter((e) => e.msg === 'deliver to peer failed' && e.server === 'chat1' && Date.parse(String(e.time)) >= sentAt);
  report('stale route', { offlineMs, routeRemovedMs: Date.now() - killAt, failedDeliversAfterDown: failed.length });
  assert.equal(failed.length, 0, 'nothing was sent to the dead server once it was known down');
  await watcher.close();
  await cluster.startProcess('chat', 'chat1');
});

test('Redis restarted empty: routes come back at once, clients whose token is gone log in again', async () => {
  const result = await restartRedis(cluster, load, redis, SETTLE_MS);
  report('redis restart', result);
  assert.equal(result.tokensAfterRestart, 0, 'the tokens were gone');
  assert.ok(result.routesBackMs <= 2000, `routes back after ${result.routesBackMs} ms`);
  await assertNothingLost();
});

test('MySQL away for 4 s: sends wait (retryable), nothing is acked that is not stored, all recovers', async () => {
  const result = await cutMysql(load, mysql, 4000, SETTLE_MS);
  report('mysql outage', result);
  assert.ok(result.allChattingMs <= 6000, `every client chatting again ${result.allChattingMs} ms after MySQL was back`);
  await assertNothingLost();
});

test('status-server killed and restarted: chat servers register again, logins resume at once', async () => {
  const account = await load.spareAccount();
  const result = await restartStatusServer(cluster, account, 3500);
  report('status-server restart', result);
  assert.ok(result.refusedWhileDown > 0, 'logins were refused while it was down');
  assert.ok(result.loginAfterUpMs <= 2000, `first login ${result.loginAfterUpMs} ms after it was up`);
  await assertNothingLost();
});

test('verify-server down: the gate answers 503 UNAVAILABLE, and recovers', async () => {
  let n = 0;
  const result = await verifyServerDown(cluster, () => `fault${process.pid}x${++n}@mail.example.test`);
  report('verify-server down', result);
  assert.equal(result.status, 503);
  assert.equal(result.code, 'UNAVAILABLE');
  assert.ok(result.recoveredMs <= 2000, `code requests work ${result.recoveredMs} ms after it is up`);
});
