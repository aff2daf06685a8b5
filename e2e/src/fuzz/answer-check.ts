import { decodeServerMessage, ErrorCodes, isErrorCode, MsgId, TlvDecoder, DEFAULT_CLIENT_MAX_FRAME_BYTES, type ServerMessage } from '@parley/protocol';

/** Tallies of what the servers answered to fuzz input, and everything that broke a rule. */
export class AnswerTally {
  readonly codes = new Map<string, number>();
  readonly findings: string[] = [];
  answers = 0;

  error(code: unknown, where: string, httpStatus?: number): void {
    this.answers++;
    if (!isErrorCode(code)) {
      this.finding(`${where}: undocumented error code ${JSON.stringify(code)}`);
      return;
    }
    if (httpStatus !== undefined && ErrorCodes[code].httpStatus !== httpStatus) this.finding(`${where}: ${code} answered with HTTP ${httpStatus}, the table says ${ErrorCodes[code].httpStatus}`);
    if (code === 'INTERNAL') this.finding(`${where}: INTERNAL (a server bug)`);
    this.codes.set(code, (this.codes.get(code) ?? 0) + 1);
  }

  ok(): void {
    this.answers++;
    this.codes.set('(ok)', (this.codes.get('(ok)') ?? 0) + 1);
  }

  finding(text: string): void {
    if (this.findings.length < 200) this.findings.push(text);
  }

  merge(other: AnswerTally): void {
    this.answers += other.answers;
    for (const [k, v] of other.codes) this.codes.set(k, (this.codes.get(k) ?? 0) + v);
    for (const f of other.findings) this.finding(f);
  }

  toJSON(): Record<string, unknown> {
    return { answers: this.answers, codes: Object.fromEntries([...this.codes].sort((a, b) => b[1] - a[1])), findings: this.findings };
  }
}

/** Decodes a server's byte stream and checks each frame: a schema-valid server message, errors from the table. */
export class ServerStreamCheck {
  private readonly decoder = new TlvDecoder({ maxBodyBytes: DEFAULT_CLIENT_MAX_FRAME_BYTES });

  constructor(
    private readonly tally: AnswerTally,
    private readonly where: string,
    private readonly decode: (frame: { id: number; body: Buffer }) => ServerMessage = decodeServerMessage,
  ) {}

  push(chunk: Buffer): ServerMessage[] {
    const out: ServerMessage[] = [];
    let frames;
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.tally.finding(`${this.where}: the server sent an undecodable stream (${(err as Error).message})`);
      return out;
    }
    for (const frame of frames) {
      let msg: ServerMessage;
      try {
        msg = this.decode(frame);
      } catch (err) {
        this.tally.finding(`${this.where}: the server sent an invalid frame id ${frame.id}: ${(err as Error).message.slice(0, 200)}`);
        continue;
      }
      if (msg.id === MsgId.Error) this.tally.error(msg.msg.code, this.where);
      else this.tally.ok();
      out.push(msg);
    }
    return out;
  }
}
