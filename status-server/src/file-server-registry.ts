/**
 * The registry of file servers (server-registry.ts): RedisKeys.fileServers plus FILE_PENDING_KEY,
 * the same liveness rule as chat servers; the choice is the least loaded, with no sticky step.
 */
import { parseFileRecord, RedisKeys, STALE_AFTER_INTERVALS, type FileServerRecord, type Redis } from '@parley/common';
import { FILE_ATTACHED_KEY, FILE_PENDING_KEY, pickFileServer } from './server-picker';
import { ServerRegistry, type RegistryOptions, type ServerView } from './server-registry';

export type FileServerAddress = FileServerRecord['server'];
export type FileServerView = ServerView<FileServerRecord>;

export class FileServerRegistry extends ServerRegistry<FileServerAddress, FileServerRecord> {
  constructor(redis: Redis, options: RegistryOptions) {
    super(redis, options, {
      label: 'file',
      recordsKey: RedisKeys.fileServers,
      pendingKey: FILE_PENDING_KEY,
      attachedKey: FILE_ATTACHED_KEY,
      address: (s) => ({ id: s.id, host: s.host, tcpPort: s.tcpPort, wsPort: s.wsPort }),
      parse: parseFileRecord,
    });
  }

  /** The least-loaded live file server, counted as given one more login; undefined when none is live. */
  choose(): Promise<FileServerRecord | undefined> {
    return pickFileServer(this.redis, { nowMs: this.now(), staleAfterMs: STALE_AFTER_INTERVALS * this.intervalMs, random: this.random() });
  }
}
