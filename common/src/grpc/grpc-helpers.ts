import type { EventEmitter } from 'node:events';
import type { Http2Session, Settings } from 'node:http2';
import type { Server } from '@grpc/grpc-js';
import { type CallOptions, type ServiceError, type sendUnaryData, type ServerUnaryCall, type ChannelOptions } from '@grpc/grpc-js';
import { toParleyError, type ParleyError } from '../errors';
import type { Logger } from '../logger';
import type { ClusterCredentials } from './cluster-credentials';
import { fromGrpcError, toGrpcError } from './grpc-errors';

export const DEFAULT_DEADLINE_MS = 5000;

/**
 * Channel options every Parley client uses: keepalive so a dead peer is noticed, and a short reconnect
 * backoff. grpc-js waits 1 s after the first failed connection and up to 120 s later on (±20 %), and a
 * call made while it waits fails at once: a gate whose status-server was down for ten seconds refused
 * logins for up to ten more after it was back. Every channel here is internal (a few per process, to
 * servers on the same network), so trying again every ≤ 500 ms costs nothing.
 */
export const CLIENT_CHANNEL_OPTIONS: ChannelOptions = {
  'grpc.keepalive_time_ms': 15000,
  'grpc.keepalive_timeout_ms': 5000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 500,
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

/** Binds a server on host:port (0 = any free port) with the cluster's mTLS and resolves the real port. */
export function bindServer(server: Server, host: string, port: number, creds: ClusterCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, creds.server, (err, actual) => (err ? reject(err) : resolve(actual)));
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

/**
 * Raises the HTTP/2 receive windows (per stream and per connection) of a grpc-js server before it
 * is bound. The default 64 KiB lets a large request (a Deliver of thousands of frames) through only
 * one window per round trip of WINDOW_UPDATE frames, and when both event loops are busy each of
 * those round trips is slow: pushes to other servers fell behind at high rates. grpc-js offers
 * `grpc-node.flow_control_window` for channels only, so this reaches into the server's (private)
 * http2 options; it returns false, changing nothing, when they are not where grpc-js 1.14 keeps
 * them (a test guards that).
 */
export function widenServerFlowControl(server: Server, windowBytes: number): boolean {
  const internals = server as unknown as { commonServerOptions?: { settings?: Settings }; http2Servers?: Map<EventEmitter, unknown> };
  const options = internals.commonServerOptions;
  const servers = internals.http2Servers;
  if (typeof options !== 'object' || options === null || !(servers instanceof Map)) return false;
  options.settings = { ...options.settings, initialWindowSize: windowBytes };
  const set = servers.set.bind(servers);
  servers.set = (http2Server, value) => {
    http2Server.on('session', (session: Http2Session) => {
      try {
        session.setLocalWindowSize(windowBytes);
      } catch {
        // A session that closed at once: nothing to widen.
      }
    });
    return set(http2Server, value);
  };
  return true;
}
