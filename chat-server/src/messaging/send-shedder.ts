import type { ShedCounter } from '@parley/common';
import { MsgId, type ClientMessage } from '@parley/protocol';
import type { ClientConnection } from '../session/client-connection';
import type { MessageCommitter } from './message-committer';
import { overloadRefusal } from './overload-refusal';
import type { SendAdmission } from './send-admission';

/**
 * Refuses a SendReq OVERLOADED in the turn it was read when its sender's commit lane is full: no
 * promise, no handler, no attachment read, no Error object. Under a flood most sends are refused,
 * and if refusing one cost nearly as much as storing one, the refusals would starve the sends the
 * lane still admits and reading would fall behind the sockets (a backlog in the kernel's buffers
 * that the server works off long after the flood has ended). Two bounds: the sender's commit lane
 * (the database's pace) and SendAdmission (the CPU's). The router's `admit` hook.
 */
export class SendShedder {
  constructor(
    private readonly committer: MessageCommitter,
    private readonly admission: SendAdmission,
    private readonly shed: ShedCounter,
  ) {}

  /** False when the message was a SendReq and has been answered OVERLOADED. */
  readonly admit = (conn: ClientConnection, message: ClientMessage): boolean => {
    if (message.id !== MsgId.SendReq) return true;
    const refusal = this.committer.refusal(conn.uid);
    if (refusal !== undefined) {
      conn.sendError({ reqId: message.msg.reqId, ...refusal });
      return false;
    }
    if (this.admission.tryAdmit()) return true;
    this.shed.add(1, { capPerSec: Math.round(this.admission.capPerSec) });
    conn.sendError({ reqId: message.msg.reqId, ...overloadRefusal(this.admission.retryAfterMs) });
    return false;
  };
}
