import type { Socket } from 'node:net';

/**
 * Bytes read from one client per turn of the event loop before it waits for the next turn. A
 * flooding client would otherwise be read up to 2 MiB per turn (libuv reads 32 × 64 KiB), and
 * hundreds of them make one turn last seconds: every answer of that turn piles up unwritten, and
 * timers and database replies wait behind it. Far above what a normal client sends in a turn.
 */
export const READ_BYTES_PER_TURN = 64 * 1024;

/** The event loop's turn, counted by one setImmediate per turn in which anything was read (shared by every connection). */
let turn = 0;
let turnCounted = false;
function currentTurn(): number {
  if (!turnCounted) {
    turnCounted = true;
    setImmediate(() => {
      turn++;
      turnCounted = false;
    });
  }
  return turn;
}

export interface ReadThrottleOptions {
  /** Requests in flight at which reading stops; it resumes at half. */
  maxInFlight: number;
  /** Output buffered beyond which reading stops until the client has read it ('drain'). */
  pauseAboveBytes: number;
  /** Whether reading may resume now (false once the connection is closing). */
  mayResume: () => boolean;
}

/**
 * When one client socket is read: backpressure for everything the server holds for a client.
 * Reading stops while too many of its requests are in flight, while its answers are not read
 * (its TCP window fills then, not our memory), for the rest of a turn once it sent
 * READ_BYTES_PER_TURN, and for good at shutdown. Each reason is kept apart; the socket is read
 * again only when none holds.
 */
export class ReadThrottle {
  private inFlight = 0;
  private inFlightPaused = false;
  private outputPaused = false;
  private turnPaused = false;
  private stopped = false;
  private socketPaused = false;
  private readTurn = -1;
  private readThisTurn = 0;

  constructor(
    private readonly socket: Socket,
    private readonly options: ReadThrottleOptions,
  ) {}

  requestStarted(): void {
    this.inFlight++;
    if (this.inFlight >= this.options.maxInFlight && !this.inFlightPaused) {
      this.inFlightPaused = true;
      this.update();
    }
  }

  requestFinished(): void {
    this.inFlight--;
    if (this.inFlightPaused && this.inFlight <= this.options.maxInFlight / 2) {
      this.inFlightPaused = false;
      this.update();
    }
  }

  /** After a write, with the output now buffered for the client. */
  wrote(buffered: number): void {
    if (this.outputPaused || buffered <= this.options.pauseAboveBytes) return;
    // 'drain' comes once everything buffered is written (write() returned false long before this).
    this.outputPaused = true;
    this.update();
    this.socket.once('drain', () => {
      this.outputPaused = false;
      this.update();
    });
  }

  /** After `bytes` arrived. */
  read(bytes: number): void {
    const now = currentTurn();
    if (this.readTurn !== now) {
      this.readTurn = now;
      this.readThisTurn = 0;
    }
    this.readThisTurn += bytes;
    if (this.readThisTurn < READ_BYTES_PER_TURN || this.turnPaused) return;
    this.turnPaused = true;
    this.update();
    setImmediate(() => {
      this.turnPaused = false;
      this.update();
    });
  }

  /** Stops reading for good (shutdown). */
  stop(): void {
    this.stopped = true;
    this.update();
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  private update(): void {
    const pause = this.stopped || this.inFlightPaused || this.outputPaused || this.turnPaused;
    if (pause && !this.socketPaused) {
      this.socketPaused = true;
      this.socket.pause();
    } else if (!pause && this.socketPaused && this.options.mayResume()) {
      this.socketPaused = false;
      this.socket.resume();
    }
  }
}
