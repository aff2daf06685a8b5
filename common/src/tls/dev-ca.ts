import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A development certificate authority made with the `openssl` command: for `npm start`, the test
 * harness and tests of TLS paths. Production uses certificates from the operator's own CA; this only
 * saves a developer from making them by hand. Keys are written 0600.
 */
export interface DevCa {
  dir: string;
  caCertFile: string;
  caKeyFile: string;
}

export interface IssuedCert {
  certFile: string;
  keyFile: string;
}

export interface CertRequest {
  /** File stem and common name, e.g. "chat-a". */
  name: string;
  dnsNames?: string[];
  ips?: string[];
  /** Usable as a TLS client certificate too (service-to-service mTLS). */
  clientAuth?: boolean;
  days?: number;
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Creates the CA in `dir` unless one is already there (so restarts keep trusting issued certs). */
export function ensureDevCa(dir: string, days = 825): DevCa {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca: DevCa = { dir, caCertFile: join(dir, 'ca.pem'), caKeyFile: join(dir, 'ca-key.pem') };
  if (existsSync(ca.caCertFile) && existsSync(ca.caKeyFile)) return ca;
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', ca.caKeyFile]);
  chmodSync(ca.caKeyFile, 0o600);
  openssl(['req', '-x509', '-new', '-key', ca.caKeyFile, '-sha256', '-days', String(days), '-subj', '/CN=Parley development CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', ca.caCertFile]);
  return ca;
}

/** Issues a certificate signed by `ca` for the names and addresses asked. */
export function issueDevCert(ca: DevCa, req: CertRequest): IssuedCert {
  const keyFile = join(ca.dir, `${req.name}-key.pem`);
  const certFile = join(ca.dir, `${req.name}.pem`);
  const csrFile = join(ca.dir, `${req.name}.csr`);
  const extFile = join(ca.dir, `${req.name}.ext`);
  const alt = [...(req.dnsNames ?? []).map((d) => `DNS:${d}`), ...(req.ips ?? []).map((ip) => `IP:${ip}`)];
  const usage = req.clientAuth ? 'serverAuth,clientAuth' : 'serverAuth';
  writeFileSync(extFile, [`basicConstraints=CA:FALSE`, `keyUsage=critical,digitalSignature,keyEncipherment`, `extendedKeyUsage=${usage}`, ...(alt.length ? [`subjectAltName=${alt.join(',')}`] : [])].join('\n') + '\n');
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyFile]);
  chmodSync(keyFile, 0o600);
  openssl(['req', '-new', '-key', keyFile, '-subj', `/CN=${req.name}`, '-out', csrFile]);
  openssl(['x509', '-req', '-in', csrFile, '-CA', ca.caCertFile, '-CAkey', ca.caKeyFile, '-CAcreateserial', '-days', String(req.days ?? 825), '-sha256', '-extfile', extFile, '-out', certFile]);
  return { certFile, keyFile };
}
