/**
 * MariaDB and Redis for a benchmark that pins them with the servers: by default private
 * mariadbd and redis-server instances (common/testing's ensureLocalServices, started on free
 * ports from the system binaries, MariaDB with its defaults, so innodb_flush_log_at_trx_commit=1,
 * in a temp datadir on the machine's disk), pinned to the server core and removed at the end.
 * With `machine`, the machine's running mariadbd and redis-server (PARLEY_MYSQL_* / PARLEY_REDIS_*,
 * default 3306 / 6379) are pinned for the run and their CPU affinity restored afterwards.
 *
 * Either way process.env gets the PARLEY_* overrides, so the cluster harness and every server it
 * starts use these instances.
 */
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { ensureLocalServices, freePort } from '@parley/common/testing';
import { Cluster, type ClusterOptions } from '@parley/e2e';
import { pidListeningOn, pin } from './proc-stats';

export interface BenchServices {
  /** How the services were provided and pinned, for the report. */
  note: string;
  mariadbPid: number | undefined;
  redisPid: number | undefined;
  /** Stops private instances, or restores the affinity of the machine's. */
  stop(): Promise<void>;
}

/** The affinity mask of a process (`taskset -p`), e.g. "3"; undefined when unreadable. */
function affinityMask(pid: number): string | undefined {
  try {
    const out = execFileSync('taskset', ['-p', String(pid)], { encoding: 'utf8' });
    return /mask:\s*([0-9a-f,]+)/i.exec(out)?.[1];
  } catch {
    return undefined;
  }
}

function restoreMask(pid: number, mask: string): void {
  try {
    execFileSync('taskset', ['-a', '-p', mask, String(pid)], { stdio: 'ignore' });
  } catch {
    // the process is gone: nothing to restore
  }
}

/** Starts private instances (pinned to `core` when given). */
export async function privateServices(core: string | undefined): Promise<BenchServices> {
  // Ports nobody answers on make ensureLocalServices start its own instances.
  const probe = { PARLEY_MYSQL_HOST: '127.0.0.1', PARLEY_MYSQL_PORT: String(await freePort()), PARLEY_REDIS_HOST: '127.0.0.1', PARLEY_REDIS_PORT: String(await freePort()) };
  const services = await ensureLocalServices({ ...process.env, ...probe });
  Object.assign(process.env, services.env);
  const mariadbPid = pidListeningOn(services.mysql.port, ['mariadbd', 'mysqld']);
  const redisPid = pidListeningOn(services.redis.port, ['redis-server']);
  const pinned = core !== undefined && [mariadbPid, redisPid].every((pid) => pid !== undefined && pin(pid, core));
  const where = core === undefined ? 'not pinned' : pinned ? `pinned to core ${core} with taskset -a -p` : 'NOT pinned (taskset failed)';
  return {
    note: `private ${services.started.join(' and ')} started for this run (--no-defaults: MariaDB's built-in settings, datadir under ${tmpdir()}), ${where}`,
    mariadbPid,
    redisPid,
    stop: () => services.stop(),
  };
}

/** Uses the machine's running instances, pinned to `core` for the run (affinity restored by stop). */
export function machineServices(core: string | undefined): BenchServices {
  const mysqlPort = Number(process.env.PARLEY_MYSQL_PORT ?? 3306);
  const redisPort = Number(process.env.PARLEY_REDIS_PORT ?? 6379);
  const mariadbPid = pidListeningOn(mysqlPort, ['mariadbd', 'mysqld']);
  const redisPid = pidListeningOn(redisPort, ['redis-server']);
  const saved: [number, string][] = [];
  if (core !== undefined) {
    for (const pid of [mariadbPid, redisPid]) {
      if (pid === undefined) continue;
      const mask = affinityMask(pid);
      if (mask && pin(pid, core)) saved.push([pid, mask]);
    }
  }
  const restore = () => {
    for (const [pid, mask] of saved.splice(0)) restoreMask(pid, mask);
  };
  process.once('exit', restore);
  return {
    note: `the machine's running mariadbd (pid ${mariadbPid ?? '?'}, port ${mysqlPort}) and redis-server (pid ${redisPid ?? '?'}, port ${redisPort}), ${saved.length > 0 ? `pinned to core ${core} with taskset -a -p for the run, affinity restored afterwards (${saved.map(([p, m]) => `${p}: mask ${m}`).join(', ')})` : 'not pinned'}`,
    mariadbPid,
    redisPid,
    stop: async () => restore(),
  };
}

/** On Ctrl-C or SIGTERM: `stop` (at most 15 s), then exit 130 — so a benchmark never leaves servers or databases behind. */
export function stopOnSignal(stop: () => Promise<void>, log: (msg: string) => void): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      log(`${signal}: stopping`);
      const hard = setTimeout(() => process.exit(130), 15_000);
      void stop().finally(() => {
        clearTimeout(hard);
        process.exit(130);
      });
    });
}

/** The cluster harness on `services`: they are stopped if it cannot start, and both on a signal. */
export async function startBenchCluster(services: BenchServices, options: ClusterOptions, log: (msg: string) => void): Promise<Cluster> {
  let cluster: Cluster;
  try {
    cluster = await Cluster.start(options);
  } catch (err) {
    await services.stop();
    throw err;
  }
  stopOnSignal(() => cluster.stop().then(() => services.stop()), log);
  return cluster;
}
