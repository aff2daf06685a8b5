import { randomBytes } from 'node:crypto';
import { loadConfig } from '../config/load-config';
import type { ParleyConfig } from '../config/config-schema';
import { testClusterTls } from './test-tls';

export interface TestConfigOptions {
  database: string;
  redisPrefix: string;
  /** Extra ini text appended after the defaults, e.g. "[verify]\nmax_attempts = 3". Later sections win per key. */
  sections?: Record<string, Record<string, string | number | boolean>>;
  /** wsPort: [chat.<id>] ws_port (-1 = none); default 0, a WebSocket listener on any free port. */
  chatServers?: { id: string; tcpPort: number; grpcPort: number; wsPort?: number }[];
  /** [file.<id>] sections; none by default (set [file] storage_dir through `sections`). */
  fileServers?: { id: string; tcpPort: number; wsPort?: number }[];
}

/** A unique name fragment for databases and key prefixes: safe in SQL identifiers and Redis keys. */
export function uniqueSuffix(): string {
  return `${Date.now().toString(36)}_${process.pid}_${randomBytes(3).toString('hex')}`;
}

/** The ini text of a test cluster: every port 0 unless given; PARLEY_* env overrides still apply. */
export function testConfigText(options: TestConfigOptions): string {
  const base: Record<string, Record<string, string | number | boolean>> = {
    cluster: { name: 'parley-test', log_level: process.env.PARLEY_TEST_LOG_LEVEL ?? 'warn', ...clusterTlsKeys() },
    mysql: { host: '127.0.0.1', port: 3306, user: 'root', password: '', database: options.database, pool_size: 5 },
    redis: { host: '127.0.0.1', port: 6379, key_prefix: options.redisPrefix },
    smtp: { host: '' },
    verify: { host: '127.0.0.1', port: 0 },
    status: { host: '127.0.0.1', port: 0, report_interval_sec: 1 },
    // OWASP's cheapest minimum pair: tests hash at real strength.
    gate: { host: '127.0.0.1', port: 0, hash_memory_kib: 7168, hash_time_cost: 5 },
    // Every test client connects from 127.0.0.1, often hundreds at once: the per-IP cap on logins in
    // progress would refuse them (the tests of that cap set their own).
    chat: { heartbeat_sec: 20, max_unauthenticated_per_ip: 1_000_000 },
  };
  for (const [section, values] of Object.entries(options.sections ?? {})) base[section] = { ...base[section], ...values };
  const chats = options.chatServers ?? [{ id: 'chat1', tcpPort: 0, grpcPort: 0 }];
  for (const c of chats) base[`chat.${c.id}`] = { host: '127.0.0.1', bind_host: '127.0.0.1', tcp_port: c.tcpPort, grpc_port: c.grpcPort, ws_port: c.wsPort ?? 0, ...base[`chat.${c.id}`] };
  for (const f of options.fileServers ?? []) base[`file.${f.id}`] = { host: '127.0.0.1', bind_host: '127.0.0.1', tcp_port: f.tcpPort, ws_port: f.wsPort ?? 0, ...base[`file.${f.id}`] };
  return Object.entries(base)
    .map(([section, values]) => `[${section}]\n${Object.entries(values).map(([k, v]) => `${k} = ${v}`).join('\n')}\n`)
    .join('\n');
}

function clusterTlsKeys(): Record<string, string> {
  const tls = testClusterTls();
  return { ca_file: tls.caFile, cert_file: tls.certFile, key_file: tls.keyFile };
}

export function makeTestConfig(options: TestConfigOptions): ParleyConfig {
  return loadConfig({ text: testConfigText(options), file: 'test-config.ini' });
}
