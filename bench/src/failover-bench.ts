/**
 * Failover benchmark (not a test): `node bench/dist/src/failover-bench.js [--pairs 10] [--interval 50]
 * [--rounds 2] [--settle 3000] [--mysql-outage 5000] [--status-down 5000]`.
 *
 * The fault runs of e2e/test/failover-faults.test.ts, longer and repeated, under a steady load of real
 * client cores (@parley/client over TCP: 2 × pairs clients, each sending to its partner every
 * `interval` ms) spread over two chat servers: per round a kill -9 of a chat server (chat1, then chat2,
 * …), Redis restarted empty, MySQL cut, the status-server killed and restarted and the verify-server
 * killed; after each, the final check (every ack stored under its seq, delivered exactly once in seq
 * order, rows = acks). Redis is a private redis-server and MySQL is reached through a TCP proxy, so the
 * machine's own are never disturbed.
 * Results: bench/results/failover-<date>.json and .md (the measured windows, per run and worst).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChatLoad, Cluster, cutMysql, killChatServer, PrivateRedis, REPO_ROOT, restartRedis, restartStatusServer, TcpProxy, verifyServerDown } from '@parley/e2e';
import { num } from './bench-args';

const PAIRS = num('pairs', 10);
const INTERVAL_MS = num('interval', 50);
const ROUNDS = num('rounds', 2);
const SETTLE_MS = num('settle', 3000);
const MYSQL_OUTAGE_MS = num('mysql-outage', 5000);
const STATUS_DOWN_MS = num('status-down', 5000);

interface Row {
  round: number;
  fault: string;
  /** The window that matters for this fault, ms. */
  windowMs: number;
  what: string;
  detail: object;
  violations: number;
}

async function main(): Promise<void> {
  const redis = new PrivateRedis();
  const mysql = new TcpProxy({ host: process.env.PARLEY_MYSQL_HOST ?? '127.0.0.1', port: Number(process.env.PARLEY_MYSQL_PORT ?? 3306) });
  process.env.PARLEY_REDIS_HOST = '127.0.0.1';
  process.env.PARLEY_REDIS_PORT = String(await redis.start());
  process.env.PARLEY_MYSQL_HOST = '127.0.0.1';
  process.env.PARLEY_MYSQL_PORT = String(await mysql.start());
  const cluster = await Cluster.start({
    chatServers: 2,
    kinds: ['verify', 'status', 'gate', 'chat'],
    sections: { cluster: { log_level: 'info' }, verify: { resend_interval_sec: 0, hourly_limit_per_ip: 1_000_000 } },
  });
  const rows: Row[] = [];
  const started = Date.now();
  let load: ChatLoad | undefined;
  try {
    load = await ChatLoad.start(cluster, { pairs: PAIRS, intervalMs: INTERVAL_MS });
    const running = load;
    const account = await load.spareAccount();
    load.startSending();
    let n = 0;
    const check = async (round: number, fault: string, windowMs: number, what: string, detail: object): Promise<void> => {
      await running.settle(60000);
      const violations = await running.violations();
      if (violations.length > 0) console.error(`${fault}: ${violations.slice(0, 10).join('; ')}`);
      rows.push({ round, fault, windowMs, what, detail, violations: violations.length });
      console.log(`round ${round} ${fault}: ${what} ${windowMs} ms ${JSON.stringify(detail)}`);
      running.startSending();
    };
    for (let round = 1; round <= ROUNDS; round++) {
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      const victim = cluster.chat[(round - 1) % cluster.chat.length]?.id ?? 'chat1';
      const kill = await killChatServer(cluster, running, victim, SETTLE_MS);
      await check(round, `kill -9 ${victim}`, kill.allChattingMs, 'every client chatting again after', kill);
      const r = await restartRedis(cluster, running, redis, SETTLE_MS);
      await check(round, 'redis restarted empty', r.routesBackMs, 'routes back after', r);
      const m = await cutMysql(running, mysql, MYSQL_OUTAGE_MS, SETTLE_MS);
      await check(round, `mysql cut ${MYSQL_OUTAGE_MS} ms`, m.allChattingMs, 'every client chatting again after it is back', m);
      const s = await restartStatusServer(cluster, account, STATUS_DOWN_MS);
      await check(round, `status-server down ${STATUS_DOWN_MS} ms`, s.loginAfterUpMs, 'first login after it is up', s);
      const v = await verifyServerDown(cluster, () => `bench${process.pid}x${++n}@mail.example.test`);
      await check(round, 'verify-server down', v.recoveredMs, `answered ${v.status} ${v.code}; code requests again after`, v);
    }
  } finally {
    await load?.close();
    await cluster.stop();
    await mysql.stop();
    await redis.stop();
  }
  write(rows, Date.now() - started);
}

function write(rows: Row[], elapsedMs: number): void {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const dir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const params = { pairs: PAIRS, intervalMs: INTERVAL_MS, rounds: ROUNDS, settleMs: SETTLE_MS, mysqlOutageMs: MYSQL_OUTAGE_MS, statusDownMs: STATUS_DOWN_MS, elapsedMs };
  writeFileSync(join(dir, `failover-${stamp}.json`), JSON.stringify({ params, rows }, null, 2));
  const md = [
    `# Failover bench ${stamp}`,
    '',
    `\`node bench/dist/src/failover-bench.js --pairs ${PAIRS} --interval ${INTERVAL_MS} --rounds ${ROUNDS} --settle ${SETTLE_MS} --mysql-outage ${MYSQL_OUTAGE_MS} --status-down ${STATUS_DOWN_MS}\` (${Math.round(elapsedMs / 1000)} s)`,
    '',
    '| round | fault | window | ms | details | final check |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.round} | ${r.fault} | ${r.what} | ${r.windowMs} | ${details(r.detail)} | ${r.violations === 0 ? 'nothing lost' : `${r.violations} violations`} |`),
    '',
  ].join('\n');
  writeFileSync(join(dir, `failover-${stamp}.md`), md);
  console.log(md);
}

/** The measurements besides the main window, as `name value` pairs (per-client lists left to the JSON). */
function details(detail: object): string {
  return Object.entries(detail)
    .filter(([, v]) => typeof v === 'number' || typeof v === 'string')
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(', ');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
