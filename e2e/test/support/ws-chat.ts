import { decodeServerMessage, encodeFrame, MsgId, TlvDecoder, type ServerMessage } from '@parley/protocol';
import { WebSocket } from 'ws';

/**
 * A minimal chat client over a chat server's WebSocket port, as a browser speaks it: one TLV frame
 * per binary message each way. Records every frame; `badMessages` counts server messages that
 * were not exactly one frame.
 */
export class WsChat {
  readonly frames: ServerMessage[] = [];
  badMessages = 0;
  private reqId = 1;

  private constructor(private readonly ws: WebSocket) {
    ws.on('error', () => undefined);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const frames = isBinary ? new TlvDecoder({ maxBodyBytes: 1 << 24 }).push(data) : [];
      if (frames.length !== 1) this.badMessages++;
      for (const f of frames) this.frames.push(decodeServerMessage(f));
    });
  }

  static async login(host: string, wsPort: number, user: { uid: number; token: string }): Promise<WsChat> {
    const ws = new WebSocket(`ws://${host}:${wsPort}/`);
    const client = new WsChat(ws);
    await new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));
    client.send(MsgId.LoginReq, { reqId: client.reqId++, uid: user.uid, token: user.token });
    const answer = await client.next((f) => f.id === MsgId.LoginResp || f.id === MsgId.Error);
    if (answer.id !== MsgId.LoginResp) throw new Error(`ws login failed: ${JSON.stringify(answer.msg)}`);
    return client;
  }

  send(id: number, body: object): void {
    this.ws.send(encodeFrame(id, body));
  }

  /** Sends a text message and resolves its SendAck. */
  async sendText(to: number, body: string): Promise<ServerMessage> {
    const reqId = this.reqId++;
    this.send(MsgId.SendReq, { reqId, to, clientMsgId: `ws-${reqId}-${Date.now()}`, type: 'text', body });
    return this.next((f) => f.id === MsgId.SendAck && f.msg.reqId === reqId);
  }

  /** The first recorded frame matching `match`, once it arrives. */
  async next(match: (f: ServerMessage) => boolean, timeoutMs = 5000): Promise<ServerMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error('no matching frame arrived');
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  close(): void {
    this.ws.close();
  }
}
