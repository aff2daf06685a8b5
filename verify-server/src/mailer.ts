/**
 * Sends verification mail with nodemailer: a pooled SMTP transport when `smtp.host` is set, otherwise a
 * development transport that only builds the message and logs the code (see `DevMailer`).
 * The SMTP server's certificate is always verified (nodemailer's default, never turned off here), against
 * `smtp.ca_file` when set and for the name `smtp.tls_servername` when set.
 */
import { readFileSync } from 'node:fs';
import { createTransport, type Transporter } from 'nodemailer';
import { ConfigError, type Logger, type ParleyConfig } from '@parley/common';
import type { Purpose } from './code-store';

export interface CodeMail {
  to: string;
  code: string;
  purpose: Purpose;
  ttlSec: number;
}

export interface Mailer {
  /** Resolves once the SMTP server accepted the message; rejects when it did not. */
  sendCode(mail: CodeMail): Promise<void>;
  close(): void;
  /** True when no mail leaves the process (development). */
  readonly devMode: boolean;
}

/** Connection timeouts: the gate waits for this RPC, so a dead relay must fail well within its deadline. */
const SMTP_TIMEOUTS = { connectionTimeout: 5000, greetingTimeout: 5000, socketTimeout: 10000 };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function minutes(ttlSec: number): string {
  const m = Math.max(1, Math.round(ttlSec / 60));
  return m === 1 ? '1 minute' : `${m} minutes`;
}

/** Subject, text and HTML of a code mail. The code appears in the body only, never in the subject. */
export function composeCodeMail(mail: CodeMail): { subject: string; text: string; html: string } {
  const action = mail.purpose === 'register' ? 'finish creating your Parley account' : 'reset your Parley password';
  const subject = mail.purpose === 'register' ? 'Your Parley sign-up code' : 'Your Parley password reset code';
  const lifetime = minutes(mail.ttlSec);
  const text = [
    `Your verification code is ${mail.code}`,
    '',
    `Enter it to ${action}. It expires in ${lifetime} and works once.`,
    '',
    'If you did not ask for it, ignore this mail; nothing changes without the code.',
    '',
  ].join('\r\n');
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<p>Your verification code is</p><p style="font-size:28px;font-weight:bold;letter-spacing:4px">${escapeHtml(mail.code)}</p>`,
    `<p>Enter it to ${escapeHtml(action)}. It expires in ${escapeHtml(lifetime)} and works once.</p>`,
    '<p style="color:#666">If you did not ask for it, ignore this mail; nothing changes without the code.</p>',
    '</body></html>',
  ].join('');
  return { subject, text, html };
}

class SmtpMailer implements Mailer {
  readonly devMode = false;
  private readonly transport: Transporter;

  constructor(
    private readonly cfg: ParleyConfig['smtp'],
  ) {
    this.transport = createTransport({
      pool: true,
      maxConnections: 5,
      host: cfg.host,
      port: cfg.port,
      secure: cfg.secure,
      ...(cfg.ehloName ? { name: cfg.ehloName } : {}),
      tls: {
        minVersion: 'TLSv1.2',
        ...(cfg.caFile ? { ca: readCaFile(cfg.caFile) } : {}),
        ...(cfg.tlsServername ? { servername: cfg.tlsServername } : {}),
      },
      ...(cfg.user ? { auth: { user: cfg.user, pass: cfg.password } } : {}),
      ...SMTP_TIMEOUTS,
    });
  }

  async sendCode(mail: CodeMail): Promise<void> {
    const { subject, text, html } = composeCodeMail(mail);
    await this.transport.sendMail({ from: this.cfg.from, to: mail.to, subject, text, html });
  }

  close(): void {
    this.transport.close();
  }
}

/**
 * Development mode (no SMTP host): the message is composed by nodemailer's JSON transport so it is
 * well-formed, but nothing is sent; the code is written to the log at warn level instead.
 */
class DevMailer implements Mailer {
  readonly devMode = true;
  private readonly transport: Transporter = createTransport({ jsonTransport: true });

  constructor(
    private readonly cfg: ParleyConfig['smtp'],
    private readonly logger: Logger,
  ) {}

  async sendCode(mail: CodeMail): Promise<void> {
    const { subject, text, html } = composeCodeMail(mail);
    await this.transport.sendMail({ from: this.cfg.from, to: mail.to, subject, text, html });
    // The ONE place a verification code may be logged: smtp.host is empty, so no mail leaves this process
    // and a developer needs the code. It goes in the message text because the logger redacts a `code` field.
    this.logger.warn({ devMail: true, to: mail.to, purpose: mail.purpose }, `SMTP is not configured (smtp.host is empty): no mail is sent. The code for ${mail.to} is ${mail.code}`);
  }

  close(): void {
    this.transport.close();
  }
}

/** The CA certificates of smtp.ca_file, read once at start-up; an unreadable file stops the server. */
function readCaFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(`[smtp] ca_file: cannot read ${path}: ${(err as Error).message}`);
  }
}

/**
 * The SMTP mailer, or the development mailer when smtp.host is empty — which is refused (ConfigError)
 * with smtp.required or NODE_ENV=production, so codes are never logged in production.
 */
export function createMailer(cfg: ParleyConfig['smtp'], logger: Logger, env: NodeJS.ProcessEnv = process.env): Mailer {
  if (cfg.host) return new SmtpMailer(cfg);
  if (cfg.required || env.NODE_ENV === 'production') {
    const why = cfg.required ? 'smtp.required is true' : 'NODE_ENV is production';
    throw new ConfigError(`[smtp] host is empty but ${why}: set smtp.host, or codes would only be logged`);
  }
  return new DevMailer(cfg, logger);
}
