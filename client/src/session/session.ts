import { MsgId, ProtocolError, type LoginResp, type ServerMessage } from '@parley/protocol/codec';
import type { ConnectionStatus } from '../client-api';
import { ChatConnection } from '../connection/chat-connection';
import type { GateClient, LoginAnswer } from '../gate/gate-client';
import { GateError } from '../gate/gate-error';
import type { TransportFactory } from '../transport/frame-transport';
import { Backoff } from './backoff';

export interface SessionDeps {
  gate: GateClient;
  transport: TransportFactory;
  backoff?: Backoff;
  /** The saved uid and token; the session asks the gate for a chat server with them. */
  credentials(): { uid: number; token: string } | undefined;
  /** A new token and server from the gate (saved by the caller, never the password). */
  onAnswer(answer: LoginAnswer): Promise<void>;
  /** Logged in on a new connection: sync, flush the outbox, refresh lists. */
  onOnline(connection: ChatConnection, login: LoginResp): Promise<void>;
  onOffline(): void;
  onPush(message: ServerMessage): void;
  onStatus(status: ConnectionStatus): void;
  requestTimeoutMs?: number;
}

/** Silence for this many heartbeat intervals means the link is dead (the server uses the same rule). */
const SILENT_INTERVALS = 3;
/** A Reconnect push (the server is draining) waits at most this long, jittered, before the gate. */
const RECONNECT_PUSH_MAX_WAIT_MS = 250;

/**
 * One logged-in chat connection at a time: gate → connect → LoginReq → heartbeat; when the connection
 * drops it goes back through the gate (for a possibly different server and a new token) with
 * exponential backoff and full jitter. Kick or a refused token stops it with the reason.
 */
export class Session {
  private stopped = true;
  private current: ChatConnection | undefined;
  private wake: (() => void) | undefined;
  /** Set by a Reconnect push: the server's reason, and no backoff wait. */
  private reconnectReason: string | undefined;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private readonly backoff: Backoff;
  private runPromise: Promise<void> | undefined;

  constructor(private readonly deps: SessionDeps) {
    this.backoff = deps.backoff ?? new Backoff();
  }

  get connection(): ChatConnection | undefined {
    return this.current?.isOpen ? this.current : undefined;
  }

  /** Starts (or restarts) with a fresh login answer, or through the gate with the saved token. */
  start(initial?: LoginAnswer): void {
    if (!this.stopped) throw new Error('The session is running; stop it first');
    this.stopped = false;
    this.backoff.reset();
    this.runPromise = this.run(initial);
  }

  get running(): boolean {
    return !this.stopped;
  }

  /** Ends the session: closes the connection, stops retrying. */
  async stop(status: ConnectionStatus): Promise<void> {
    this.stopped = true;
    this.deps.onStatus(status);
    this.current?.close();
    this.wake?.();
    await this.runPromise;
  }

  private async run(initial: LoginAnswer | undefined): Promise<void> {
    let answer = initial;
    this.deps.onStatus({ state: 'connecting' });
    while (!this.stopped) {
      try {
        if (answer === undefined) {
          const creds = this.deps.credentials();
          if (!creds) return this.halt('No saved session');
          answer = await this.deps.gate.session(creds.uid, creds.token);
          // Saved even when stopping meanwhile: the old token no longer works.
          await this.deps.onAnswer(answer);
          if (this.stopped) return;
        }
        await this.connectOnce(answer);
      } catch (err) {
        if (refusesCredentials(err)) return this.halt(`TOKEN_INVALID: ${(err as Error).message}`);
      }
      answer = undefined;
      if (this.stopped) return;
      const pushed = this.reconnectReason;
      this.reconnectReason = undefined;
      const delay = pushed !== undefined ? Math.floor(Math.random() * RECONNECT_PUSH_MAX_WAIT_MS) : this.backoff.next();
      this.deps.onStatus({ state: 'reconnecting', retryAtMs: Date.now() + delay, reason: pushed ?? 'connection_lost' });
      await this.sleep(delay);
    }
  }

  private halt(reason: string): void {
    this.stopped = true;
    this.deps.onStatus({ state: 'stopped', reason });
  }

  /** Resolves when the connection it made has closed. */
  private async connectOnce(answer: LoginAnswer): Promise<void> {
    let closed!: () => void;
    const closedPromise = new Promise<void>((resolve) => {
      closed = resolve;
    });
    const transport = this.deps.transport({ host: answer.host, tcpPort: answer.tcpPort, ...(answer.wsPort === undefined ? {} : { wsPort: answer.wsPort }), ...(answer.tls ? { tls: true } : {}) });
    const connection = new ChatConnection(
      transport,
      {
        onPush: (message) => this.onPush(connection, message),
        onClose: () => {
          this.stopHeartbeat();
          if (this.current === connection) {
            this.current = undefined;
            this.deps.onOffline();
          }
          closed();
        },
      },
      this.deps.requestTimeoutMs,
    );
    this.current = connection;
    try {
      await transport.connect();
      if (this.stopped) connection.close();
      const login = await connection.request(MsgId.LoginReq, { uid: answer.uid, token: answer.token });
      this.backoff.reset();
      this.startHeartbeat(connection, login.heartbeatSec);
      this.deps.onStatus({ state: 'online' });
      await this.deps.onOnline(connection, login).catch(() => undefined);
    } catch (err) {
      connection.close();
      await closedPromise;
      throw err;
    }
    await closedPromise;
  }

  private onPush(connection: ChatConnection, message: ServerMessage): void {
    if (message.id === MsgId.Kick) {
      this.stopped = true;
      this.deps.onStatus({ state: 'stopped', reason: message.msg.reason });
      connection.close();
      this.wake?.();
      return;
    }
    if (message.id === MsgId.Reconnect) {
      this.reconnectReason = message.msg.reason;
      connection.close();
      return;
    }
    this.deps.onPush(message);
  }

  private startHeartbeat(connection: ChatConnection, heartbeatSec: number): void {
    this.stopHeartbeat();
    const intervalMs = heartbeatSec * 1000;
    this.heartbeat = setInterval(() => {
      if (Date.now() - connection.lastFrameAtMs > SILENT_INTERVALS * intervalMs) {
        connection.close();
        return;
      }
      try {
        connection.send(MsgId.Ping, {});
      } catch {
        connection.close();
      }
    }, intervalMs);
    (this.heartbeat as { unref?: () => void }).unref?.();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }
}

function refusesCredentials(err: unknown): boolean {
  if (err instanceof GateError) return err.refusesCredentials;
  return err instanceof ProtocolError && err.code === 'TOKEN_INVALID';
}
