/**
 * The registry of chat servers (server-registry.ts): RedisKeys.chatServers plus PENDING_KEY. The
 * choice sticks to the server of a user's live session first (server-picker.ts).
 */
import { parseRecord, RedisKeys, STALE_AFTER_INTERVALS, type ChatServerRecord, type Redis } from '@parley/common';
import { ATTACHED_KEY, PENDING_KEY, pickChatServer, type PickResult } from './server-picker';
import { ServerRegistry, type RegistryOptions, type ServerView } from './server-registry';

export { isLive, parseRecord, STALE_AFTER_INTERVALS } from '@parley/common';
export { FORGET_AFTER_INTERVALS, type RegistryOptions } from './server-registry';

export type ChatServerAddress = ChatServerRecord['server'];
export type ChatServerView = ServerView<ChatServerRecord>;

export class ChatServerRegistry extends ServerRegistry<ChatServerAddress, ChatServerRecord> {
  constructor(redis: Redis, options: RegistryOptions) {
    super(redis, options, {
      label: 'chat',
      recordsKey: RedisKeys.chatServers,
      pendingKey: PENDING_KEY,
      attachedKey: ATTACHED_KEY,
      address: (s) => ({ id: s.id, host: s.host, tcpPort: s.tcpPort, grpcPort: s.grpcPort, wsPort: s.wsPort, ...(s.grpcHost ? { grpcHost: s.grpcHost } : {}) }),
      parse: parseRecord,
    });
  }

  /** Chooses a chat server for uid (see server-picker.ts); undefined when none is live and not draining. */
  choose(uid: number): Promise<PickResult | undefined> {
    return pickChatServer(this.redis, uid, { nowMs: this.now(), staleAfterMs: STALE_AFTER_INTERVALS * this.intervalMs, random: this.random() });
  }
}
