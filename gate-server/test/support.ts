/**
 * Gate test plumbing: a real gate (in-process, port 0) on real MySQL and Redis, with a real verify-server
 * and status-server over gRPC, and a real SMTP sink for the codes. Nothing is mocked.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger, createStatusClient, unary, type ParleyConfig, type ReportLoadReply__Output, type RunningServer, type StatusServiceClient } from '@parley/common';
import { createTestEnv, extractCode, type TestEnv, testClusterCredentials } from '@parley/common/testing';
import { SmtpSink } from '@parley/common/testing/smtp-sink';
import { startStatusServer } from '@parley/status-server';
import { startVerifyServer } from '@parley/verify-server';
import { startGateServer } from '../src/index';

export interface HttpResult {
  status: number;
  body: Record<string, unknown>;
  text: string;
  headers: Headers;
}

export interface GateOverrides {
  gate?: Partial<ParleyConfig['gate']>;
  verify?: Partial<ParleyConfig['verify']>;
  status?: Partial<ParleyConfig['status']>;
}

export const CHAT1 = { id: 'chat1', host: '127.0.0.1', tcpPort: 7001, grpcPort: 7002 };

/** The shared backends: one database, one Redis prefix, one SMTP sink, one verify- and one status-server. */
export class Backing {
  private constructor(
    readonly env: TestEnv,
    readonly sink: SmtpSink,
    readonly verify: RunningServer,
    readonly status: RunningServer,
    readonly statusClient: StatusServiceClient,
    /** Config with the real verify/status ports and SMTP pointed at the sink. */
    readonly config: ParleyConfig,
  ) {}

  static async start(overrides: Omit<GateOverrides, 'gate'> = {}): Promise<Backing> {
    const sink = new SmtpSink();
    await sink.start();
    const env = await createTestEnv();
    const logger = createLogger({ kind: 'test', level: env.config.cluster.logLevel });
    const base: ParleyConfig = {
      ...env.config,
      smtp: { ...env.config.smtp, host: '127.0.0.1', port: sink.port, secure: false },
      verify: { ...env.config.verify, port: 0, ...overrides.verify },
      // chat1 reports once, at the start: a long interval keeps it live for the whole file.
      status: { ...env.config.status, port: 0, reportIntervalSec: 60, ...overrides.status },
    };
    const verify = await startVerifyServer({ config: base, logger: logger.child({ server: 'verify' }), id: 'verify' });
    const status = await startStatusServer({ config: base, logger: logger.child({ server: 'status' }), id: 'status' });
    const config: ParleyConfig = {
      ...base,
      verify: { ...base.verify, port: verify.ready.port as number },
      status: { ...base.status, port: status.ready.port as number },
    };
    const statusClient = createStatusClient('127.0.0.1', config.status.port, testClusterCredentials());
    const backing = new Backing(env, sink, verify, status, statusClient, config);
    await backing.reportChatServer();
    return backing;
  }

  /** Registers (or refreshes) chat1 through the status-server's real ReportLoad RPC. */
  reportChatServer(draining = false): Promise<ReportLoadReply__Output> {
    return unary<ReportLoadReply__Output>((o, cb) => this.statusClient.ReportLoad({ server: CHAT1, connections: 0, draining }, o, cb));
  }

  async stop(): Promise<void> {
    this.statusClient.close();
    await Promise.allSettled([this.verify.stop(), this.status.stop()]);
    await this.sink.stop();
    await this.env.cleanup();
  }
}

export interface Gate {
  url: string;
  server: RunningServer;
  /** The gate's log lines (JSON), at the configured level. */
  logs: string[];
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<HttpResult>;
  get(path: string, headers?: Record<string, string>): Promise<HttpResult>;
  stop(): Promise<void>;
}

export async function startGate(backing: Backing, overrides: GateOverrides['gate'] = {}, config: ParleyConfig = backing.config): Promise<Gate> {
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(chunk.toString());
      if (process.env.PARLEY_TEST_ECHO) process.stdout.write(chunk);
      cb();
    },
  });
  const logger = createLogger({ kind: 'gate', level: config.cluster.logLevel, destination });
  const server = await startGateServer({ config: { ...config, gate: { ...config.gate, port: 0, ...overrides } }, logger, id: 'gate' });
  const url = `http://127.0.0.1:${server.ready.port as number}`;
  return {
    url,
    server,
    logs,
    post: (path, body, headers = {}) => request(url, 'POST', path, body, { 'content-type': 'application/json', ...headers }),
    get: (path, headers = {}) => request(url, 'GET', path, undefined, headers),
    stop: () => server.stop(),
  };
}

export async function request(url: string, method: string, path: string, body: unknown, headers: Record<string, string>): Promise<HttpResult> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = {};
  }
  return { status: res.status, body: parsed, text, headers: res.headers };
}

/** Asserts an error answer: JSON `{ error: { code, message } }` with the given status and code; returns the error object. */
export function expectError(res: HttpResult, status: number, code: string): { code: string; message: string; details?: unknown } {
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status}: ${res.text}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const error = res.body.error as { code: string; message: string; details?: unknown } | undefined;
  assert.ok(error, `no error object in ${res.text}`);
  assert.equal(error.code, code);
  assert.equal(typeof error.message, 'string');
  assert.ok(!/\bat .+\(.+:\d+:\d+\)/.test(res.text), 'a stack trace leaked');
  return error;
}

/** The distinct field names in a VALIDATION_FAILED / WEAK_PASSWORD answer, in order of appearance. */
export function issueFields(error: { details?: unknown }): string[] {
  assert.ok(Array.isArray(error.details), 'details is a list');
  const fields = (error.details as { field: string; message: string }[]).map((d) => {
    assert.equal(typeof d.message, 'string');
    assert.ok(d.message.length > 0);
    return d.field;
  });
  return [...new Set(fields)];
}

let counter = 0;
export function unique(tag: string): string {
  counter += 1;
  return `${tag}${(process.pid % 10000).toString(36)}${Date.now().toString(36).slice(-5)}${counter}`;
}

export function freshEmail(tag = 'user'): string {
  return `${unique(tag)}@example.test`;
}

export const GOOD_PASSWORD = 'correct-Horse-7';

/** Asks the gate for a code and reads it out of the mail at the sink. */
export async function codeFor(gate: Gate, backing: Backing, email: string, purpose: 'register' | 'reset' = 'register', headers: Record<string, string> = {}): Promise<string> {
  const since = backing.sink.messages.length;
  const res = await gate.post('/api/verify-code', { email, purpose }, headers);
  assert.equal(res.status, 200, res.text);
  const mail = await backing.sink.waitForMail(email, 10000, since);
  const code = extractCode(mail.raw);
  assert.ok(code, 'mail has a code');
  return code;
}

/** Registers a user through the real flow (code by mail) and returns the answer body. */
export async function registerUser(gate: Gate, backing: Backing, fields: { name?: string; email?: string; password?: string; nickname?: string } = {}): Promise<{ uid: number; name: string; nickname: string; email: string; password: string }> {
  const name = fields.name ?? unique('u');
  const email = fields.email ?? freshEmail(name);
  const password = fields.password ?? GOOD_PASSWORD;
  const code = await codeFor(gate, backing, email);
  const res = await gate.post('/api/register', { email, code, name, password, ...(fields.nickname === undefined ? {} : { nickname: fields.nickname }) });
  assert.equal(res.status, 201, res.text);
  return { ...(res.body as { uid: number; name: string; nickname: string }), email: email.toLowerCase(), password };
}

export { extractCode };
