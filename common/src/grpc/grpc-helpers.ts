import type { Server } from '@grpc/grpc-js';
import { credentials, ServerCredentials, type CallOptions, type ServiceError, type sendUnaryData, type ServerUnaryCall, type ChannelOptions } from '@grpc/grpc-js';
import { toParleyError, type ParleyError } from '../errors';
import type { Logger } from '../logger';
import { fromGrpcError, toGrpcError } from './grpc-errors';

export const DEFAULT_DEADLINE_MS = 5000;

export const insecure = credentials.createInsecure();

/** Channel options every Parley client uses: keepalive so a dead peer is noticed. */
export const CLIENT_CHANNEL_OPTIONS: ChannelOptions = {
  'grpc.keepalive_time_ms': 15000,
  'grpc.keepalive_timeout_ms': 5000,
  'grpc.keepalive_permit_without_calls': 1,
};

type UnaryInvoker<Res> = (options: CallOptions, callback: (err: ServiceError | null, value?: Res) => void) => unknown;

/**
 * Calls one unary method with a deadline and returns a promise; failures arrive as ParleyError.
 * Usage: `await unary<Reply>((opts, cb) => client.GetChatServer(req, opts, cb))`.
 */
export function unary<Res>(invoke: UnaryInvoker<Res>, deadlineMs = DEFAULT_DEADLINE_MS): Promise<Res> {
  return new Promise<Res>((resolve, reject) => {
    invoke({ deadline: Date.now() + deadlineMs }, (err, value) => {
      if (err) reject(fromGrpcError(err));
      else if (value === undefined) reject(toParleyError(new Error('empty gRPC reply')));
      else resolve(value);
    });
  });
}

/**
 * Wraps an async handler as a grpc-js unary handler: a ParleyError becomes its status and code,
 * anything else is logged and answered as INTERNAL without leaking details.
 */
export function unaryHandler<Req, Res>(logger: Logger, handler: (request: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    handler(call.request, call).then(
      (res) => callback(null, res),
      (err: unknown) => {
        const perr: ParleyError = toParleyError(err);
        if (perr.code === 'INTERNAL') logger.error({ err, path: call.getPath() }, 'gRPC handler failed');
        callback(toGrpcError(perr) as ServiceError);
      },
    );
  };
}

/** Binds a server on host:port (0 = any free port) and resolves the real port. */
export function bindServer(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (err, actual) => (err ? reject(err) : resolve(actual)));
  });
}

/** Graceful stop with a hard stop after `graceMs`. */
export function shutdownServer(server: Server, graceMs = 2000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
