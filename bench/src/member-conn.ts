/**
 * A group member's connection in the group benchmark's generator (group-worker.ts): a raw net
 * socket with its own TlvDecoder, logged in with an issued token, and writes batched so that
 * frames queued during a turn of the event loop leave in one write per socket (as load-worker.ts).
 */
import net from 'node:net';
import { encodeFrame, MsgId, TlvDecoder } from '@parley/protocol';
import type { GroupWorkerUser } from './group-protocol';

const LOGIN_TIMEOUT_MS = 30_000;

export class MemberConn {
  readonly decoder = new TlvDecoder({ maxBodyBytes: 16 * 1024 * 1024 });
  loggedIn = false;
  /** Closed on purpose (disconnect), not dropped. */
  closing = false;
  closed = false;
  /** Sends not yet answered. */
  outstanding = 0;
  out: Buffer[] = [];
  /** Highest pushed seq of the member's group not yet acknowledged with DeliveredAck. */
  deliveredSeq = 0;
  lastError = '';
  /** Set while logging in; the frame handler calls it on LoginResp or an Error. */
  onLogin: ((ok: boolean, reason: string) => void) | undefined;

  constructor(
    readonly user: GroupWorkerUser,
    readonly socket: net.Socket,
  ) {}
}

let dirty: MemberConn[] = [];
let flushScheduled = false;

/** Queues a frame; it leaves with the connection's other frames at the next flush. */
export function queue(c: MemberConn, frame: Buffer): void {
  if (c.closed) return;
  c.out.push(frame);
  if (c.out.length === 1) {
    dirty.push(c);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
  }
}

/** Writes every queued frame now, one write per connection. */
export function flush(): void {
  flushScheduled = false;
  const list = dirty;
  dirty = [];
  for (const c of list) {
    const out = c.out;
    c.out = [];
    if (c.closed || out.length === 0) continue;
    c.socket.write(out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out));
  }
}

export interface MemberHooks {
  onData(c: MemberConn, chunk: Buffer): void;
  /** The connection closed without being asked to, after login. */
  onDrop(c: MemberConn): void;
}

/** Connects and logs in; resolves the connection, or the reason it failed (it is closed then). */
export function openMember(user: GroupWorkerUser, hooks: MemberHooks): Promise<MemberConn | string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: user.host, port: user.port, localAddress: user.localAddress, noDelay: true });
    const c = new MemberConn(user, socket);
    let settled = false;
    const timer = setTimeout(() => done(false, 'login_timeout'), LOGIN_TIMEOUT_MS);
    const done = (ok: boolean, reason: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      c.onLogin = undefined;
      if (ok) return resolve(c);
      c.closing = true;
      socket.destroy();
      resolve(reason || 'closed');
    };
    c.onLogin = done;
    socket.once('connect', () => socket.write(encodeFrame(MsgId.LoginReq, { reqId: 0, uid: user.uid, token: user.token })));
    socket.on('data', (chunk: Buffer) => hooks.onData(c, chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      c.lastError = err.code ?? err.message;
    });
    socket.once('close', () => {
      c.closed = true;
      if (!settled) done(false, c.lastError || 'closed_before_login');
      else if (!c.closing) hooks.onDrop(c);
    });
  });
}

/** Closes every connection on purpose; resolves when all are closed. */
export async function closeAll(conns: readonly MemberConn[]): Promise<void> {
  await Promise.all(
    conns.map((c) => {
      c.closing = true;
      if (c.closed) return Promise.resolve();
      return new Promise<void>((resolve) => {
        c.socket.once('close', () => resolve());
        c.socket.destroy();
      });
    }),
  );
}
