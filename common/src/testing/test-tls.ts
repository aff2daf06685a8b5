import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterCredentials, type ClusterCredentials, type ClusterTlsConfig } from '../grpc/cluster-credentials';
import { ensureDevCa, issueDevCert } from '../tls/dev-ca';

let files: ClusterTlsConfig | undefined;
let creds: ClusterCredentials | undefined;

/**
 * The cluster certificate of test runs: a development CA and one certificate for 127.0.0.1 and
 * localhost, made once per test process — or once per run when scripts/run-tests.mjs names a
 * directory in PARLEY_TEST_TLS_DIR — and removed when a process that made its own exits.
 */
export function testClusterTls(): ClusterTlsConfig {
  if (files) return files;
  const shared = process.env.PARLEY_TEST_TLS_DIR;
  const dir = shared ?? mkdtempSync(join(tmpdir(), 'parley-test-tls-'));
  if (!shared) process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const ca = ensureDevCa(dir);
  const cert = issueOnce(ca, dir);
  files = { caFile: ca.caCertFile, certFile: cert.certFile, keyFile: cert.keyFile };
  return files;
}

/** The cluster certificate in `dir`: reused when run-tests.mjs made it before the test processes started. */
function issueOnce(ca: ReturnType<typeof ensureDevCa>, dir: string): { certFile: string; keyFile: string } {
  const made = { certFile: join(dir, 'cluster.pem'), keyFile: join(dir, 'cluster-key.pem') };
  if (existsSync(made.certFile) && existsSync(made.keyFile)) return made;
  return issueDevCert(ca, { name: 'cluster', dnsNames: ['localhost'], ips: ['127.0.0.1', '::1'], clientAuth: true });
}

/** gRPC credentials from testClusterTls(), for tests that call or serve gRPC in-process. */
export function testClusterCredentials(): ClusterCredentials {
  creds ??= clusterCredentials(testClusterTls());
  return creds;
}
