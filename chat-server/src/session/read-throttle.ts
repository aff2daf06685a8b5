import type { ClientSocket } from '@parley/common';

/**
 * Bytes read from one client per turn of the event loop before it waits for the next turn. A
 * flooding client would otherwise be read up to 2 MiB per turn (libuv reads 32 × 64 KiB), and
 * hundreds of them make one turn last seconds: every answer of that turn piles up unwritten, and
 * timers and database replies wait behind it. Far above what a normal client sends in a turn.
 */
export const READ_BYTES_PER_TURN = 64 * 1024;

/**
 * Bytes read from all clients together per turn; past it a client that reads waits its turn in a
 * queue. About 7,000 small frames: a turn stays short enough that its answers leave promptly
 * (they are written at its end) and do not age into V8's old generation.
 */
export const READ_BYTES_PER_TURN_ALL = 1024 * 1024;

/**
 * The process's read budget per turn of the event loop, shared by every connection. A client that
 * reads past it is paused and queued; each turn resumes, in order, as many queued clients as the
 * budget would hold at READ_BYTES_PER_TURN each. They are charged what they then read, not that
 * allowance: reserving it made a queue, once formed, permanent — the resumed few used up the next
 * turn's budget before reading, every other client that read in it was queued behind them, and a
 * server at a tenth of its capacity read only a few clients per turn. So a turn reads at most
 * about the budget plus one chunk per client that had not yet read in it, however many flood.
 */
class TurnBudget {
  turn = 0;
  /** Turns in which some client read past the budget and had to wait (reading was behind). */
  exhaustedTurns = 0;
  private exhausted = false;
  private spent = 0;
  private counting = false;
  private readonly waiting: (() => void)[] = [];

  /** Charges `bytes` to this turn; false when the turn's budget is spent. */
  charge(bytes: number): boolean {
    this.count();
    this.spent += bytes;
    if (this.spent <= READ_BYTES_PER_TURN_ALL) return true;
    if (!this.exhausted) {
      this.exhausted = true;
      this.exhaustedTurns++;
    }
    return false;
  }

  /** Queues a paused client; `resume` is called in a later turn. */
  wait(resume: () => void): void {
    this.waiting.push(resume);
    this.count();
  }

  /** Counts turns with one setImmediate per turn in which anything was read or waits. */
  private count(): void {
    if (this.counting) return;
    this.counting = true;
    setImmediate(() => {
      this.turn++;
      this.spent = 0;
      this.exhausted = false;
      this.counting = false;
      let room = Math.max(1, Math.floor(READ_BYTES_PER_TURN_ALL / READ_BYTES_PER_TURN));
      while (room-- > 0 && this.waiting.length > 0) (this.waiting.shift() as () => void)();
      if (this.waiting.length > 0) this.count();
    });
  }
}

const budget = new TurnBudget();

/**
 * Turns of the event loop that read anything, and those of them in which the read budget ran out
 * (more was waiting than a turn may read: the server is behind its sockets), since the process
 * started. Send admission watches the share of exhausted turns.
 */
export function readTurns(): { turns: number; exhausted: number } {
  return { turns: budget.turn, exhausted: budget.exhaustedTurns };
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
 * READ_BYTES_PER_TURN or all clients together READ_BYTES_PER_TURN_ALL (then it waits its turn in
 * the shared queue), and for good at shutdown. Each reason is kept apart; the socket is read
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
    private readonly socket: ClientSocket,
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
    if (this.readTurn !== budget.turn) {
      this.readTurn = budget.turn;
      this.readThisTurn = 0;
    }
    this.readThisTurn += bytes;
    const withinAll = budget.charge(bytes);
    if ((withinAll && this.readThisTurn < READ_BYTES_PER_TURN) || this.turnPaused) return;
    this.turnPaused = true;
    this.update();
    budget.wait(() => {
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
