import type { SecureContextOptions } from 'node:tls';
import { readTlsMaterial, TlsFileError } from './tls-files';

/** The key pair a client-facing listener serves TLS with; undefined when the section configures none. */
export type ServerTls = Required<Pick<SecureContextOptions, 'cert' | 'key'>>;

/** How long a client has for its TLS handshake: a socket that stalls there holds no login slot, but it holds a descriptor. */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * Reads `[section] tls_cert_file` / `tls_key_file` once at start-up. Both empty = plaintext (local
 * development, or TLS terminated by a proxy in front: docs/security.md); one without the other is refused.
 */
export function serverTls(section: string, files: { tlsCertFile: string; tlsKeyFile: string }): ServerTls | undefined {
  if (!files.tlsCertFile && !files.tlsKeyFile) return undefined;
  if (!files.tlsCertFile || !files.tlsKeyFile) throw new TlsFileError(`${section} tls_cert_file and tls_key_file go together`);
  const material = readTlsMaterial(section, { caFile: '', certFile: files.tlsCertFile, keyFile: files.tlsKeyFile });
  return { cert: material.cert as Buffer, key: material.key as Buffer };
}
