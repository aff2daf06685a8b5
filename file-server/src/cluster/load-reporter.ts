import {
  createStatusClient,
  toParleyError,
  unary,
  type DeregisterReply__Output,
  type FileServerInfo,
  type Logger,
  type ReportLoadReply__Output,
  type StatusServiceClient,
} from '@parley/common';

export interface FileLoadReporterOptions {
  server: FileServerInfo;
  status: { host: string; port: number };
  intervalSec: number;
  /** Logged-in file connections right now. */
  connections: () => number;
  logger: Logger;
  deadlineMs?: number;
}

/**
 * ReportFileLoad every status.report_interval_sec (the first registers this file server),
 * `draining` once shutting down, DeregisterFileServer at the end. A status-server that is down
 * costs a warning; reports go on.
 */
export class FileLoadReporter {
  private readonly client: StatusServiceClient;
  private timer: NodeJS.Timeout | undefined;
  private draining = false;
  private failing = false;
  private readonly deadlineMs: number;

  constructor(private readonly options: FileLoadReporterOptions) {
    this.client = createStatusClient(options.status.host, options.status.port);
    this.deadlineMs = options.deadlineMs ?? 2000;
  }

  start(): void {
    void this.report();
    this.timer = setInterval(() => void this.report(), this.options.intervalSec * 1000);
    this.timer.unref();
  }

  /** Reports once; never throws. */
  async report(): Promise<boolean> {
    const { server, connections, logger } = this.options;
    try {
      await unary<ReportLoadReply__Output>((opts, cb) => this.client.ReportFileLoad({ server, connections: connections(), draining: this.draining }, opts, cb), this.deadlineMs);
      if (this.failing) logger.info('load reports reach the status-server again');
      this.failing = false;
      return true;
    } catch (err) {
      if (!this.failing) logger.warn({ err: toParleyError(err).message }, 'load report failed');
      this.failing = true;
      return false;
    }
  }

  /** Shutdown: one last report marked draining, then Deregister. */
  async drainAndDeregister(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.draining = true;
    await this.report();
    try {
      await unary<DeregisterReply__Output>((opts, cb) => this.client.DeregisterFileServer({ id: this.options.server.id }, opts, cb), this.deadlineMs);
    } catch (err) {
      this.options.logger.warn({ err: toParleyError(err).message }, 'deregister failed');
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.client.close();
  }
}
