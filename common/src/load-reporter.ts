import type { Logger } from './logger';
import { toParleyError } from './errors';
import type { ClusterCredentials } from './grpc/cluster-credentials';
import { unary } from './grpc/grpc-helpers';
import type { ChatServerInfo, DeregisterReply__Output, FileServerInfo, ReportLoadReply__Output, ReportSuspectReply__Output } from './grpc/messages';
import { createStatusClient, type StatusServiceClient } from './grpc/services';
import { StatusAttachment, type ClusterChange } from './status-attachment';

/** Which registry of the status-server the process reports to. */
export type LoadReporterOptions =
  | (ReporterCommon & { kind: 'chat'; server: ChatServerInfo })
  | (ReporterCommon & { kind: 'file'; server: FileServerInfo });

interface ReporterCommon {
  status: { host: string; port: number };
  credentials: ClusterCredentials;
  intervalSec: number;
  /** Logged-in sessions (or file connections) right now. */
  connections: () => number;
  logger: Logger;
  deadlineMs?: number;
  /** Chat servers going down or up, as the status-server hears of them (chat servers use it; file servers need not). */
  onClusterChange?: (change: ClusterChange) => void;
}

/**
 * Tells the status-server this chat or file server is alive and how loaded it is: an attachment stream
 * held open for the process's life (its end marks the server down at once; status-attachment.ts), a
 * report every status.report_interval_sec, `draining` once shutting down, and a deregistration at the
 * end. A status-server that is down only costs a warning; reports go on, and the attachment is made
 * again as soon as one answers.
 */
export class LoadReporter {
  private readonly client: StatusServiceClient;
  private timer: NodeJS.Timeout | undefined;
  private draining = false;
  private failing = false;
  private readonly deadlineMs: number;
  private readonly attachment: StatusAttachment;

  constructor(private readonly options: LoadReporterOptions) {
    this.client = createStatusClient(options.status.host, options.status.port, options.credentials);
    this.deadlineMs = options.deadlineMs ?? 2000;
    this.attachment = new StatusAttachment({
      client: this.client,
      logger: options.logger,
      request: () => {
        const load = { connections: options.connections(), draining: this.draining };
        return options.kind === 'chat' ? { chat: { server: options.server, ...load } } : { file: { server: options.server, ...load } };
      },
      ...(options.onClusterChange ? { onChange: options.onClusterChange } : {}),
    });
  }

  start(): void {
    this.attachment.open();
    void this.report();
    this.timer = setInterval(() => void this.report(), this.options.intervalSec * 1000);
    this.timer.unref();
  }

  /** Reports once; never throws. */
  async report(): Promise<boolean> {
    const { options } = this;
    const { connections, logger } = options;
    try {
      const load = { connections: connections(), draining: this.draining };
      await unary<ReportLoadReply__Output>(
        (opts, cb) =>
          options.kind === 'chat'
            ? this.client.ReportLoad({ server: options.server, ...load }, opts, cb)
            : this.client.ReportFileLoad({ server: options.server, ...load }, opts, cb),
        this.deadlineMs,
      );
      if (this.failing) logger.info('load reports reach the status-server again');
      this.failing = false;
      return true;
    } catch (err) {
      if (!this.failing) logger.warn({ err: toParleyError(err).message }, 'load report failed');
      this.failing = true;
      return false;
    }
  }

  /** Tells the status-server that `serverId` could not be reached; resolves true when it is now marked down. */
  async reportSuspect(serverId: string): Promise<boolean> {
    const reply = await unary<ReportSuspectReply__Output>((opts, cb) => this.client.ReportSuspect({ id: serverId, from: this.options.server.id }, opts, cb), this.deadlineMs);
    return reply.down;
  }

  /** Shutdown: one last report marked draining, then Deregister; stops the timer. */
  async drainAndDeregister(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.draining = true;
    await this.report();
    try {
      const id = this.options.server.id;
      await unary<DeregisterReply__Output>(
        (opts, cb) => (this.options.kind === 'chat' ? this.client.Deregister({ id }, opts, cb) : this.client.DeregisterFileServer({ id }, opts, cb)),
        this.deadlineMs,
      );
    } catch (err) {
      this.options.logger.warn({ err: toParleyError(err).message }, 'deregister failed');
    }
    // Only now: a stream ending while still registered would mark this server down.
    this.attachment.close();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.attachment.close();
    this.client.close();
  }
}
