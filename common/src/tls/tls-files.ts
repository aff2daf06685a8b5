import { readFileSync } from 'node:fs';

/** PEM file names from config; an empty name means "not configured". */
export interface TlsFileNames {
  caFile: string;
  certFile: string;
  keyFile: string;
}

export interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

export class TlsFileError extends Error {
  override name = 'TlsFileError';
}

/**
 * Reads the configured PEM files once, at start-up, so a missing or unreadable file stops the server
 * with a message naming the key instead of failing on the first connection. `section` names the
 * config section in messages ("[redis]").
 */
export function readTlsMaterial(section: string, names: TlsFileNames): TlsMaterial {
  if (Boolean(names.certFile) !== Boolean(names.keyFile)) {
    throw new TlsFileError(`${section} cert_file and key_file go together (a client certificate needs its key)`);
  }
  const read = (key: string, file: string): Buffer | undefined => {
    if (!file) return undefined;
    try {
      return readFileSync(file);
    } catch (err) {
      throw new TlsFileError(`${section} ${key} ${file}: ${(err as Error).message}`);
    }
  };
  const material: TlsMaterial = {};
  const ca = read('ca_file', names.caFile);
  const cert = read('cert_file', names.certFile);
  const key = read('key_file', names.keyFile);
  if (ca) material.ca = ca;
  if (cert) material.cert = cert;
  if (key) material.key = key;
  return material;
}
