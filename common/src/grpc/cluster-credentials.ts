import { credentials, ServerCredentials, type ChannelCredentials } from '@grpc/grpc-js';
import type { ParleyConfig } from '../config/config-schema';
import { readTlsMaterial, TlsFileError } from '../tls/tls-files';

/**
 * The credentials of every internal gRPC call: mutual TLS under the cluster's CA. A server asks each
 * caller for a certificate that CA signed and refuses the handshake without one; a caller checks the
 * server's certificate and host name the same way. So only holders of a cluster certificate can ask
 * the status-server for tokens, report a chat server, or deliver frames to a chat server's peers.
 */
export interface ClusterCredentials {
  readonly server: ServerCredentials;
  readonly channel: ChannelCredentials;
}

export type ClusterTlsConfig = Pick<ParleyConfig['cluster'], 'caFile' | 'certFile' | 'keyFile'>;

/** Reads [cluster] ca_file, cert_file and key_file (all required) once, at start-up. */
export function clusterCredentials(cfg: ClusterTlsConfig): ClusterCredentials {
  const material = readTlsMaterial('[cluster]', cfg);
  if (!material.ca || !material.cert || !material.key) {
    throw new TlsFileError('[cluster] ca_file, cert_file and key_file are required: services call each other over mutual TLS (docs/security.md; `npm start` makes development certificates)');
  }
  return {
    server: ServerCredentials.createSsl(material.ca, [{ cert_chain: material.cert, private_key: material.key }], true),
    channel: credentials.createSsl(material.ca, material.key, material.cert),
  };
}
