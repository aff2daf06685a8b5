/**
 * The gate's client of the chat servers' ChatApi service: one chat-protocol request for an
 * authenticated user, answered by a chat server exactly as over TCP (same schemas, same handler).
 * One cached gRPC channel per chat server. A server that cannot be reached (gRPC UNAVAILABLE,
 * including one that is shutting down) is forgotten and one other server is tried.
 */
import {
  createChatApiClient,
  isErrorCode,
  isUnreachableError,
  ParleyError,
  unary,
  type CallReply__Output,
  type ChatApiClient,
  type ClusterCredentials,
  type Logger,
} from '@parley/common';
import {
  decodeServerMessage,
  MsgId,
  ResponseIdFor,
  type ErrorMsg,
  type RequestMsgId,
  type ServerMessage,
  type ServerMessageOf,
} from '@parley/protocol';
import type { ChatServerSelector, ChatTarget } from './chat-server-selector';
import type { FieldIssue } from './validation';

/** Requests a REST call may make (LoginReq is the TCP session's own). */
export type ApiRequestId = Exclude<RequestMsgId, typeof MsgId.LoginReq>;

/** The answer to request I without its reqId. */
export type ApiResponse<I extends ApiRequestId> = Omit<ServerMessageOf<(typeof ResponseIdFor)[I]>, 'reqId'>;

/** Generous for one request; a Pull page of 500 messages is read and sent well within it. */
const CALL_DEADLINE_MS = 10_000;

interface Channel {
  address: string;
  client: ChatApiClient;
}

export class ChatApi {
  private readonly channels = new Map<string, Channel>();

  constructor(
    private readonly selector: ChatServerSelector,
    private readonly credentials: ClusterCredentials,
    private readonly logger: Logger,
    private readonly deadlineMs = CALL_DEADLINE_MS,
  ) {}

  /**
   * Sends request `id` with `fields` (unvalidated: the chat server's schema judges them) for uid and
   * resolves its response, or throws the ParleyError the chat server answered with.
   */
  async call<I extends ApiRequestId>(uid: number, id: I, fields: Record<string, unknown>): Promise<ApiResponse<I>> {
    // reqId last: the chat protocol needs one, and nothing the client sent may replace it.
    const body = Buffer.from(JSON.stringify({ ...fields, reqId: 0 }), 'utf8');
    const failed = new Set<string>();
    for (;;) {
      const target = await this.selector.choose(uid, failed);
      if (!target) {
        if (failed.size === 0) throw new ParleyError('NO_CHAT_SERVER');
        throw new ParleyError('UNAVAILABLE', 'No chat server could be reached');
      }
      let reply: CallReply__Output;
      try {
        const client = this.channel(target);
        reply = await unary<CallReply__Output>((o, cb) => client.Call({ uid, msgId: id, body }, o, cb), this.deadlineMs);
      } catch (err) {
        if (!isUnreachableError(err)) throw err;
        this.forget(target.id);
        failed.add(target.id);
        this.logger.warn({ chatServer: target.id, failed: failed.size, err: (err as Error).message }, 'chat server unreachable for a REST call');
        // The gRPC message names internal addresses: the client gets a plain one.
        if (failed.size >= 2) throw new ParleyError('UNAVAILABLE', 'No chat server could be reached', { cause: err });
        continue;
      }
      return answerOf(id, reply);
    }
  }

  close(): void {
    for (const id of [...this.channels.keys()]) this.forget(id);
  }

  private channel(target: ChatTarget): ChatApiClient {
    const address = `${target.host}:${target.port}`;
    const known = this.channels.get(target.id);
    if (known?.address === address) return known.client;
    // A restarted server may listen elsewhere: its old channel is of no use.
    known?.client.close();
    const client = createChatApiClient(target.host, target.port, this.credentials);
    this.channels.set(target.id, { address, client });
    return client;
  }

  private forget(id: string): void {
    this.channels.get(id)?.client.close();
    this.channels.delete(id);
  }
}

/** The reply as the response body, or the ParleyError its Error body carries. */
function answerOf<I extends ApiRequestId>(id: I, reply: CallReply__Output): ApiResponse<I> {
  let message: ServerMessage;
  try {
    message = decodeServerMessage({ id: reply.msgId, body: reply.body });
  } catch (err) {
    throw new ParleyError('INTERNAL', undefined, { cause: err });
  }
  if (message.id === MsgId.Error) throw errorOf(message.msg);
  if (message.id !== ResponseIdFor[id]) throw new ParleyError('INTERNAL', undefined, { cause: new Error(`reply ${reply.msgId} to request ${id}`) });
  const { reqId: _reqId, ...response } = message.msg as { reqId: number };
  return response as ApiResponse<I>;
}

/**
 * An Error frame's body as the gate's error. Schema issues `{ path, message }` become the HTTP API's
 * `{ field, message }` (the REST field names are the protocol's), and the message names the fields.
 */
export function errorOf(body: ErrorMsg): ParleyError {
  const code = isErrorCode(body.code) ? body.code : 'INTERNAL';
  if (code === 'VALIDATION_FAILED' && Array.isArray(body.details)) {
    const details: FieldIssue[] = (body.details as { path?: unknown; message?: unknown }[]).map((d) => ({
      field: typeof d.path === 'string' && d.path !== '' ? d.path : 'body',
      message: typeof d.message === 'string' ? d.message : 'is invalid',
    }));
    return new ParleyError(code, `Invalid ${[...new Set(details.map((d) => d.field))].join(', ')}`, { details });
  }
  return new ParleyError(code, body.message, body.details === undefined ? {} : { details: body.details });
}
