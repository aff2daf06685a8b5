/**
 * Route handlers still running. A stop closes the HTTP server first, but a handler can outlive its
 * connection (a client that gave up, a connection cut at the grace deadline); its last writes — a failed
 * login counted, a password hash upgraded — must still reach Redis and MySQL before they are closed.
 */
import type { RequestHandler } from 'express';

export class InFlight {
  private readonly pending = new Set<Promise<unknown>>();

  /** The handler, with each of its runs tracked until it settles. */
  track(handler: RequestHandler): RequestHandler {
    return (req, res, next) => {
      const run = Promise.resolve(handler(req, res, next));
      this.pending.add(run);
      const done = () => this.pending.delete(run);
      run.then(done, done);
      return run;
    };
  }

  /** Resolves when every tracked run has settled, or after timeoutMs. */
  async settled(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([Promise.allSettled([...this.pending]), timeout]);
    clearTimeout(timer);
  }
}
