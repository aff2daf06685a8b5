import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { chatInstance, ConfigError, configSchema, envName, fileInstance, fileInstanceSchema, iniKey, loadConfig, parseOriginList } from '../src';
import { testConfigText } from '../src/testing';

const valid = testConfigText({ database: 'parley_x', redisPrefix: 'p:' });

function load(text: string, env: NodeJS.ProcessEnv = {}) {
  return loadConfig({ text, file: 'c.ini', env });
}

function expectConfigError(fn: () => unknown, pattern: RegExp) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.match(err.message, pattern);
    return true;
  });
}

describe('loadConfig', () => {
  it('reads every section with types and defaults', () => {
    const cfg = load(valid);
    assert.equal(cfg.mysql.database, 'parley_x');
    assert.equal(cfg.mysql.port, 3306);
    assert.equal(typeof cfg.mysql.port, 'number');
    assert.equal(cfg.verify.codeTtlSec, 600);
    assert.equal(cfg.smtp.secure, false);
    assert.equal(cfg.chatServers.length, 1);
    assert.equal(cfg.chatServers[0]?.id, 'chat1');
    assert.ok(Object.isFrozen(cfg) && Object.isFrozen(cfg.mysql));
  });

  it('names the missing key, its section and the file', () => {
    const text = valid.replace(/^host = 127\.0\.0\.1\n(?=port = 3306)/m, '');
    expectConfigError(() => load(text), /c\.ini: missing required key "host" in \[mysql\]/);
  });

  it('names the key and line of a value of the wrong type', () => {
    const text = valid.replace('port = 3306', 'port = three');
    const line = text.split('\n').findIndex((l) => l === 'port = three') + 1;
    expectConfigError(() => load(text), new RegExp(`c\\.ini:${line}: \\[mysql\\] port: "three" is not an integer`));
  });

  it('rejects out-of-range numbers, bad booleans and bad enums', () => {
    expectConfigError(() => load(valid.replace('port = 3306', 'port = 70000')), /\[mysql\] port: 70000 is above the maximum 65535/);
    expectConfigError(() => load(`${valid}\n[smtp2]\n`), /unknown section \[smtp2\]/);
    expectConfigError(() => load(valid.replace('[smtp]\nhost = ', '[smtp]\nsecure = maybe\nhost = ')), /\[smtp\] secure: "maybe" is not a boolean/);
    expectConfigError(() => load(valid.replace('log_level = warn', 'log_level = loud')), /log_level: "loud" is not one of/);
  });

  it('rejects unknown keys (typos) with the keys it knows', () => {
    expectConfigError(() => load(valid.replace('pool_size = 5', 'pool_sise = 5')), /unknown key "pool_sise" in \[mysql\].*pool_size/);
  });

  it('requires at least one chat server', () => {
    const text = valid.replace(/\[chat\.chat1\][^[]*/, '');
    expectConfigError(() => load(text), /no chat server is configured/);
  });

  it('lets PARLEY_* env variables override the file, and validates them too', () => {
    const cfg = load(valid, { PARLEY_MYSQL_HOST: 'db.example', PARLEY_CHAT_CHAT1_TCP_PORT: '9100' });
    assert.equal(cfg.mysql.host, 'db.example');
    assert.equal(cfg.chatServers[0]?.tcpPort, 9100);
    expectConfigError(() => load(valid, { PARLEY_REDIS_PORT: 'x' }), /env PARLEY_REDIS_PORT: \[redis\] port: "x" is not an integer/);
  });

  it('reports syntax errors with their line', () => {
    expectConfigError(() => load('[mysql]\nthis is not ini\n'), /c\.ini:2: cannot read line/);
    expectConfigError(() => load('port = 1\n'), /c\.ini:1: key "port" appears before any \[section\]/);
  });

  it('reads a real file named by PARLEY_CONFIG', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-cfg-'));
    const file = join(dir, 'config.ini');
    writeFileSync(file, valid);
    const cfg = loadConfig({ env: { PARLEY_CONFIG: file } });
    assert.equal(cfg.source, file);
    assert.equal(cfg.mysql.database, 'parley_x');
  });

  it("refuses argon2id costs below OWASP's minimum, naming both keys, and accepts each minimum pair", () => {
    const gate = (m: number, t: number) => testConfigText({ database: 'parley_x', redisPrefix: 'p:', sections: { gate: { hash_memory_kib: m, hash_time_cost: t } } });
    for (const [m, t] of [[19456, 2], [12288, 3], [9216, 4], [7168, 5], [47104, 1], [7168, 20], [65536, 1]] as const) {
      const cfg = load(gate(m, t));
      assert.equal(cfg.gate.hashMemoryKib, m);
    }
    for (const [m, t] of [[19455, 2], [19456, 1], [12287, 3], [9215, 4], [47103, 1]] as const) {
      expectConfigError(() => load(gate(m, t)), /hash_memory_kib .* hash_time_cost .* below OWASP's minimum/);
    }
    expectConfigError(() => load(gate(7167, 9)), /hash_memory_kib: 7167 is below the minimum 7168/);
    expectConfigError(() => load(gate(4096, 1)), /hash_memory_kib: 4096 is below the minimum 7168/);
    // The defaults are the first pair.
    const defaults = load(valid.replace(/hash_memory_kib = \d+\n/, '').replace(/hash_time_cost = \d+\n?/, ''));
    assert.deepEqual([defaults.gate.hashMemoryKib, defaults.gate.hashTimeCost], [19456, 2]);
  });

  it('validates the queue bounds: each within its range, and a client paused before it is dropped', () => {
    const chat = (values: Record<string, number>) => testConfigText({ database: 'parley_x', redisPrefix: 'p:', sections: { chat: values } });
    const cfg = load(chat({ commit_max_pending: 10, peer_outbox_max_bytes: 4194304, output_pause_bytes: 4096, max_output_bytes: 65536 }));
    assert.deepEqual([cfg.chat.commitMaxPending, cfg.chat.peerOutboxMaxBytes, cfg.chat.outputPauseBytes], [10, 4194304, 4096]);
    expectConfigError(() => load(chat({ commit_max_pending: 0 })), /commit_max_pending: 0 is below the minimum 1/);
    expectConfigError(() => load(chat({ peer_outbox_max_bytes: 1048576 })), /peer_outbox_max_bytes: 1048576 is below the minimum 4194304/);
    expectConfigError(() => load(chat({ output_pause_bytes: 65536, max_output_bytes: 65536 })), /output_pause_bytes 65536 must be below max_output_bytes 65536/);
  });

  it('has the repository config.ini valid, and every key documented in README.md', async () => {
    const root = join(__dirname, '..', '..', '..');
    const cfg = loadConfig({ file: join(root, 'config.ini'), env: {} });
    // One chat server by default (a second is shown commented out: see config.ini and bench/README.md).
    assert.ok(cfg.chatServers.length >= 1);
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    for (const [section, fields] of Object.entries(configSchema)) {
      for (const key of Object.keys(fields)) {
        assert.ok(readme.includes(`| ${section} | ${iniKey(key)} |`), `README.md has no row for [${section}] ${iniKey(key)}`);
      }
    }
    for (const key of Object.keys(fileInstanceSchema)) assert.ok(readme.includes(`| file.<id> | ${iniKey(key)} |`), `README.md has no row for [file.<id>] ${iniKey(key)}`);
    assert.equal(envName('chat.chat1', 'tcpPort'), 'PARLEY_CHAT_CHAT1_TCP_PORT');
    assert.ok(cfg.fileServers.length >= 1, 'npm start runs a file server');
  });

  it('reads [file] and [file.<id>] sections, with defaults, env overrides and errors that name the key', () => {
    const none = load(valid);
    assert.deepEqual(none.fileServers, []);
    assert.equal(none.file.chunkBytes, 262144);
    assert.equal(none.file.maxFileBytes, 2 * 1024 ** 3);
    const text = `${valid}\n[file]\nstorage_dir = /srv/files\nchunk_bytes = 65536\n\n[file.file1]\ntcp_port = 8100\n\n[file.f-2]\nhost = f2.internal\ntcp_port = 0\n`;
    const cfg = load(text, { PARLEY_FILE_FILE1_TCP_PORT: '9200', PARLEY_FILE_USER_QUOTA_BYTES: '1000' });
    assert.equal(cfg.file.storageDir, '/srv/files');
    assert.equal(cfg.file.chunkBytes, 65536);
    assert.equal(cfg.file.userQuotaBytes, 1000);
    assert.deepEqual(cfg.fileServers.map((f) => [f.id, f.host, f.bindHost, f.tcpPort]), [
      ['file1', '127.0.0.1', '0.0.0.0', 9200],
      ['f-2', 'f2.internal', '0.0.0.0', 0],
    ]);
    assert.equal(fileInstance(cfg, 'f-2').host, 'f2.internal');
    expectConfigError(() => fileInstance(cfg, 'file9'), /no \[file\.file9\] section \(have: file1, f-2\)/);
    expectConfigError(() => load(`${valid}\n[file.file1]\nhost = x\n`), /missing required key "tcp_port" in \[file\.file1\]/);
    expectConfigError(() => load(`${valid}\n[file]\nchunk_bytes = 100\n`), /\[file\] chunk_bytes: 100 is below the minimum 4096/);
    expectConfigError(() => load(`${valid}\n[file.file1]\ntcp_port = 1\ngrpc_port = 2\n`), /unknown key "grpc_port" in \[file\.file1\]/);
  });

  it('reads ws_port (-1 = no WebSocket, the default; 0 = any free port) and checks ws_allowed_origins', () => {
    const withoutWs = valid.replace(/^ws_port = 0\n/m, '');
    assert.equal(chatInstance(load(withoutWs), 'chat1').wsPort, -1);
    assert.equal(chatInstance(load(valid), 'chat1').wsPort, 0);
    assert.equal(chatInstance(load(withoutWs, { PARLEY_CHAT_CHAT1_WS_PORT: '8190' }), 'chat1').wsPort, 8190);
    assert.equal(fileInstance(load(`${valid}\n[file.file1]\ntcp_port = 8100\n`), 'file1').wsPort, -1);
    assert.equal(fileInstance(load(`${valid}\n[file.file1]\ntcp_port = 8100\nws_port = 8200\n`), 'file1').wsPort, 8200);
    expectConfigError(() => load(withoutWs, { PARLEY_CHAT_CHAT1_WS_PORT: '-2' }), /ws_port: -2 is below the minimum -1/);
    expectConfigError(() => load(withoutWs, { PARLEY_CHAT_CHAT1_WS_PORT: '65536' }), /ws_port: 65536 is above the maximum 65535/);

    const origins = load(valid, { PARLEY_CHAT_WS_ALLOWED_ORIGINS: ' https://chat.example.com, http://127.0.0.1:5173 ,' });
    assert.deepEqual(parseOriginList(origins.chat.wsAllowedOrigins), ['https://chat.example.com', 'http://127.0.0.1:5173']);
    assert.deepEqual(parseOriginList(load(valid).file.wsAllowedOrigins), []);
    expectConfigError(() => load(valid, { PARLEY_CHAT_WS_ALLOWED_ORIGINS: 'https://chat.example.com/app' }), /\[chat\] ws_allowed_origins: "https:\/\/chat\.example\.com\/app" is not an origin/);
    expectConfigError(() => load(valid, { PARLEY_FILE_WS_ALLOWED_ORIGINS: 'chat.example.com' }), /\[file\] ws_allowed_origins/);
  });

  it('turns WebSocket on in the repository config.ini (the web app needs it)', () => {
    const cfg = loadConfig({ file: join(__dirname, '..', '..', '..', 'config.ini'), env: {} });
    for (const c of cfg.chatServers) assert.ok(c.wsPort > 0, `[chat.${c.id}] ws_port`);
    for (const f of cfg.fileServers) assert.ok(f.wsPort > 0, `[file.${f.id}] ws_port`);
  });
});
