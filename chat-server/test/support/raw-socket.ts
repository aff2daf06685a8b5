import net from 'node:net';
import { decodeServerMessage, encodeFrame, MsgId, TlvDecoder, type ServerMessage } from '@parley/protocol';

/** A bare TCP client for hostile-input tests: writes what it is told, records every frame, knows when closed. */
export class RawSocket {
  readonly frames: ServerMessage[] = [];
  readonly closed: Promise<void>;
  private readonly decoder = new TlvDecoder({ maxBodyBytes: 1 << 20 });
  isClosed = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.decoder.push(chunk)) this.frames.push(decodeServerMessage(frame));
    });
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        resolve();
      }),
    );
  }

  static async open(port: number): Promise<RawSocket> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new RawSocket(socket);
  }

  write(bytes: Buffer | string): void {
    this.socket.write(bytes);
  }

  /** Sends LoginReq and waits for its answer. */
  async login(uid: number, token: string): Promise<ServerMessage> {
    const before = this.frames.length;
    this.write(encodeFrame(MsgId.LoginReq, { reqId: 1, uid, token }));
    return this.next(before);
  }

  /** The first frame after `index` frames, once it arrives. */
  async next(index = this.frames.length, timeoutMs = 5000): Promise<ServerMessage> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length <= index) {
      if (Date.now() > deadline) throw new Error('no frame arrived');
      if (this.isClosed && this.frames.length <= index) throw new Error('closed without a frame');
      await new Promise((r) => setTimeout(r, 5));
    }
    return this.frames[index] as ServerMessage;
  }

  /** The Error code the server closed with. */
  async closedWith(): Promise<string | undefined> {
    await this.closed;
    const last = this.frames.at(-1);
    return last?.id === MsgId.Error ? last.msg.code : undefined;
  }

  destroy(): void {
    this.socket.destroy();
  }
}
