/** Test plumbing: a real verify-server (in-process gRPC), a real SMTP sink, real Redis. */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import {
  createLogger,
  createVerifyClient,
  ParleyError,
  unary,
  type CheckCodeReply__Output,
  type GetVerifyCodeReply__Output,
  type ParleyConfig,
  type RunningServer,
  type VerifyServiceClient,
} from '@parley/common';
import type { SmtpSink } from '@parley/common/testing/smtp-sink';
import { startVerifyServer } from '../src/index';
import { testClusterCredentials } from '@parley/common/testing';

export type Overrides = { verify?: Partial<ParleyConfig['verify']>; smtp?: Partial<ParleyConfig['smtp']> };

export interface VerifyHarness {
  client: VerifyServiceClient;
  server: RunningServer;
  /** Every log line the server wrote, raw. */
  logs: string[];
  getCode(email: string, purpose?: 'REGISTER' | 'RESET', clientIp?: string): Promise<GetVerifyCodeReply__Output>;
  check(email: string, code: string, purpose?: 'REGISTER' | 'RESET'): Promise<CheckCodeReply__Output>;
  stop(): Promise<void>;
}

/** Starts a verify-server on base config + overrides, SMTP pointed at `sink` unless overridden. */
export async function startHarness(base: ParleyConfig, sink: SmtpSink | undefined, overrides: Overrides = {}): Promise<VerifyHarness> {
  const config: ParleyConfig = {
    ...base,
    smtp: { ...base.smtp, ...(sink ? { host: '127.0.0.1', port: sink.port, secure: false } : {}), ...overrides.smtp },
    verify: { ...base.verify, port: 0, ...overrides.verify },
  };
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(chunk.toString());
      cb();
    },
  });
  const logger = createLogger({ kind: 'verify', level: 'info', destination });
  const server = await startVerifyServer({ config, logger, id: 'verify-test' });
  const client = createVerifyClient('127.0.0.1', server.ready.port as number, testClusterCredentials());
  return {
    client,
    server,
    logs,
    getCode: (email, purpose = 'REGISTER', clientIp = freshIp()) =>
      unary<GetVerifyCodeReply__Output>((o, cb) => client.GetVerifyCode({ email, purpose, clientIp }, o, cb)),
    check: (email, code, purpose = 'REGISTER') => unary<CheckCodeReply__Output>((o, cb) => client.CheckCode({ email, purpose, code }, o, cb)),
    async stop() {
      client.close();
      await server.stop();
    },
  };
}

/** Awaits `promise`, which must fail with the ParleyError `code`; returns that error. */
export async function rejectsWith(promise: Promise<unknown>, code: string): Promise<ParleyError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof ParleyError, `expected a ParleyError ${code}, got ${String(err)}`);
    assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
    return err;
  }
  assert.fail(`expected ${code}, but the call succeeded`);
}

let counter = 0;
/** A fresh address per use, so tests never share limits or codes. */
export function freshEmail(tag = 'user'): string {
  counter += 1;
  return `${tag}.${process.pid}.${Date.now().toString(36)}.${counter}@example.test`;
}

/** A fresh client /64 per call (documentation range), so the per-IP cap only bites where a test means it to. */
export function freshIp(): string {
  counter += 1;
  return `2001:db8:${(process.pid % 0xffff).toString(16)}:${counter.toString(16)}::1`;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
