// `npm start`: after the build, applies migrations and runs verify, status, the chat servers, the file
// servers and the gate from config.ini as one supervised group with one merged log stream. Ctrl-C stops everything cleanly.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { requireFromCommon, root, servicesOrExit } from './lib/services.mjs';

const { loadConfig, migrate, ConfigError, ensureDevCa, issueDevCert } = requireFromCommon('@parley/common');

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

const children = new Map();
let stopping = false;

function startServer(name, entry, args = []) {
  // Own process group: a terminal's Ctrl-C reaches only this supervisor, which then stops servers in order.
  // grpc-js hands an IP target to TLS as the server name, which node flags as DEP0123 though the
  // certificate is still checked against that IP: silence that one warning, not others.
  const child = spawn(process.execPath, ['--disable-warning=DEP0123', join(root, entry), ...args], { env: process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.set(name, child);
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} was not ready within 20 s`)), 20000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      printLine(name, line);
      if (line.includes('"event":"ready"')) {
        clearTimeout(timer);
        resolve();
      }
    });
    createInterface({ input: child.stderr }).on('line', (line) => process.stderr.write(`${color(31, `[${name}]`)} ${line}\n`));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      children.delete(name);
      reject(new Error(`${name} exited (code ${code}, signal ${signal})`));
      if (!stopping) {
        say(`${name} exited unexpectedly (code ${code}, signal ${signal}); stopping the cluster`);
        void shutdown(1);
      }
    });
  });
  return ready;
}

async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  say('stopping…');
  // Gate first (no new logins), chat and file servers next (they flush and hand clients back), then the rest.
  const order = [['gate'], [...config.chatServers.map((c) => c.id), ...config.fileServers.map((f) => f.id)], ['status', 'verify']];
  for (const group of order) {
    await Promise.all(
      group.map((name) => {
        const child = children.get(name);
        if (!child) return null;
        return new Promise((resolve) => {
          const hard = setTimeout(() => child.kill('SIGKILL'), 10000);
          child.once('exit', () => {
            clearTimeout(hard);
            resolve();
          });
          child.kill('SIGTERM');
        });
      }),
    );
  }
  await services.stop();
  say('stopped');
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(0));
process.on('exit', () => {
  for (const child of children.values()) child.kill('SIGKILL');
});
process.on('SIGTERM', () => void shutdown(0));

const started = Date.now();
try {
  await Promise.all([startServer('verify', 'verify-server/dist/src/main.js'), startServer('status', 'status-server/dist/src/main.js')]);
  await Promise.all([
    ...config.chatServers.map((c) => startServer(c.id, 'chat-server/dist/src/main.js', ['--id', c.id])),
    ...config.fileServers.map((f) => startServer(f.id, 'file-server/dist/src/main.js', ['--id', f.id])),
    startServer('gate', 'gate-server/dist/src/main.js'),
  ]);
} catch (err) {
  say(`start failed: ${err.message}`);
  await shutdown(1);
}

const gateHost = config.gate.host === '0.0.0.0' ? '127.0.0.1' : config.gate.host;
const lines = [
  `Parley "${config.cluster.name}" is up (${((Date.now() - started) / 1000).toFixed(1)} s): ${children.size} processes`,
  `  web app:  http://${gateHost}:${config.gate.port}/   (open it in a browser)`,
  `  HTTP API (register, log in):  http://${gateHost}:${config.gate.port}/api   (try GET /api/health)`,
  ...config.chatServers.map((c) => `  chat server ${c.id}:  tcp ${c.host}:${c.tcpPort}${c.wsPort >= 0 ? `   ws://${c.host}:${c.wsPort}` : ''}   (peer gRPC :${c.grpcPort})`),
  ...config.fileServers.map((f) => `  file server ${f.id}:  tcp ${f.host}:${f.tcpPort}${f.wsPort >= 0 ? `   ws://${f.host}:${f.wsPort}` : ''}   (files in ${config.file.storageDir})`),
  `  verify gRPC ${config.verify.host}:${config.verify.port}   status gRPC ${config.status.host}:${config.status.port}`,
  config.smtp.host ? `  mail goes out through ${config.smtp.host}:${config.smtp.port}` : '  no SMTP host configured: verification codes are written to the verify log instead of mailed',
  '  Ctrl-C stops everything.',
];
say(lines.join('\n'));
