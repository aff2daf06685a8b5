/**
 * The gate's gRPC clients. Transport failures arrive as UNAVAILABLE (503) via `unary`; refusals keep the
 * backend's code (and, from the verify-server, its details such as { retryAfterSec }).
 */
import {
  clusterCredentials,
  type ClusterCredentials,
  chatPeerAddress,
  createChatPeerClient,
  createStatusClient,
  createVerifyClient,
  ParleyError,
  RedisKeys,
  unary,
  type CheckCodeReply__Output,
  type GetChatServerReply__Output,
  type GetVerifyCodeReply__Output,
  type KickReply__Output,
  type ParleyConfig,
  type Redis,
  type StatusServiceClient,
  type VerifyServiceClient,
} from '@parley/common';
import type { Purpose } from '@parley/verify-server';

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
  /** 0 = the chat server has no WebSocket listener. */
  wsPort: number;
  /** The file server to use, when one is live (wsPort 0 = no WebSocket). */
  fileServer?: { id: string; host: string; tcpPort: number; wsPort: number };
}

export class Backends {
  readonly verify: VerifyServiceClient;
  readonly status: StatusServiceClient;
  /** The cluster's mTLS credentials, also for the ChatApi channels. */
  readonly credentials: ClusterCredentials;

  constructor(
    private readonly config: ParleyConfig,
    private readonly redis: Redis,
  ) {
    this.credentials = clusterCredentials(config.cluster);
    this.verify = createVerifyClient(config.verify.host, config.verify.port, this.credentials);
    this.status = createStatusClient(config.status.host, config.status.port, this.credentials);
  }

  async getVerifyCode(email: string, purpose: Purpose, clientIp: string): Promise<GetVerifyCodeReply__Output> {
    return unary<GetVerifyCodeReply__Output>((o, cb) => this.verify.GetVerifyCode({ email, purpose: PURPOSE[purpose], clientIp }, o, cb), GET_CODE_DEADLINE_MS);
  }

  /** Resolves when the code is right (and consumes it); throws CODE_INVALID / CODE_ATTEMPTS_EXCEEDED otherwise. */
  async checkCode(email: string, purpose: Purpose, code: string): Promise<void> {
    const reply = await unary<CheckCodeReply__Output>((o, cb) => this.verify.CheckCode({ email, purpose: PURPOSE[purpose], code }, o, cb), DEADLINE_MS);
    if (!reply.ok) throw new ParleyError('CODE_INVALID');
  }

  async getChatServer(uid: number): Promise<ChatServerChoice> {
    const reply = await unary<GetChatServerReply__Output>((o, cb) => this.status.GetChatServer({ uid }, o, cb), DEADLINE_MS);
    if (!reply.server || !reply.token) throw new ParleyError('NO_CHAT_SERVER');
    const choice: ChatServerChoice = { token: reply.token, tokenTtlSec: reply.tokenTtlSec, serverId: reply.server.id, host: reply.server.host, tcpPort: reply.server.tcpPort, wsPort: reply.server.wsPort };
    if (reply.fileServer) choice.fileServer = { id: reply.fileServer.id, host: reply.fileServer.host, tcpPort: reply.fileServer.tcpPort, wsPort: reply.fileServer.wsPort };
    return choice;
  }

  /**
   * Ends every live chat session of uid (after a password reset): its chat server, found through the
   * user's route, sends a Kick frame and closes. Resolves with how many were kicked (0 when offline).
   */
  async kickSessions(uid: number, reason: string): Promise<number> {
    const server = await this.redis.hget(RedisKeys.route(uid), 'server');
    if (!server) return 0;
    const address = await chatPeerAddress(this.redis, server, this.config.chatServers);
    if (!address) return 0;
    const peer = createChatPeerClient(address.host, address.port, this.credentials);
    try {
      const reply = await unary<KickReply__Output>((o, cb) => peer.Kick({ uid, keepSession: '', reason }, o, cb), DEADLINE_MS);
      return reply.kicked;
    } finally {
      peer.close();
    }
  }

  close(): void {
    this.verify.close();
    this.status.close();
  }
}
