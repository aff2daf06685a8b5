// `npm start`: after the build, applies migrations and runs verify, status, the chat servers, the file
// servers and the gate from config.ini as one supervised group with one merged log stream. A crashed server is restarted (with backoff)
// while the others keep running. Ctrl-C stops everything cleanly.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { requireFromCommon, root, servicesOrExit } from './lib/services.mjs';

const { loadConfig, migrate, ConfigError, ensureDevCa, issueDevCert, ProcessSupervisor } = requireFromCommon('@parley/common');

const color = process.stdout.isTTY ? (n, s) => `\x1b[${n}m${s}\x1b[0m` : (_n, s) => s;
const LEVELS = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const LEVEL_COLOR = { 40: 33, 50: 31, 60: 31 };
const OMIT = new Set(['level', 'time', 'pid', 'hostname', 'kind', 'server', 'msg', 'event']);

function say(text) {
  process.stdout.write(`${color(36, '[parley]')} ${text}\n`);
}

function printLine(name, line) {
  let e;
  try {
    e = JSON.parse(line);
  } catch {
    process.stdout.write(`${color(35, `[${name}]`)} ${line}\n`);
    return;
  }
  const extra = Object.entries(e).filter(([k]) => !OMIT.has(k));
  const rest = extra.length ? ` ${color(90, JSON.stringify(Object.fromEntries(extra)))}` : '';
  const time = typeof e.time === 'string' ? e.time.slice(11, 23) : '';
  const level = LEVELS[e.level] ?? String(e.level);
  process.stdout.write(`${color(35, `[${name}]`.padEnd(9))} ${time} ${color(LEVEL_COLOR[e.level] ?? 32, level.padEnd(5))} ${e.msg ?? ''}${rest}\n`);
}

const services = await servicesOrExit((s) => say(`started a private ${s} (its data is temporary)`));
Object.assign(process.env, services.env);

let config;
try {
  config = loadConfig();
  ensureDevCertificates(config.cluster);
  const result = await migrate(config.mysql);
  say(`database ${config.mysql.database}: ${result.applied.length} migration(s) applied, ${result.alreadyApplied.length} already there`);
} catch (err) {
  console.error(err instanceof ConfigError ? `config error: ${err.message}` : `cannot prepare the database: ${err.message}`);
  await services.stop();
  process.exit(1);
}

/**
 * Internal gRPC is mutual TLS. When config.ini names the development files under data/tls/ and they
 * are missing, make a development CA and one certificate for this machine there (never overwriting
 * an operator's files elsewhere).
 */
function ensureDevCertificates(cluster) {
  const devDir = resolve(root, 'data', 'tls');
  const files = [cluster.caFile, cluster.certFile, cluster.keyFile].map((f) => resolve(f));
  if (files.every((f) => existsSync(f))) return;
  if (!files.every((f) => dirname(f) === devDir)) return; // the servers will name what is missing
  const ca = ensureDevCa(devDir);
  issueDevCert(ca, { name: 'cluster', dnsNames: ['localhost'], ips: ['127.0.0.1', '::1'], clientAuth: true });
  say(`made a development CA and cluster certificate in ${devDir} (internal gRPC is mutual TLS; use your own in production)`);
}

// Restart policy knobs for trying it out (and for the supervisor's test); the defaults suit a dev machine.
const restart = Object.fromEntries(
  Object.entries({ initialDelayMs: 'PARLEY_RESTART_DELAY_MS', maxDelayMs: 'PARLEY_RESTART_MAX_DELAY_MS', stableAfterMs: 'PARLEY_RESTART_STABLE_MS', maxCrashes: 'PARLEY_RESTART_MAX_CRASHES' })
    .filter(([, env]) => process.env[env])
    .map(([key, env]) => [key, Number(process.env[env])]),
);
let supervisor;
try {
  supervisor = new ProcessSupervisor({
    env: process.env,
    // grpc-js hands an IP target to TLS as the server name, which node flags as DEP0123 though the
    // certificate is still checked against that IP: silence that one warning, not others.
    nodeArgs: ['--disable-warning=DEP0123'],
    restart,
    say,
    onLine: printLine,
    onStderr: (name, line) => process.stderr.write(`${color(31, `[${name}]`)} ${line}\n`),
  });
} catch (err) {
  console.error(`restart policy: ${err.message}`);
  await services.stop();
  process.exit(1);
}
let stopping = false;

async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  say('stopping…');
  // Gate first (no new logins), chat and file servers next (they flush and hand clients back), then the rest.
  await supervisor.stop([['gate'], [...config.chatServers.map((c) => c.id), ...config.fileServers.map((f) => f.id)], ['status', 'verify']]);
  await services.stop();
  say('stopped');
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
process.on('exit', () => supervisor.killAll());

const server = (name, dir, args = []) => supervisor.start({ name, entry: join(root, dir, 'dist', 'src', 'main.js'), args });
const started = Date.now();
try {
  await Promise.all([server('verify', 'verify-server'), server('status', 'status-server')]);
  await Promise.all([
    ...config.chatServers.map((c) => server(c.id, 'chat-server', ['--id', c.id])),
    ...config.fileServers.map((f) => server(f.id, 'file-server', ['--id', f.id])),
    server('gate', 'gate-server'),
  ]);
} catch (err) {
  say(`start failed: ${err.message}`);
  await shutdown(1);
}

const gateHost = config.gate.host === '0.0.0.0' ? '127.0.0.1' : config.gate.host;
const lines = [
  `Parley "${config.cluster.name}" is up (${((Date.now() - started) / 1000).toFixed(1)} s): ${supervisor.running().length} processes`,
  `  web app:  http://${gateHost}:${config.gate.port}/   (open it in a browser)`,
  `  HTTP API (register, log in):  http://${gateHost}:${config.gate.port}/api   (try GET /api/health)`,
  ...config.chatServers.map((c) => `  chat server ${c.id}:  tcp ${c.host}:${c.tcpPort}${c.wsPort >= 0 ? `   ws://${c.host}:${c.wsPort}` : ''}   (peer gRPC :${c.grpcPort})`),
  ...config.fileServers.map((f) => `  file server ${f.id}:  tcp ${f.host}:${f.tcpPort}${f.wsPort >= 0 ? `   ws://${f.host}:${f.wsPort}` : ''}   (files in ${config.file.storageDir})`),
  `  verify gRPC ${config.verify.host}:${config.verify.port}   status gRPC ${config.status.host}:${config.status.port}`,
  config.smtp.host ? `  mail goes out through ${config.smtp.host}:${config.smtp.port}` : '  no SMTP host configured: verification codes are written to the verify log instead of mailed',
  '  A server that crashes is restarted with backoff; Ctrl-C stops everything.',
];
say(lines.join('\n'));
