/**
 * The gate's gRPC clients. Transport failures arrive as UNAVAILABLE (503) via `unary`; refusals keep the
 * backend's code (and, from the verify-server, its details such as { retryAfterSec }).
 */
import {
  createStatusClient,
  createVerifyClient,
  ParleyError,
  unary,
  type CheckCodeReply__Output,
  type GetChatServerReply__Output,
  type GetVerifyCodeReply__Output,
  type ParleyConfig,
  type StatusServiceClient,
  type VerifyServiceClient,
} from '@parley/common';
import { withGrpcDetails, type Purpose } from '@parley/verify-server';

/** Sending a mail can take a few seconds; the verify-server gives up on SMTP well before this. */
const GET_CODE_DEADLINE_MS = 20_000;
const DEADLINE_MS = 5_000;

const PURPOSE = { register: 'REGISTER', reset: 'RESET' } as const;

export interface ChatServerChoice {
  token: string;
  tokenTtlSec: number;
  serverId: string;
  host: string;
  tcpPort: number;
}

export class Backends {
  readonly verify: VerifyServiceClient;
  readonly status: StatusServiceClient;

  constructor(config: ParleyConfig) {
    this.verify = createVerifyClient(config.verify.host, config.verify.port);
    this.status = createStatusClient(config.status.host, config.status.port);
  }

  async getVerifyCode(email: string, purpose: Purpose, clientIp: string): Promise<GetVerifyCodeReply__Output> {
    try {
      return await unary<GetVerifyCodeReply__Output>((o, cb) => this.verify.GetVerifyCode({ email, purpose: PURPOSE[purpose], clientIp }, o, cb), GET_CODE_DEADLINE_MS);
    } catch (err) {
      throw withGrpcDetails(err);
    }
  }

  /** Resolves when the code is right (and consumes it); throws CODE_INVALID / CODE_ATTEMPTS_EXCEEDED otherwise. */
  async checkCode(email: string, purpose: Purpose, code: string): Promise<void> {
    let reply: CheckCodeReply__Output;
    try {
      reply = await unary<CheckCodeReply__Output>((o, cb) => this.verify.CheckCode({ email, purpose: PURPOSE[purpose], code }, o, cb), DEADLINE_MS);
    } catch (err) {
      throw withGrpcDetails(err);
    }
    if (!reply.ok) throw new ParleyError('CODE_INVALID');
  }

  async getChatServer(uid: number): Promise<ChatServerChoice> {
    const reply = await unary<GetChatServerReply__Output>((o, cb) => this.status.GetChatServer({ uid }, o, cb), DEADLINE_MS);
    if (!reply.server || !reply.token) throw new ParleyError('NO_CHAT_SERVER');
    return { token: reply.token, tokenTtlSec: reply.tokenTtlSec, serverId: reply.server.id, host: reply.server.host, tcpPort: reply.server.tcpPort };
  }

  close(): void {
    this.verify.close();
    this.status.close();
  }
}
