import pino, { type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

export interface LoggerSettings {
  /** Server kind: gate, verify, status, chat. */
  kind: string;
  /** Server id, e.g. chat1; defaults to the kind. */
  id?: string;
  level?: string;
  /** Write somewhere other than stdout (tests). */
  destination?: NodeJS.WritableStream;
}

/** A pino logger that stamps kind and server id on every line and never prints secrets. */
export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? 'info',
    base: { kind: settings.kind, server: settings.id ?? settings.kind, pid: process.pid },
    redact: {
      paths: ['password', '*.password', 'token', '*.token', 'passwordHash', '*.passwordHash', 'code', '*.code', 'req.headers.authorization'],
      censor: '[redacted]',
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return settings.destination ? pino(options, settings.destination as pino.DestinationStream) : pino(options);
}
