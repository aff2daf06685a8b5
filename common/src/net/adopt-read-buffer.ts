import net from 'node:net';
import tls from 'node:tls';

/**
 * Gives a socket that a net.Server accepted a caller-owned read buffer, as net's `onread` option
 * does for sockets Node creates (net.connect) but does not offer for accepted ones.
 *
 * Why: without it every read is a fresh 64 KiB off-heap buffer. During a 1 GiB upload that is
 * 16 000 external allocations, and V8's major GC for that external memory (concurrent marking +
 * sweeping) took a fifth of a CPU-bound file server's core. With a reused buffer a read allocates
 * nothing, and a large buffer also means fewer reads.
 *
 * How (Node 20's lib/net.js): `new net.Socket({ handle, onread })` stores `onread` before
 * `initSocketHandle`, which points the handle's reads at the buffer (`useUserBuffer`) and owns the
 * handle. So the accepted socket (created paused: the server's `pauseOnConnect`, so nothing was
 * read into Node's buffers yet) hands its `_handle` over to a new Socket and lets go of it. That
 * touches `_handle`, which is private: this file is the only place that does, and
 * common/test/adopt-read-buffer.test.ts fails if Node stops behaving this way. When anything
 * looks different (a TLS socket, no handle, the handle already reading) it returns undefined and
 * the caller uses the accepted socket as it is (call `resume()` on it: it is paused).
 *
 * One buffer may serve every socket of a process: libuv reads into it and calls back into
 * JavaScript at once, read by read, so it is free again as soon as `onRead` returns. `onRead`
 * must therefore copy whatever it keeps; the view it gets is overwritten by the next read.
 * In this mode the socket emits no 'data' events; pause() and resume() stop and restart reading
 * (net.Socket handles both for `onread` sockets), and 'end', 'close', 'error' are as usual.
 */
export function adoptWithReadBuffer(accepted: net.Socket, buffer: Buffer, onRead: (bytes: Buffer) => void): net.Socket | undefined {
  if (accepted instanceof tls.TLSSocket || !(accepted instanceof net.Socket) || accepted.destroyed) return undefined;
  const holder = accepted as unknown as { _handle: unknown };
  const handle = holder._handle as { reading?: boolean; useUserBuffer?: unknown; readStop?: unknown } | null;
  // `reading` false: pauseOnConnect stopped the handle before its first read.
  if (!handle || handle.reading !== false || typeof handle.useUserBuffer !== 'function' || typeof handle.readStop !== 'function') return undefined;
  const onread: net.OnReadOpts = {
    buffer,
    callback: (bytes, into) => {
      onRead(Buffer.from(into.buffer, into.byteOffset, bytes));
      return true;
    },
  };
  // `handle` and `onread` are constructor options @types/node does not declare for net.Socket.
  const options = { handle, allowHalfOpen: accepted.allowHalfOpen, readable: true, writable: true, onread };
  const socket = new net.Socket(options as net.SocketConstructorOpts);
  // The accepted wrapper lets go of the handle without closing it: destroyed with no handle, it
  // only emits its own 'close' and leaves its server's connection count.
  holder._handle = null;
  accepted.destroy();
  return socket;
}
