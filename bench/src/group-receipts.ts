/**
 * Per-message bookkeeping of the group benchmark's generators: the messages a worker sent in the
 * current step (send time, conversation, ack time, indexed by n) and, per sending worker, when
 * each of its messages was last received here and how often. Typed arrays that grow by doubling,
 * so memory is bounded by the step's message count and recording is an array store.
 *
 * `scanGroupPush` reads what the receivers need from a MessagePush body without JSON.parse (at
 * 100,000+ pushes/s the generator must stay cheap): the server writes ChatMessage with its keys
 * in a fixed order, and the body is ours (`g:<step>:<worker>:<n>:<µs>|aaa…`, plain ASCII).
 */
import { encodeArray, type ReceiptData } from './group-protocol';

function grownF64(a: Float64Array<ArrayBuffer>, n: number): Float64Array<ArrayBuffer> {
  if (n < a.length) return a;
  let size = a.length;
  while (size <= n) size *= 2;
  const b = new Float64Array(size);
  b.set(a);
  return b;
}

function grownU32(a: Uint32Array<ArrayBuffer>, n: number): Uint32Array<ArrayBuffer> {
  if (n < a.length) return a;
  let size = a.length;
  while (size <= n) size *= 2;
  const b = new Uint32Array(size);
  b.set(a);
  return b;
}

/** The messages this worker sent in the current step. */
export class SentLog {
  sentAt = new Float64Array(1024);
  conversation = new Float64Array(1024);
  ackedAt = new Float64Array(1024);
  length = 0;

  reset(): void {
    this.sentAt.fill(0, 0, this.length);
    this.conversation.fill(0, 0, this.length);
    this.ackedAt.fill(0, 0, this.length);
    this.length = 0;
  }

  /** Records a send; returns its n. */
  add(sentAt: number, conversationId: number): number {
    const n = this.length++;
    if (n >= this.sentAt.length) {
      this.sentAt = grownF64(this.sentAt, n);
      this.conversation = grownF64(this.conversation, n);
      this.ackedAt = grownF64(this.ackedAt, n);
    }
    this.sentAt[n] = sentAt;
    this.conversation[n] = conversationId;
    return n;
  }

  toData(): { sentAt: string; conversation: string; ackedAt: string } {
    return { sentAt: encodeArray(this.sentAt, this.length), conversation: encodeArray(this.conversation, this.length), ackedAt: encodeArray(this.ackedAt, this.length) };
  }
}

interface Column {
  lastAt: Float64Array<ArrayBuffer>;
  count: Uint32Array<ArrayBuffer>;
  /** Highest n recorded + 1. */
  length: number;
}

/** Receipts here of the current step's messages, per sending worker. */
export class ReceiptTable {
  private readonly columns = new Map<number, Column>();

  reset(): void {
    for (const c of this.columns.values()) {
      c.lastAt.fill(0, 0, c.length);
      c.count.fill(0, 0, c.length);
      c.length = 0;
    }
  }

  record(from: number, n: number, t: number): void {
    let c = this.columns.get(from);
    if (!c) {
      c = { lastAt: new Float64Array(1024), count: new Uint32Array(1024), length: 0 };
      this.columns.set(from, c);
    }
    if (n >= c.lastAt.length) {
      c.lastAt = grownF64(c.lastAt, n);
      c.count = grownU32(c.count, n);
    }
    if (t > (c.lastAt[n] as number)) c.lastAt[n] = t;
    c.count[n] = (c.count[n] as number) + 1;
    if (n >= c.length) c.length = n + 1;
  }

  toData(): ReceiptData[] {
    return [...this.columns].filter(([, c]) => c.length > 0).map(([from, c]) => ({ from, lastAt: encodeArray(c.lastAt, c.length), count: encodeArray(c.count, c.length) }));
  }
}

/** What a group push carries for the benchmark. */
export interface ScannedPush {
  conversationId: number;
  seq: number;
  step: number;
  worker: number;
  n: number;
  /** Send time, epoch ms. */
  sentAt: number;
}

const CONVERSATION_KEY = Buffer.from('"conversationId":');
const SEQ_KEY = Buffer.from('"seq":');
const BODY_KEY = Buffer.from('"body":"g:');

let cursor = 0;

/** The unsigned integer at cursor (digits only); leaves cursor on the byte after it. */
function readUint(b: Buffer): number {
  let v = 0;
  let c = b[cursor] as number;
  while (c >= 0x30 && c <= 0x39) {
    v = v * 10 + (c - 0x30);
    c = b[++cursor] as number;
  }
  return v;
}

/** Reads a MessagePush body of ours into `out`; false when it is not one (then JSON.parse it). */
export function scanGroupPush(b: Buffer, out: ScannedPush): boolean {
  let i = b.indexOf(CONVERSATION_KEY);
  if (i < 0) return false;
  cursor = i + CONVERSATION_KEY.length;
  out.conversationId = readUint(b);
  i = b.indexOf(SEQ_KEY, cursor);
  if (i < 0) return false;
  cursor = i + SEQ_KEY.length;
  out.seq = readUint(b);
  i = b.indexOf(BODY_KEY, cursor);
  if (i < 0) return false;
  cursor = i + BODY_KEY.length;
  out.step = readUint(b);
  cursor++;
  out.worker = readUint(b);
  cursor++;
  out.n = readUint(b);
  cursor++;
  out.sentAt = readUint(b) / 1000;
  // The stamp ends the body or is followed by the padding.
  const end = b[cursor];
  return end === 0x7c /* | */ || end === 0x22 /* " */;
}
