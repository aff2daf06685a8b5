/**
 * Attachments: every chat and file server holds one Attach stream open to a status-server for its whole
 * life (docs/status-server.md, "Attachments"). Opening it registers the server like a load report; its end
 * — a kill -9 makes the kernel close the connection, which ends the stream at once — marks the server
 * down in the registry, so it is no longer chosen within milliseconds instead of after 3 silent report
 * intervals. The chat servers attached here hear of it on their streams (ClusterEvent), so they stop
 * pushing to the dead server and treat its users' routes as stale.
 *
 * Peers that fail to reach a server report it (ReportSuspect); the status-server then probes it with a
 * fresh gRPC connection and marks it down when that fails. This catches what a stream cannot see, such
 * as a server attached to another status-server.
 */
import { randomBytes } from 'node:crypto';
import type { ServerWritableStream } from '@grpc/grpc-js';
import { chatPeerAddress, ParleyError, probeChatServer, toGrpcError, type AttachRequest__Output, type ChatInstanceConfig, type ClusterCredentials, type ClusterEvent, type Logger, type Redis } from '@parley/common';
import type { ChatServerRegistry } from './chat-server-registry';
import type { FileServerRegistry } from './file-server-registry';
import { checkFileServer, checkServer } from './request-checks';

export interface AttachmentsDeps {
  redis: Redis;
  registry: ChatServerRegistry;
  fileRegistry: FileServerRegistry;
  credentials: ClusterCredentials;
  /** [chat.<id>] sections: where to probe a server the registry has no address for. */
  configured: readonly ChatInstanceConfig[];
  logger: Logger;
  /** How long a probe may take to connect before the server counts as unreachable. Default 1000 ms. */
  probeTimeoutMs?: number;
}

type AttachStream = ServerWritableStream<AttachRequest__Output, ClusterEvent>;

/** A suspect is probed at most once per this many ms; reports meanwhile share the last answer. */
const PROBE_EVERY_MS = 1000;

export class Attachments {
  /** Open chat-server streams: they hear about other chat servers going down and up. */
  private readonly chatStreams = new Set<AttachStream>();
  private readonly allStreams = new Set<AttachStream>();
  private readonly probes = new Map<string, { at: number; result: Promise<boolean> }>();
  /** `kind:id` → token of the open stream of that server on this status-server. */
  private readonly tokens = new Map<string, string>();
  private stopping = false;

  constructor(private readonly deps: AttachmentsDeps) {}

  /** The Attach handler (server streaming). */
  readonly attach = (call: AttachStream): void => {
    void this.open(call);
  };

  /** The token of the server's open stream here, '' when it has none (a report passes it on; attachment-scripts.ts). */
  tokenOf(kind: 'chat' | 'file', id: string): string {
    return this.tokens.get(`${kind}:${id}`) ?? '';
  }

  /** ReportSuspect: probes `id` (once per second at most) and marks it down when unreachable. */
  async suspect(id: string, from: string): Promise<boolean> {
    const recent = this.probes.get(id);
    if (recent && Date.now() - recent.at < PROBE_EVERY_MS) return recent.result;
    const result = this.probe(id, from);
    this.probes.set(id, { at: Date.now(), result });
    return result;
  }

  /** Ends every stream without marking anyone down (this status-server is stopping, not they). */
  stop(): void {
    this.stopping = true;
    for (const call of this.allStreams) call.end();
    this.allStreams.clear();
    this.chatStreams.clear();
  }

  private async open(call: AttachStream): Promise<void> {
    const { registry, fileRegistry, logger } = this.deps;
    const token = randomBytes(9).toString('base64url');
    let id: string;
    let kind: 'chat' | 'file';
    try {
      const { chat, file } = call.request;
      if (chat) {
        const server = checkServer(chat.server);
        id = server.id;
        kind = 'chat';
        await this.storage(() => registry.attach(server, chat.connections, chat.draining, token));
      } else if (file) {
        const server = checkFileServer(file.server);
        id = server.id;
        kind = 'file';
        await this.storage(() => fileRegistry.attach(server, file.connections, file.draining, token));
      } else {
        throw new ParleyError('VALIDATION_FAILED', 'chat or file is required', { details: { field: 'chat' } });
      }
    } catch (err) {
      call.emit('error', toGrpcError(err instanceof ParleyError ? err : new ParleyError('INTERNAL', 'attach failed', { cause: err })));
      return;
    }
    if (call.cancelled || this.stopping) {
      if (!this.stopping) void this.ended(call, kind, id, token);
      call.end();
      return;
    }
    this.allStreams.add(call);
    if (kind === 'chat') this.chatStreams.add(call);
    this.tokens.set(`${kind}:${id}`, token);
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      void this.ended(call, kind, id, token);
    };
    call.on('cancelled', end);
    call.on('error', end);
    call.write({ attached: true, reportIntervalSec: registry.reportIntervalSec });
    logger.info({ [kind === 'chat' ? 'chatServer' : 'fileServer']: id }, `${kind} server attached`);
    if (kind === 'chat') this.broadcast({ chatServerUp: id }, call);
  }

  private async ended(call: AttachStream, kind: 'chat' | 'file', id: string, token: string): Promise<void> {
    const { registry, fileRegistry, logger } = this.deps;
    this.allStreams.delete(call);
    this.chatStreams.delete(call);
    if (this.tokens.get(`${kind}:${id}`) === token) this.tokens.delete(`${kind}:${id}`);
    if (this.stopping) return;
    try {
      const marked = await (kind === 'chat' ? registry.detach(id, token) : fileRegistry.detach(id, token));
      if (!marked) return;
      logger.warn({ [kind === 'chat' ? 'chatServer' : 'fileServer']: id, event: 'server_down' }, `${kind} server detached: marked down`);
      if (kind === 'chat') this.broadcast({ chatServerDown: id });
    } catch (err) {
      logger.warn({ err, id }, 'marking a detached server down failed');
    }
  }

  private async probe(id: string, from: string): Promise<boolean> {
    const { redis, registry, credentials, configured, logger } = this.deps;
    const record = await this.storage(() => registry.get(id));
    if (record?.down) return true;
    const address = await chatPeerAddress(redis, id, configured);
    if (!address) return false;
    if (await probeChatServer(address, credentials, this.deps.probeTimeoutMs ?? 1000)) return false;
    const marked = await this.storage(() => registry.markDown(id));
    logger.warn({ chatServer: id, from, event: 'server_down' }, 'chat server failed a probe: marked down');
    if (marked) this.broadcast({ chatServerDown: id });
    return true;
  }

  private broadcast(event: ClusterEvent, except?: AttachStream): void {
    for (const call of this.chatStreams) if (call !== except && !call.cancelled) call.write(event);
  }

  private async storage<T>(step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (err) {
      if (err instanceof ParleyError) throw err;
      throw new ParleyError('UNAVAILABLE', 'status storage unavailable', { cause: err });
    }
  }
}
