import { encodeFrame, MsgId, type ServerMessage } from '@parley/protocol';
import type { RawSocket } from './raw-socket';

let nextReqId = 1000;

/** Sends one request frame and waits for the frame (response or Error) that carries its reqId. */
export async function rawRequest(raw: RawSocket, id: number, body: Record<string, unknown>, timeoutMs = 5000): Promise<ServerMessage> {
  const reqId = nextReqId++;
  raw.write(encodeFrame(id as never, { ...body, reqId } as never));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = raw.frames.find((f) => (f.msg as { reqId?: number }).reqId === reqId);
    if (found) return found;
    if (raw.isClosed) throw new Error(`closed before reqId ${reqId} was answered`);
    if (Date.now() > deadline) throw new Error(`no answer to reqId ${reqId}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The Error code of an answer, or the name of its id when it is not an Error. */
export function codeOf(answer: ServerMessage): string {
  return answer.id === MsgId.Error ? answer.msg.code : `id ${answer.id}`;
}
