import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  /** The raw RFC 5322 message as received. */
  raw: string;
}

/**
 * A real SMTP server on loopback that keeps what it receives, so tests follow a mail end to end.
 * Plain SMTP without STARTTLS or AUTH, as a local relay would be.
 */
export class SmtpSink {
  readonly messages: ReceivedMail[] = [];
  private readonly waiters: { match: (m: ReceivedMail) => boolean; resolve: (m: ReceivedMail) => void }[] = [];
  private server: SMTPServer;
  port = 0;

  constructor() {
    this.server = new SMTPServer({
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const mail: ReceivedMail = {
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          };
          this.messages.push(mail);
          for (const w of [...this.waiters]) {
            if (w.match(mail)) {
              this.waiters.splice(this.waiters.indexOf(w), 1);
              w.resolve(mail);
            }
          }
          callback();
        });
      },
    });
  }

  async start(host = '127.0.0.1'): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, host, () => resolve());
    });
    const addr = this.server.server.address();
    this.port = typeof addr === 'object' && addr ? addr.port : 0;
    return this.port;
  }

  /** The next (or an already received) mail to `address`. */
  waitForMail(address: string, timeoutMs = 10000, since = 0): Promise<ReceivedMail> {
    const match = (m: ReceivedMail) => m.to.some((t) => t.toLowerCase() === address.toLowerCase());
    const have = this.messages.slice(since).find(match);
    if (have) return Promise.resolve(have);
    return new Promise((resolve, reject) => {
      const waiter = { match, resolve: (m: ReceivedMail) => (clearTimeout(timer), resolve(m)) };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`no mail to ${address} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** The 6-digit code in a verification mail's text. */
export function extractCode(raw: string): string | undefined {
  return /\b(\d{6})\b/.exec(raw.replace(/=\r?\n/g, ''))?.[1];
}
