import { encodeFrameRaw } from '@parley/protocol';

/**
 * One server frame serialised once, however many users receive it: the JSON body for peers and,
 * built on first use, the full TLV frame for local sockets.
 */
export class Payload {
  private encoded: Buffer | undefined;

  constructor(
    readonly msgId: number,
    readonly json: Buffer,
  ) {}

  static of(msgId: number, body: object): Payload {
    return new Payload(msgId, Buffer.from(JSON.stringify(body), 'utf8'));
  }

  get frame(): Buffer {
    this.encoded ??= encodeFrameRaw(this.msgId, this.json);
    return this.encoded;
  }
}

/** The unit of delivery: one frame for many users, wherever each of them is connected. */
export interface Push {
  payload: Payload;
  uids: readonly number[];
}

/**
 * Recipients sorted by the server they are on, each payload once per server: what becomes one
 * PeerPush per payload in that server's Deliver.
 */
export class PushesByServer {
  private readonly servers = new Map<string, Map<Payload, number[]>>();

  add(server: string, payload: Payload, uid: number): void {
    let pushes = this.servers.get(server);
    if (!pushes) {
      pushes = new Map();
      this.servers.set(server, pushes);
    }
    const uids = pushes.get(payload);
    if (uids) uids.push(uid);
    else pushes.set(payload, [uid]);
  }

  *entries(): IterableIterator<[server: string, pushes: Push[]]> {
    for (const [server, pushes] of this.servers) {
      yield [server, [...pushes].map(([payload, uids]) => ({ payload, uids }))];
    }
  }
}
