import type { ChatInstanceConfig } from '../config/config-schema';
import type { Redis } from './redis-client';
import { RedisKeys, type ChatServerRecord } from './redis-keys';

export interface PeerAddress {
  host: string;
  port: number;
}

/**
 * Where a chat server's ChatPeer gRPC service listens: its latest record in the status registry
 * (Redis), else its [chat.<id>] section. Undefined when neither knows it.
 */
export async function chatPeerAddress(redis: Redis, serverId: string, configured: readonly ChatInstanceConfig[] = []): Promise<PeerAddress | undefined> {
  const raw = await redis.hget(RedisKeys.chatServers, serverId).catch(() => null);
  if (raw) {
    try {
      const s = (JSON.parse(raw) as Partial<ChatServerRecord>).server;
      if (s && typeof s.host === 'string' && typeof s.grpcPort === 'number' && s.grpcPort > 0) return { host: typeof s.grpcHost === 'string' && s.grpcHost ? s.grpcHost : s.host, port: s.grpcPort };
    } catch {
      // A malformed record: fall back to the config.
    }
  }
  const c = configured.find((x) => x.id === serverId);
  return c && c.grpcPort > 0 ? { host: c.grpcHost || c.host, port: c.grpcPort } : undefined;
}
