/** Validation of the status-server's requests: a malformed one is VALIDATION_FAILED naming the field. */
import { ParleyError, type ChatServerInfo__Output, type FileServerInfo__Output } from '@parley/common';
import type { ChatServerAddress } from './chat-server-registry';
import type { FileServerAddress } from './file-server-registry';

const SERVER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const HOST = /^[^\s]{1,255}$/;

function invalid(field: string, message: string): ParleyError {
  return new ParleyError('VALIDATION_FAILED', message, { details: { field } });
}

export function checkServerId(id: string, field: string): string {
  if (!SERVER_ID.test(id)) throw invalid(field, `${field} must be 1-64 characters of letters, digits, '.', '_' or '-'`);
  return id;
}

function checkPort(port: number, field: string): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid(field, `${field} must be a port number 1-65535`);
  return port;
}

/** 0 = no WebSocket (a server that predates the field sends nothing, which reads as 0). */
function checkWsPort(port: number): number {
  return port === 0 ? 0 : checkPort(port, 'server.wsPort');
}

export function checkServer(server: ChatServerInfo__Output | null): ChatServerAddress {
  if (!server) throw invalid('server', 'server is required');
  if (!HOST.test(server.host)) throw invalid('server.host', 'server.host must be a non-empty host name or address');
  const address: ChatServerAddress = { id: checkServerId(server.id, 'server.id'), host: server.host, tcpPort: checkPort(server.tcpPort, 'server.tcpPort'), grpcPort: checkPort(server.grpcPort, 'server.grpcPort'), wsPort: checkWsPort(server.wsPort) };
  if (server.grpcHost) {
    if (!HOST.test(server.grpcHost)) throw invalid('server.grpcHost', 'server.grpcHost must be a host name or address');
    address.grpcHost = server.grpcHost;
  }
  return address;
}

export function checkFileServer(server: FileServerInfo__Output | null): FileServerAddress {
  if (!server) throw invalid('server', 'server is required');
  if (!HOST.test(server.host)) throw invalid('server.host', 'server.host must be a non-empty host name or address');
  return { id: checkServerId(server.id, 'server.id'), host: server.host, tcpPort: checkPort(server.tcpPort, 'server.tcpPort'), wsPort: checkWsPort(server.wsPort) };
}

export function checkUid(uid: number): number {
  if (!Number.isSafeInteger(uid) || uid <= 0) throw invalid('uid', 'uid must be a positive integer');
  return uid;
}
