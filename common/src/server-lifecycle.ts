import { ConfigError, loadConfig } from './config/load-config';
import type { ParleyConfig } from './config/config-schema';
import { createLogger, type Logger } from './logger';

export interface RunningServer {
  /** Facts for the ready line (ports actually bound, etc.). */
  ready: Record<string, unknown>;
  /** Graceful stop: stop accepting, finish in-flight work, close connections. */
  stop(): Promise<void>;
}

export interface ServerContext {
  config: ParleyConfig;
  logger: Logger;
  id: string;
}

/** The value after `--name` on the command line, or undefined. */
export function argValue(name: string, argv: readonly string[] = process.argv): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

/**
 * The shared life of a server process: config (one clear line and exit 2 when bad), a logger bound to the
 * server id, a `{"event":"ready"}` log line once listening (the cluster harness waits for it), and a
 * graceful stop on SIGINT/SIGTERM with a hard deadline.
 */
export async function runServer(kind: string, start: (ctx: ServerContext) => Promise<RunningServer>, options: { id?: string; stopTimeoutMs?: number } = {}): Promise<void> {
  let config: ParleyConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${kind}: config error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const id = options.id ?? kind;
  const logger = createLogger({ kind, id, level: config.cluster.logLevel });
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled rejection');
    process.exit(1);
  });
  let running: RunningServer;
  try {
    running = await start({ config, logger, id });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${kind}: config error: ${err.message}\n`);
      process.exit(2);
    }
    logger.fatal({ err }, 'failed to start');
    process.exit(1);
  }
  // Lifecycle lines are printed even when the configured level is quieter: supervisors wait for them.
  const lifecycle = config.cluster.logLevel === 'silent' ? logger : logger.child({}, { level: 'info' });
  lifecycle.info({ event: 'ready', ...running.ready }, `${id} ready`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    const hard = setTimeout(() => {
      logger.error('graceful stop took too long; exiting');
      process.exit(1);
    }, options.stopTimeoutMs ?? 8000);
    hard.unref();
    running.stop().then(
      () => {
        lifecycle.info({ event: 'stopped' }, `${id} stopped`);
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
