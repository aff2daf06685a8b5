import { decodeServerMessage, encodeFrame, MsgId, TlvDecoder, type ServerMessage } from '@parley/protocol';
import { WebSocket } from 'ws';

/**
 * A bare WebSocket client for tests: sends what it is told (binary or text), checks that every
 * message from the server is exactly one TLV frame, records the frames and the close code.
 */
export class WsRaw {
  readonly frames: ServerMessage[] = [];
  /** Server messages that were not exactly one whole frame (must stay 0). */
  badMessages = 0;
  closeCode: number | undefined;
  readonly closed: Promise<number>;

  private constructor(readonly ws: WebSocket) {
    ws.on('error', () => undefined);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const decoder = new TlvDecoder({ maxBodyBytes: 1 << 24 });
      const frames = isBinary ? decoder.push(data) : [];
      if (frames.length !== 1 || frames[0]!.body.length + 6 !== data.length) this.badMessages++;
      for (const f of frames) this.frames.push(decodeServerMessage(f));
    });
    this.closed = new Promise((resolve) =>
      ws.once('close', (code: number) => {
        this.closeCode = code;
        resolve(code);
      }),
    );
  }

  static async open(port: number, headers: Record<string, string> = {}): Promise<WsRaw> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { headers, perMessageDeflate: false });
    // Listening from the start: a frame sent at once (a refusal) may arrive with the handshake.
    const raw = new WsRaw(ws);
    await new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));
    return raw;
  }

  get isClosed(): boolean {
    return this.closeCode !== undefined;
  }

  /** One binary message. */
  send(bytes: Buffer): void {
    this.ws.send(bytes, { binary: true });
  }

  async login(uid: number, token: string): Promise<ServerMessage> {
    const before = this.frames.length;
    this.send(encodeFrame(MsgId.LoginReq, { reqId: 1, uid, token }));
    return this.next(before);
  }

  /** The first frame after `index` frames, once it arrives. */
  async next(index = this.frames.length, timeoutMs = 5000): Promise<ServerMessage> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length <= index) {
      if (Date.now() > deadline) throw new Error('no frame arrived');
      if (this.isClosed) throw new Error(`closed (${this.closeCode}) without a frame`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return this.frames[index] as ServerMessage;
  }

  /** The first frame after `index` with this id. */
  async nextOf(id: number, index = 0, timeoutMs = 5000): Promise<ServerMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.slice(index).find((f) => f.id === id);
      if (found) return found;
      if (Date.now() > deadline || this.isClosed) throw new Error(`no frame ${id} arrived`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** The Error code the server sent last, and the close code, once closed. */
  async closedWith(): Promise<{ code: string | undefined; close: number }> {
    const close = await this.closed;
    const last = this.frames.at(-1);
    return { code: last?.id === MsgId.Error ? last.msg.code : undefined, close };
  }

  destroy(): void {
    this.ws.terminate();
  }
}
