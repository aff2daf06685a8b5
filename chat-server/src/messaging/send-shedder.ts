import type { ShedCounter } from '@parley/common';
import { MsgId, peekReqId, type Frame } from '@parley/protocol';
import type { ClientConnection } from '../session/client-connection';
import type { MessageCommitter } from './message-committer';
import { overloadRefusal, type OverloadRefusal } from './overload-refusal';
import type { SendAdmission } from './send-admission';

/**
 * Refuses a SendReq OVERLOADED in the turn it was read, before it is decoded, when its sender's
 * commit lane is full (the database's pace) or SendAdmission has no room (the CPU's): only its
 * reqId is read — no schema pass, no promise, no handler, no attachment read, no Error object.
 * Under a flood most sends are refused, and if refusing one cost nearly as much as storing one,
 * the refusals would starve the sends the lane still admits and reading would fall behind the
 * sockets (a backlog in the kernel's buffers that the server works off long after the flood has
 * ended). A frame without a readable reqId goes on to the decoder, which answers it as malformed.
 * The connection's `screen` hook.
 */
export class SendShedder {
  constructor(
    private readonly committer: MessageCommitter,
    private readonly admission: SendAdmission,
    private readonly shed: ShedCounter,
  ) {}

  /** False when the frame was a SendReq and has been answered OVERLOADED. */
  readonly screen = (conn: ClientConnection, frame: Frame): boolean => {
    if (frame.id !== MsgId.SendReq) return true;
    const refusal = this.refusal(conn.uid);
    if (refusal === undefined) return true;
    const reqId = peekReqId(frame);
    if (reqId === undefined) return true;
    conn.sendError({ reqId, ...refusal });
    return false;
  };

  private refusal(uid: number): OverloadRefusal | undefined {
    const full = this.committer.refusal(uid);
    if (full !== undefined) return full;
    if (this.admission.tryAdmit()) return undefined;
    this.shed.add(1, { capPerSec: Math.round(this.admission.capPerSec) });
    return overloadRefusal(this.admission.retryAfterMs);
  }
}
