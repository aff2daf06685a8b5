import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';

export interface Endpoint {
  host: string;
  port: number;
}

export interface LocalServices {
  mysql: Endpoint;
  redis: Endpoint;
  /** PARLEY_* overrides that point every server and test at these services. */
  env: Record<string, string>;
  /** Names of the services this call started privately (empty when the machine's own were used). */
  started: string[];
  stop(): Promise<void>;
}

export class MissingServiceError extends Error {
  override name = 'MissingServiceError';
}

export function canConnect(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function which(bin: string): string | undefined {
  for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin', '/sbin', '/bin']) {
    const r = spawnSync('test', ['-x', join(dir, bin)]);
    if (r.status === 0) return join(dir, bin);
  }
  return undefined;
}

async function waitFor(host: string, port: number, what: string, child: ChildProcess, timeoutMs = 30000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new MissingServiceError(`private ${what} exited with code ${child.exitCode}`);
    if (await canConnect(host, port, 300)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new MissingServiceError(`private ${what} did not start listening on ${host}:${port} within ${timeoutMs} ms`);
}

/**
 * Uses MariaDB and Redis where PARLEY_MYSQL_* / PARLEY_REDIS_* (default 127.0.0.1:3306 / 6379) answer;
 * otherwise starts private instances from the system's mariadbd / redis-server in a temp dir.
 */
export async function ensureLocalServices(env: NodeJS.ProcessEnv = process.env): Promise<LocalServices> {
  const mysql: Endpoint = { host: env.PARLEY_MYSQL_HOST ?? '127.0.0.1', port: Number(env.PARLEY_MYSQL_PORT ?? 3306) };
  const redis: Endpoint = { host: env.PARLEY_REDIS_HOST ?? '127.0.0.1', port: Number(env.PARLEY_REDIS_PORT ?? 6379) };
  const [mysqlUp, redisUp] = await Promise.all([canConnect(mysql.host, mysql.port), canConnect(redis.host, redis.port)]);
  const missing: string[] = [];
  if (!mysqlUp && !(which('mariadbd') && which('mariadb-install-db'))) missing.push('mariadb-server');
  if (!redisUp && !which('redis-server')) missing.push('redis-server');
  if (missing.length > 0) {
    throw new MissingServiceError(
      `MariaDB/Redis not reachable (${mysql.host}:${mysql.port}, ${redis.host}:${redis.port}) and not installed: apt-get install ${missing.join(' ')}`,
    );
  }
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  const started: string[] = [];
  const out: Record<string, string> = {};
  const stop = async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  };
  try {
    if (!mysqlUp) {
      const dir = mkdtempSync(join(tmpdir(), 'parley-mariadb-'));
      dirs.push(dir);
      const install = spawnSync(which('mariadb-install-db') as string, ['--no-defaults', `--datadir=${dir}/data`, '--auth-root-authentication-method=normal', '--skip-test-db', `--user=${process.getuid?.() === 0 ? 'root' : (env.USER ?? 'root')}`], { encoding: 'utf8' });
      if (install.status !== 0) throw new MissingServiceError(`mariadb-install-db failed: ${install.stderr.split('\n').slice(-3).join(' ')}`);
      mysql.host = '127.0.0.1';
      mysql.port = await freePort();
      const child = spawn(which('mariadbd') as string, ['--no-defaults', `--datadir=${dir}/data`, `--port=${mysql.port}`, '--bind-address=127.0.0.1', `--socket=${dir}/mysqld.sock`, `--pid-file=${dir}/mysqld.pid`, ...(process.getuid?.() === 0 ? ['--user=root'] : [])], { stdio: 'ignore' });
      children.push(child);
      await waitFor(mysql.host, mysql.port, 'mariadbd', child);
      out.PARLEY_MYSQL_HOST = mysql.host;
      out.PARLEY_MYSQL_PORT = String(mysql.port);
      out.PARLEY_MYSQL_USER = 'root';
      out.PARLEY_MYSQL_PASSWORD = '';
      started.push(`mariadbd on ${mysql.host}:${mysql.port}`);
    }
    if (!redisUp) {
      const dir = mkdtempSync(join(tmpdir(), 'parley-redis-'));
      dirs.push(dir);
      redis.host = '127.0.0.1';
      redis.port = await freePort();
      const child = spawn(which('redis-server') as string, ['--port', String(redis.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
      children.push(child);
      await waitFor(redis.host, redis.port, 'redis-server', child);
      out.PARLEY_REDIS_HOST = redis.host;
      out.PARLEY_REDIS_PORT = String(redis.port);
      started.push(`redis-server on ${redis.host}:${redis.port}`);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { mysql, redis, env: out, started, stop };
}
