import { ParleyError, type Logger, type MysqlPool } from '@parley/common';
import { MsgId, type SendAck, type SendReq } from '@parley/protocol';
import type { ClusterNotifier } from '../cluster/cluster-notifier';
import { Payload, type Push } from '../cluster/push';
import { checkAttachment } from './file-attachment';
import type { MessageCommitter, SendResult } from './message-committer';
import type { RequestContext } from '../session/request-context';

/**
 * SendReq: hands the message to the group committer, answers SendAck once it is committed, and
 * pushes MessagePush to the other members wherever they are connected. The push is a latency
 * optimisation; a recipient that misses it finds the message by sync. When the committer's lane
 * is full the send is refused OVERLOADED (retryable, nothing stored). A `file` or `image`
 * message is checked against the file it names first (file-attachment.ts).
 */
export class MessageService {
  constructor(
    private readonly committer: MessageCommitter,
    private readonly pool: MysqlPool,
    private readonly logger: Logger,
  ) {}

  async send(ctx: RequestContext, req: SendReq): Promise<Omit<SendAck, 'reqId'>> {
    // System messages come from the server; a client must not be able to forge one.
    if (req.type === 'system') throw new ParleyError('FORBIDDEN', 'Clients cannot send system messages');
    // A full commit lane refuses now, before the attachment read; submit checks again.
    this.committer.checkRoom(ctx.uid);
    const fileId = await checkAttachment(this.pool, ctx.uid, req.type, req.body);
    const result = await this.committer.submit({
      senderUid: ctx.uid,
      ...(req.to !== undefined ? { to: req.to } : { conversationId: req.conversationId as number }),
      clientMsgId: req.clientMsgId,
      type: req.type,
      body: req.body,
      ...(fileId === undefined ? {} : { fileId }),
    });
    const { message } = result;
    if (result.duplicate) this.logger.debug({ uid: ctx.uid, conversationId: message.conversationId, seq: message.seq }, 'duplicate send');
    return { clientMsgId: req.clientMsgId, conversationId: message.conversationId, seq: message.seq, serverTime: message.serverTime };
  }
}

/** The committer's onCommitted: one MessagePush per stored message, serialised once for all its recipients. */
export function pushCommitted(notifier: ClusterNotifier, logger: Logger): (results: SendResult[]) => void {
  return (results) => {
    const pushes: Push[] = [];
    for (const r of results) {
      if (r.recipients.length > 0) pushes.push({ payload: Payload.of(MsgId.MessagePush, r.message), uids: r.recipients });
    }
    if (pushes.length === 0) return;
    notifier.deliver(pushes).catch((err: unknown) => logger.warn({ err, count: pushes.length }, 'message push failed'));
  };
}
