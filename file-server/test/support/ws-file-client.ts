import { decodeFileServerMessage, encodeChunkFrame, encodeFrame, MsgId, TlvDecoder, type FileServerMessage } from '@parley/protocol';
import { WebSocket } from 'ws';

/**
 * A bare file-protocol client over WebSocket for tests: one frame per binary message both ways
 * (it counts server messages that are not exactly one frame), every frame recorded.
 */
export class WsFileClient {
  readonly frames: FileServerMessage[] = [];
  badMessages = 0;
  closeCode: number | undefined;
  readonly closed: Promise<number>;

  private constructor(readonly ws: WebSocket) {
    ws.on('error', () => undefined);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const frames = isBinary ? new TlvDecoder({ maxBodyBytes: 1 << 24 }).push(data) : [];
      if (frames.length !== 1 || frames[0]!.body.length + 6 !== data.length) this.badMessages++;
      // Copies: a DownloadChunk's data is a view of the message buffer.
      for (const f of frames) this.frames.push(decodeFileServerMessage({ id: f.id, body: Buffer.from(f.body) }));
    });
    this.closed = new Promise((resolve) =>
      ws.once('close', (code: number) => {
        this.closeCode = code;
        resolve(code);
      }),
    );
  }

  static async open(port: number): Promise<WsFileClient> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
    const client = new WsFileClient(ws);
    await new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));
    return client;
  }

  static async loggedIn(port: number, user: { uid: number; token: string }): Promise<WsFileClient> {
    const client = await WsFileClient.open(port);
    client.send(encodeFrame(MsgId.LoginReq, { reqId: 1, uid: user.uid, token: user.token }));
    const resp = await client.next((m) => m.id === MsgId.LoginResp || m.id === MsgId.Error);
    if (resp.id !== MsgId.LoginResp) throw new Error('file login failed');
    return client;
  }

  send(bytes: Buffer): void {
    this.ws.send(bytes, { binary: true });
  }

  sendChunk(fileId: number, offset: number, data: Buffer): void {
    this.send(encodeChunkFrame(MsgId.UploadChunk, { fileId, offset }, data));
  }

  /** The first recorded frame (from `from`) matching `match`, once it arrives. */
  async next(match: (m: FileServerMessage) => boolean, from = 0, timeoutMs = 10_000): Promise<FileServerMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.slice(from).find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error('no matching frame arrived');
      if (this.closeCode !== undefined) throw new Error(`closed (${this.closeCode}) before a matching frame`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** The last Error code and the close code, once closed. */
  async closedWith(): Promise<{ code: string | undefined; close: number }> {
    const close = await this.closed;
    const last = this.frames.at(-1);
    return { code: last?.id === MsgId.Error ? last.msg.code : undefined, close };
  }

  destroy(): void {
    this.ws.terminate();
  }
}
