import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createMysqlPool, createRedis, ensureDevCa, issueDevCert, readTlsMaterial, TlsFileError, type DevCa, type IssuedCert, type ParleyConfig } from '../src';
import { canConnect, freePort } from '../src/testing';

// Private redis-server and mariadbd that accept TLS only, with certificates from a development CA:
// [redis] user/password/tls/ca_file and [mysql] tls/ca_file must reach them, and a client that
// skips TLS or trusts another CA must not.

async function waitListening(port: number, child: ChildProcess, what: string): Promise<void> {
  const until = Date.now() + 30000;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    if (await canConnect('127.0.0.1', port, 300)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not listen on ${port}`);
}

function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

describe('TLS and ACL to Redis and MySQL', () => {
  let dir: string;
  let ca: DevCa;
  let otherCa: DevCa;
  let server: IssuedCert;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'parley-backend-tls-'));
    ca = ensureDevCa(join(dir, 'ca'));
    otherCa = ensureDevCa(join(dir, 'other-ca'));
    server = issueDevCert(ca, { name: 'backend', dnsNames: ['localhost'], ips: ['127.0.0.1'] });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('names the key when a TLS file is missing or a certificate comes without its key', () => {
    assert.throws(() => readTlsMaterial('[redis]', { caFile: join(dir, 'nope.pem'), certFile: '', keyFile: '' }), (err: Error) => err instanceof TlsFileError && /\[redis\] ca_file .*nope\.pem/.test(err.message));
    assert.throws(() => readTlsMaterial('[mysql]', { caFile: '', certFile: server.certFile, keyFile: '' }), /\[mysql\] cert_file and key_file go together/);
    assert.deepEqual(Object.keys(readTlsMaterial('[mysql]', { caFile: ca.caCertFile, certFile: server.certFile, keyFile: server.keyFile })).sort(), ['ca', 'cert', 'key']);
  });

  describe('redis', () => {
    let child: ChildProcess | undefined;
    let port: number;
    const base = (): ParleyConfig['redis'] => ({ host: '127.0.0.1', port, user: 'parley', password: 'ring-of-keys', tls: true, caFile: ca.caCertFile, certFile: '', keyFile: '', tlsServername: '', db: 0, keyPrefix: 'tls-test:' });
    /** Connects once (no retries) and answers PING, or rejects with why not. */
    async function ping(cfg: ParleyConfig['redis']): Promise<string> {
      const client = createRedis(cfg, undefined, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, connectTimeout: 3000 });
      // ioredis rejects connect() with "Connection is closed"; the cause arrives as an 'error' event.
      let cause: Error | undefined;
      client.on('error', (err: Error) => (cause ??= err));
      try {
        await client.connect();
        return await client.ping();
      } catch (err) {
        throw cause ?? err;
      } finally {
        client.disconnect();
      }
    }

    before(async () => {
      port = await freePort();
      const conf = join(dir, 'redis.conf');
      // Only TLS, and the default user switched off: every client must name an ACL user.
      writeFileSync(conf, [`port 0`, `tls-port ${port}`, `bind 127.0.0.1`, `tls-cert-file ${server.certFile}`, `tls-key-file ${server.keyFile}`, `tls-ca-cert-file ${ca.caCertFile}`, `tls-auth-clients no`, `save ""`, `appendonly no`, `dir ${dir}`, `user default off`, `user parley on >ring-of-keys ~* &* +@all`].join('\n'));
      child = spawn('redis-server', [conf], { stdio: 'ignore' });
      await waitListening(port, child, 'redis-server');
    });
    after(() => stopChild(child));

    it('connects with the ACL user over TLS, the certificate verified against ca_file', async () => {
      assert.equal(await ping(base()), 'PONG');
    });
    it('refuses a wrong password and the default user', async () => {
      await assert.rejects(ping({ ...base(), password: 'wrong' }), /WRONGPASS/);
      await assert.rejects(ping({ ...base(), user: '', password: '' }), /NOAUTH|WRONGPASS|NOPERM/);
    });
    it('does not trust a certificate from another CA, nor talk plaintext to a TLS port', async () => {
      await assert.rejects(ping({ ...base(), caFile: otherCa.caCertFile }), /certificate|self.signed|verify/i);
      await assert.rejects(ping({ ...base(), tls: false }));
    });
    it('checks the host name: a servername the certificate does not carry is refused', async () => {
      await assert.rejects(ping({ ...base(), tlsServername: 'redis.example.net' }), /altnames|Hostname|does not match/i);
    });
  });

  describe('mysql', () => {
    let child: ChildProcess | undefined;
    let port: number;
    const base = (): ParleyConfig['mysql'] => ({ host: 'localhost', port, user: 'root', password: '', database: 'mysql', poolSize: 1, tls: true, caFile: ca.caCertFile, certFile: '', keyFile: '' });
    async function cipher(cfg: ParleyConfig['mysql']): Promise<string> {
      const pool = createMysqlPool(cfg, { connectTimeout: 5000 });
      try {
        const [rows] = await pool.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'");
        return (rows as { Value: string }[])[0]?.Value ?? '';
      } finally {
        await pool.end();
      }
    }

    before(async () => {
      const data = join(dir, 'mariadb');
      const install = spawnSync('mariadb-install-db', ['--no-defaults', `--datadir=${data}`, '--auth-root-authentication-method=normal', '--skip-test-db', `--user=${process.getuid?.() === 0 ? 'root' : (process.env.USER ?? 'root')}`], { encoding: 'utf8' });
      assert.equal(install.status, 0, install.stderr);
      port = await freePort();
      child = spawn('mariadbd', ['--no-defaults', `--datadir=${data}`, `--port=${port}`, '--bind-address=127.0.0.1', `--socket=${dir}/mysqld.sock`, `--pid-file=${dir}/mysqld.pid`, `--ssl-cert=${server.certFile}`, `--ssl-key=${server.keyFile}`, `--ssl-ca=${ca.caCertFile}`, '--require-secure-transport=ON', ...(process.getuid?.() === 0 ? ['--user=root'] : [])], { stdio: 'ignore' });
      await waitListening(port, child, 'mariadbd');
    });
    after(() => stopChild(child));

    it('connects over TLS with [mysql] tls and ca_file', async () => {
      assert.notEqual(await cipher(base()), '');
    });
    it('is refused without TLS by a server that requires it, and does not trust another CA', async () => {
      // The same credentials succeed over TLS above, so a refusal here is the transport's doing (MariaDB
      // words it as "insecure transport" or, for root, "Access denied").
      await assert.rejects(cipher({ ...base(), tls: false }), /secure transport|insecure|Access denied/i);
      await assert.rejects(cipher({ ...base(), caFile: otherCa.caCertFile }), /certificate|self.signed|verify/i);
    });
  });
});
