/**
 * A real SMTP server on loopback that keeps what it receives, so tests follow a mail end to end.
 * Test-only: imported as `@parley/common/testing/smtp-sink`, so `smtp-server` (a dev dependency) is never
 * loaded by the servers or by `@parley/common/testing`'s other helpers.
 */
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  /** The raw RFC 5322 message as received. */
  raw: string;
  /** The name the client announced in EHLO/HELO. */
  heloName: string;
}

export interface SmtpSinkOptions {
  /** Speak TLS from the first byte (like port 465) with this key and certificate (PEM). */
  tls?: { key: string | Buffer; cert: string | Buffer };
}

/** Plain SMTP without STARTTLS or AUTH, as a local relay would be — or implicit TLS with `options.tls`. */
export class SmtpSink {
  readonly messages: ReceivedMail[] = [];
  /** Connection-level errors (e.g. a client that gave up on the TLS handshake), kept rather than thrown. */
  readonly errors: Error[] = [];
  private readonly waiters: { match: (m: ReceivedMail) => boolean; resolve: (m: ReceivedMail) => void }[] = [];
  private server: SMTPServer;
  port = 0;

  constructor(options: SmtpSinkOptions = {}) {
    this.server = new SMTPServer({
      disabledCommands: ['STARTTLS', 'AUTH'],
      ...(options.tls ? { secure: true, key: options.tls.key, cert: options.tls.cert } : {}),
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const mail: ReceivedMail = {
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
            heloName: session.hostNameAppearsAs,
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
    this.server.on('error', (err: Error) => this.errors.push(err));
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
