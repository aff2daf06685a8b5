import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { encodeFrame, MsgId } from '@parley/protocol';
import type { FuzzFrame } from '@parley/protocol/fuzz';
import type { AnswerTally} from './answer-check';
import { ServerStreamCheck } from './answer-check';

export interface ChatFuzzOptions {
  host: string;
  port: number;
  /** How long one input may take to be answered (or the connection closed). */
  timeoutMs: number;
  /** A user and a fresh token for a new logged-in connection (each new token ends that user's previous session). */
  credentials: () => Promise<{ uid: number; token: string }>;
}

/** How one input went: answered (or closed) within the time bound, or not. */
export interface LiveResult {
  ms: number;
  timedOut: boolean;
  closed: boolean;
}

// Far above any reqId the samples or mutations use, so the sentinel's answer is unmistakable.
const FIRST_SENTINEL = 3_000_000_000;
let sentinel = FIRST_SENTINEL;

/** One TCP connection to a chat server whose every answer is checked. */
class CheckedSocket {
  closed = false;
  private readonly waiters = new Set<() => void>();
  readonly check: ServerStreamCheck;
  /** Ids of the frames received (the first 50: enough to judge an unauthenticated connection). */
  readonly ids: number[] = [];
  readonly answeredReqIds = new Set<number>();
  firstError: unknown;

  constructor(
    readonly socket: net.Socket,
    tally: AnswerTally,
    where: string,
  ) {
    this.check = new ServerStreamCheck(tally, where);
    socket.on('data', (chunk: Buffer) => {
      for (const f of this.check.push(chunk)) {
        if (this.ids.length < 50) this.ids.push(f.id);
        const reqId = (f.msg as { reqId?: number }).reqId;
        if (reqId !== undefined && reqId >= FIRST_SENTINEL) this.answeredReqIds.add(reqId);
        if (f.id === MsgId.Error) this.firstError ??= f.msg;
      }
      this.wake();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  static connect(options: ChatFuzzOptions, tally: AnswerTally, where: string): Promise<CheckedSocket> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: options.host, port: options.port });
      socket.once('connect', () => resolve(new CheckedSocket(socket, tally, where)));
      socket.once('error', reject);
    });
  }

  private wake(): void {
    for (const w of this.waiters) w();
  }

  /** Resolves true once `done()` holds (checked on every frame and on close), false after timeoutMs. */
  until(done: () => boolean, timeoutMs: number): Promise<boolean> {
    if (done()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        resolve(false);
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  answered(reqId: number): boolean {
    return this.answeredReqIds.delete(reqId);
  }
}

/**
 * Feeds one input to a connection that never logged in (each its own): it must be refused, never
 * served, and the connection closed once the client's FIN arrives.
 */
export async function feedUnauthenticated(options: ChatFuzzOptions, tally: AnswerTally, input: FuzzFrame): Promise<LiveResult> {
  const started = performance.now();
  const conn = await CheckedSocket.connect(options, tally, `unauthenticated ${input.kind}`);
  conn.socket.write(input.bytes);
  // A whole frame is answered before login (LOGIN_REQUIRED, TOKEN_INVALID, VALIDATION_FAILED…); then
  // the FIN must close it. Bytes that stop mid-frame (or none) get only the FIN.
  let answered = true;
  if (input.complete && input.bytes.length > 0) answered = await conn.until(() => conn.closed || conn.ids.length > 0, options.timeoutMs);
  conn.socket.end();
  const closed = answered && (await conn.until(() => conn.closed, options.timeoutMs));
  const served = conn.ids.filter((id) => id !== MsgId.Error);
  if (served.length > 0 && !conn.ids.includes(MsgId.LoginResp)) {
    tally.finding(`unauthenticated ${input.kind}: the server answered ${served.join(',')} before any login`);
  }
  conn.socket.destroy();
  return { ms: performance.now() - started, timedOut: !closed, closed };
}

/**
 * A logged-in connection fed one input at a time. After each complete input a BlockListReq with a
 * unique reqId follows: its answer proves the server read past the input and still serves (the
 * per-input time bound); an input that stops mid-frame is followed by a FIN and must be closed.
 */
export class ChatFuzzSession {
  private constructor(private readonly conn: CheckedSocket) {}

  static async open(options: ChatFuzzOptions, tally: AnswerTally): Promise<ChatFuzzSession> {
    const { uid, token } = await options.credentials();
    const conn = await CheckedSocket.connect(options, tally, 'logged-in');
    conn.socket.write(encodeFrame(MsgId.LoginReq, { reqId: 1, uid, token }));
    const ok = await conn.until(() => conn.closed || conn.ids.includes(MsgId.LoginResp) || conn.ids.includes(MsgId.Error), options.timeoutMs);
    if (!ok || !conn.ids.includes(MsgId.LoginResp)) {
      conn.socket.destroy();
      throw new Error(`fuzz login failed: ${JSON.stringify(conn.firstError ?? conn.ids)}`);
    }
    return new ChatFuzzSession(conn);
  }

  get closed(): boolean {
    return this.conn.closed;
  }

  async feed(input: FuzzFrame, timeoutMs: number): Promise<LiveResult> {
    const started = performance.now();
    const conn = this.conn;
    conn.socket.write(input.bytes);
    let done: boolean;
    if (input.complete) {
      const reqId = sentinel++;
      conn.socket.write(encodeFrame(MsgId.BlockListReq, { reqId }));
      done = await conn.until(() => conn.closed || conn.answered(reqId), timeoutMs);
    } else {
      conn.socket.end();
      done = await conn.until(() => conn.closed, timeoutMs);
    }
    return { ms: performance.now() - started, timedOut: !done, closed: conn.closed };
  }

  close(): void {
    this.conn.socket.destroy();
  }
}
