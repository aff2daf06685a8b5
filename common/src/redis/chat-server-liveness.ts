import type { ChatServerRecord, FileServerRecord } from './redis-keys';

/** A server silent for this many report intervals is no longer chosen (nor, for a chat server, its users counted online). */
export const STALE_AFTER_INTERVALS = 3;

/** A record written before WebSocket ports existed has none: 0. */
function wsPortOf(server: { wsPort?: unknown }): number {
  return typeof server.wsPort === 'number' ? server.wsPort : 0;
}

/** Parses one record of RedisKeys.chatServers; undefined when it is not a well-formed record. */
export function parseRecord(raw: string): ChatServerRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const rec = value as Partial<ChatServerRecord> | null;
  const s = rec?.server;
  if (!rec || !s || typeof s.id !== 'string' || typeof s.host !== 'string' || typeof s.tcpPort !== 'number' || typeof s.grpcPort !== 'number') return undefined;
  if (typeof rec.connections !== 'number' || typeof rec.lastReportMs !== 'number' || typeof rec.draining !== 'boolean') return undefined;
  const server: ChatServerRecord['server'] = { id: s.id, host: s.host, tcpPort: s.tcpPort, grpcPort: s.grpcPort, wsPort: wsPortOf(s) };
  if (typeof s.grpcHost === 'string' && s.grpcHost) server.grpcHost = s.grpcHost;
  return { server, connections: rec.connections, lastReportMs: rec.lastReportMs, draining: rec.draining, ...(rec.down === true ? { down: true } : {}) };
}

/** Parses one record of RedisKeys.fileServers; undefined when it is not a well-formed record. */
export function parseFileRecord(raw: string): FileServerRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const rec = value as Partial<FileServerRecord> | null;
  const s = rec?.server;
  if (!rec || !s || typeof s.id !== 'string' || typeof s.host !== 'string' || typeof s.tcpPort !== 'number') return undefined;
  if (typeof rec.connections !== 'number' || typeof rec.lastReportMs !== 'number' || typeof rec.draining !== 'boolean') return undefined;
  return { server: { id: s.id, host: s.host, tcpPort: s.tcpPort, wsPort: wsPortOf(s) }, connections: rec.connections, lastReportMs: rec.lastReportMs, draining: rec.draining, ...(rec.down === true ? { down: true } : {}) };
}

/**
 * The liveness rule (the status-server's pick script applies the same one): reported within 3 intervals
 * and not marked down (a dead attachment or a failed probe, docs/status-server.md).
 */
export function isLive(record: Pick<ChatServerRecord, 'lastReportMs' | 'down'>, nowMs: number, reportIntervalSec: number): boolean {
  return record.down !== true && nowMs - record.lastReportMs < STALE_AFTER_INTERVALS * reportIntervalSec * 1000;
}
