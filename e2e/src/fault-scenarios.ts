/**
 * The fault scenarios of the failover tests and bench (issue 12), each under a ChatLoad: they break one
 * part of a running Cluster, measure how long the system takes to recover, and put it back. The callers
 * assert (tests) or report (bench) the measurements; the final check is ChatLoad.violations().
 */
import { RedisKeys } from '@parley/common';
import type { ChatLoad } from './chat-load';
import type { Cluster } from './cluster';
import { postJson } from './gate-api';
import type { PrivateRedis } from './private-redis';
import type { TcpProxy } from './tcp-proxy';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs: number, what: string, everyMs = 20): Promise<T> {
  for (const end = Date.now() + timeoutMs; ; ) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export interface ChatKillResult {
  victim: string;
  /** Clients whose session was on the killed server. */
  affected: number;
  /** Kill → the last of them has an ack again (every client chatting again), ms. */
  allChattingMs: number;
  perClientMs: number[];
  /** Kill → the status registry marks the server down (the gate stops offering it), ms. */
  markedDownMs: number;
  /** Kill → the survivor's last failed Deliver to the dead server (0: none failed), ms. */
  pushFailuresMs: number;
  failedDelivers: number;
}

/** kill -9 of one chat server under load; waits for every client to chat again, then restarts it. */
export async function killChatServer(cluster: Cluster, load: ChatLoad, victim: string, settleMs: number): Promise<ChatKillResult> {
  const routes = await load.servers();
  const affected = load.clients.filter((c) => routes.get(c.uid) === victim);
  if (affected.length === 0) throw new Error(`no client is on ${victim}`);
  const survivors = cluster.chat.map((c) => c.id).filter((id) => id !== victim);
  const killAt = Date.now();
  await cluster.stopProcess(victim, 'SIGKILL');
  const markedDownMs = await until(async () => {
    const raw = await cluster.env.redis.hget(RedisKeys.chatServers, victim);
    return raw === null || (JSON.parse(raw) as { down?: boolean }).down ? Date.now() - killAt : undefined;
  }, 20000, `${victim} marked down`);
  const perClientMs = await until(() => {
    const times = load.recoveredAfter(affected, killAt);
    return times.every((t) => t !== undefined) ? (times as number[]) : undefined;
  }, 30000, 'every client of the killed server chatting again', 50);
  await sleep(settleMs);
  let last = 0;
  let failedDelivers = 0;
  for (const id of survivors) {
    for (const entry of cluster.processes.get(id)?.logs ?? []) {
      const at = Date.parse(String(entry.time));
      if (entry.msg === 'deliver to peer failed' && entry.server === victim && at >= killAt) {
        failedDelivers++;
        last = Math.max(last, at - killAt);
      }
    }
  }
  await cluster.startProcess('chat', victim);
  return { victim, affected: affected.length, allChattingMs: Math.max(...perClientMs), perClientMs, markedDownMs, pushFailuresMs: last, failedDelivers };
}

export interface RedisRestartResult {
  /** Login tokens of the load's users left right after the restart: 0 (routes are back too fast to see them gone). */
  tokensAfterRestart: number;
  /** Redis up again → every client still connected has its route back, ms. */
  routesBackMs: number;
  /** Clients that had to log in again (their session ended with a refused token). */
  relogins: number;
}

/** Redis killed and started again empty on the same port, under load. */
export async function restartRedis(cluster: Cluster, load: ChatLoad, redis: PrivateRedis, settleMs: number): Promise<RedisRestartResult> {
  await redis.kill();
  await redis.start();
  const upAt = Date.now();
  const tokensAfterRestart = await cluster.env.redis.exists(...load.clients.map((c) => RedisKeys.token(c.uid)));
  const online = load.clients.filter((c) => c.client.connectionStatus().state === 'online');
  const routesBackMs = await until(async () => {
    const missing = await Promise.all(online.map(async (c) => (await cluster.env.redis.exists(RedisKeys.route(c.uid))) === 0));
    return missing.some(Boolean) ? undefined : Date.now() - upAt;
  }, 20000, 'routes back');
  await sleep(settleMs);
  return { tokensAfterRestart, routesBackMs, relogins: load.relogins };
}

export interface MysqlOutageResult {
  outageMs: number;
  /** Acks that arrived while MySQL was away (beyond the first 200 ms: commits already under way). */
  acksDuringOutage: number;
  /** MySQL back → every client has an ack again, ms. */
  allChattingMs: number;
}

/** MySQL taken away (every connection reset and refused) for `outageMs`, under load. */
export async function cutMysql(load: ChatLoad, proxy: TcpProxy, outageMs: number, settleMs: number): Promise<MysqlOutageResult> {
  const cutAt = Date.now();
  proxy.cut();
  await sleep(outageMs);
  proxy.restore();
  const backAt = Date.now();
  let acksDuringOutage = 0;
  for (const c of load.clients) for (const { atMs } of c.acked.values()) if (atMs > cutAt + 200 && atMs < backAt) acksDuringOutage++;
  const times = await until(() => {
    const t = load.recoveredAfter(load.clients, backAt);
    return t.every((x) => x !== undefined) ? (t as number[]) : undefined;
  }, 30000, 'every client chatting after MySQL is back', 50);
  await sleep(settleMs);
  return { outageMs, acksDuringOutage, allChattingMs: Math.max(...times) };
}

export interface StatusRestartResult {
  downMs: number;
  /** The new status-server's ready line → the first login answered 200, ms. */
  loginAfterUpMs: number;
  /** Logins refused while it was down (503). */
  refusedWhileDown: number;
}

/** status-server killed, left down for `downMs` (past its liveness window), started again; a login is tried every 50 ms. */
export async function restartStatusServer(cluster: Cluster, account: { name: string; password: string }, downMs: number): Promise<StatusRestartResult> {
  await cluster.stopProcess('status', 'SIGKILL');
  let refusedWhileDown = 0;
  const login = () => postJson(cluster.gateUrl, '/api/login', { account: account.name, password: account.password });
  const downUntil = Date.now() + downMs;
  while (Date.now() < downUntil) {
    if ((await login()).status === 503) refusedWhileDown++;
    await sleep(200);
  }
  const starting = cluster.startProcess('status');
  let upAt = 0;
  void starting.then(() => (upAt = Date.now()));
  const okAt = await until(async () => ((await login()).status === 200 ? Date.now() : undefined), 20000, 'a login after the restart', 50);
  await starting;
  return { downMs, loginAfterUpMs: Math.max(0, okAt - upAt), refusedWhileDown };
}

export interface VerifyDownResult {
  /** The gate's answer while the verify-server is down. */
  status: number;
  code: string;
  /** verify-server ready again → a code request answered 200, ms. */
  recoveredMs: number;
}

/** verify-server killed: a code request is answered 503 UNAVAILABLE; then it is started again. */
export async function verifyServerDown(cluster: Cluster, email: () => string): Promise<VerifyDownResult> {
  await cluster.stopProcess('verify', 'SIGKILL');
  const down = await postJson<{ error?: { code?: string } }>(cluster.gateUrl, '/api/verify-code', { email: email(), purpose: 'register' });
  await cluster.startProcess('verify');
  const upAt = Date.now();
  const okAt = await until(async () => ((await postJson(cluster.gateUrl, '/api/verify-code', { email: email(), purpose: 'register' })).status === 200 ? Date.now() : undefined), 20000, 'a code request after the restart', 50);
  return { status: down.status, code: String(down.body.error?.code), recoveredMs: okAt - upAt };
}
