/**
 * A steady message load between real client cores (@parley/client over TCP, which reconnect through the
 * gate, resend with the same clientMsgId and sync), for the fault tests and the failover bench: pairs of
 * friends, each client sending to its partner every `intervalMs`, and the bookkeeping to check that
 * nothing acked was lost (every ack stored under its seq; every receiver holds 1..N once; rows = acks).
 */
import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { extractCode } from '@parley/common/testing';
import { MemoryStore, ParleyClient } from '@parley/client';
import { tcpTransport } from '@parley/client/node';
import type { Cluster } from './cluster';

export interface LoadClient {
  uid: number;
  name: string;
  client: ParleyClient;
  conversationId: number;
  partner: number;
  /** clientMsgId → seq of this client's acked messages, with when each ack arrived. */
  acked: Map<string, { seq: number; atMs: number }>;
  /** seq → clientMsgIds this client received from its partner (more than one id per seq would be a bug). */
  received: Map<number, Set<string>>;
  sent: number;
}

export interface ChatLoadOptions {
  /** Pairs of friends (2 × pairs clients). */
  pairs: number;
  /** Each client sends one message to its partner every this many ms. */
  intervalMs: number;
  password?: string;
}

let counter = 0;
const PASSWORD = 'Failover-load-pass-1';

/** One account registered through the gate (code by mail), then copied: each further login hashes, registration need not. */
async function registeredHash(cluster: Cluster, password: string): Promise<string> {
  counter++;
  const name = `fl${process.pid % 100000}r${counter}`;
  const email = `${name}@mail.example.test`;
  const client = new ParleyClient({ gateUrl: cluster.gateUrl, store: new MemoryStore(), transport: tcpTransport });
  const since = cluster.smtp.messages.length;
  await client.sendCode(email, 'register');
  const code = extractCode((await cluster.smtp.waitForMail(email, 10000, since)).raw);
  if (!code) throw new Error('no code in the mail');
  await client.register({ email, code, name, password });
  const [rows] = await cluster.env.pool.query<RowDataPacket[]>('SELECT password_hash FROM users WHERE name = ?', [name]);
  return String(rows[0]?.password_hash);
}

export class ChatLoad {
  readonly clients: LoadClient[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Clients whose session stopped for a refused token (Redis lost it): logged in again with the password. */
  relogins = 0;

  private hash = '';

  private constructor(
    private readonly cluster: Cluster,
    private readonly options: ChatLoadOptions,
  ) {}

  /** One more account with the load's password, in no conversation (e.g. to try logins with). */
  async spareAccount(): Promise<{ uid: number; name: string; password: string }> {
    counter++;
    const name = `fl${process.pid % 100000}s${counter}`;
    const [res] = await this.cluster.env.pool.query<ResultSetHeader>('INSERT INTO users (name, email, password_hash, nickname) VALUES (?, ?, ?, ?)', [name, `${name}@mail.example.test`, this.hash, name]);
    return { uid: res.insertId, name, password: this.options.password ?? PASSWORD };
  }

  /** Makes the users and friendships, logs every client in through the gate. */
  static async start(cluster: Cluster, options: ChatLoadOptions): Promise<ChatLoad> {
    const load = new ChatLoad(cluster, options);
    const password = options.password ?? PASSWORD;
    const hash = await registeredHash(cluster, password);
    load.hash = hash;
    const pool = cluster.env.pool;
    const users: { uid: number; name: string }[] = [];
    for (let i = 0; i < options.pairs * 2; i++) {
      counter++;
      const name = `fl${process.pid % 100000}u${counter}`;
      const [res] = await pool.query<ResultSetHeader>('INSERT INTO users (name, email, password_hash, nickname) VALUES (?, ?, ?, ?)', [name, `${name}@mail.example.test`, hash, name]);
      users.push({ uid: res.insertId, name });
    }
    for (let i = 0; i < users.length; i += 2) {
      const [a, b] = [users[i], users[i + 1]] as [{ uid: number; name: string }, { uid: number; name: string }];
      const key = a.uid < b.uid ? `${a.uid}:${b.uid}` : `${b.uid}:${a.uid}`;
      const [conv] = await pool.query<ResultSetHeader>("INSERT INTO conversations (kind, direct_key) VALUES ('direct', ?)", [key]);
      const id = conv.insertId;
      await pool.query('INSERT INTO conversation_members (conversation_id, user_id) VALUES (?, ?), (?, ?)', [id, a.uid, id, b.uid]);
      await pool.query('INSERT INTO friendships (user_id, friend_id, conversation_id) VALUES (?, ?, ?), (?, ?, ?)', [a.uid, b.uid, id, b.uid, a.uid, id]);
      for (const [me, other] of [
        [a, b],
        [b, a],
      ] as const) {
        load.clients.push({ uid: me.uid, name: me.name, client: load.newCore(), conversationId: id, partner: other.uid, acked: new Map(), received: new Map(), sent: 0 });
      }
    }
    await Promise.all(load.clients.map((c) => load.attach(c, password)));
    return load;
  }

  private newCore(): ParleyClient {
    return new ParleyClient({ gateUrl: this.cluster.gateUrl, store: new MemoryStore(), transport: tcpTransport, requestTimeoutMs: 5000 });
  }

  private async attach(c: LoadClient, password: string): Promise<void> {
    c.client.on('messages', ({ conversationId, messages }) => {
      if (conversationId !== c.conversationId) return;
      const now = Date.now();
      for (const m of messages) {
        if (m.seq === undefined) continue;
        if (m.senderUid === c.uid) {
          if (m.delivery === 'sent' && !c.acked.has(m.clientMsgId)) c.acked.set(m.clientMsgId, { seq: m.seq, atMs: now });
        } else {
          let ids = c.received.get(m.seq);
          if (!ids) c.received.set(m.seq, (ids = new Set()));
          ids.add(m.clientMsgId);
        }
      }
    });
    c.client.on('connection', (s) => {
      // Redis lost the token: what a person would do, log in again (the store and outbox stay).
      if (s.state === 'stopped' && s.reason?.startsWith('TOKEN_INVALID')) {
        this.relogins++;
        void c.client.login(c.name, password).catch(() => undefined);
      }
    });
    await c.client.login(c.name, password);
  }

  /** Starts the steady load. */
  startSending(): void {
    let n = 0;
    this.timer = setInterval(() => {
      for (const c of this.clients) {
        c.sent++;
        c.client.sendText(c.conversationId, `load ${c.uid} ${n}`);
      }
      n++;
    }, this.options.intervalMs);
  }

  stopSending(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The chat server each client's route names now. */
  async servers(): Promise<Map<number, string | null>> {
    const out = new Map<number, string | null>();
    for (const c of this.clients) out.set(c.uid, await this.cluster.env.redis.hget(`route:${c.uid}`, 'server'));
    return out;
  }

  /** The first ack each of `clients` got after `sinceMs`: how long until it was chatting again (ms), or undefined. */
  recoveredAfter(clients: readonly LoadClient[], sinceMs: number): (number | undefined)[] {
    return clients.map((c) => {
      let first: number | undefined;
      for (const { atMs } of c.acked.values()) if (atMs > sinceMs && (first === undefined || atMs < first)) first = atMs;
      return first === undefined ? undefined : first - sinceMs;
    });
  }

  /**
   * Waits until every outbox is empty and every receiver holds everything stored in its conversation;
   * sends each client one last message first, so a receiver that missed the last pushes hears of the gap.
   */
  async settle(timeoutMs: number): Promise<void> {
    this.stopSending();
    for (const c of this.clients) {
      c.sent++;
      c.client.sendText(c.conversationId, `final ${c.uid}`);
    }
    const end = Date.now() + timeoutMs;
    for (;;) {
      const pending = this.clients.reduce((n, c) => n + c.client.pending(c.conversationId).length, 0);
      const stored = await this.storedCounts();
      const behind = this.clients.filter((c) => c.client.syncedSeq(c.conversationId) < (stored.get(c.conversationId) ?? 0)).length;
      if (pending === 0 && behind === 0) return;
      if (Date.now() > end) throw new Error(`load did not settle: ${pending} unacked, ${behind} clients behind`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  private async storedCounts(): Promise<Map<number, number>> {
    const ids = [...new Set(this.clients.map((c) => c.conversationId))];
    const [rows] = await this.cluster.env.pool.query<RowDataPacket[]>('SELECT conversation_id, COUNT(*) AS n FROM messages WHERE conversation_id IN (?) GROUP BY conversation_id', [ids]);
    return new Map(rows.map((r) => [Number(r.conversation_id), Number(r.n)]));
  }

  /**
   * The final check, as a list of violations (empty = fine): every ack stored under its seq; rows equal
   * acks; every receiver got seq 1..N of its conversation, each once and each the stored message.
   */
  async violations(): Promise<string[]> {
    const out: string[] = [];
    const ids = [...new Set(this.clients.map((c) => c.conversationId))];
    const [rows] = await this.cluster.env.pool.query<RowDataPacket[]>('SELECT conversation_id, sender_uid, seq, client_msg_id FROM messages WHERE conversation_id IN (?) ORDER BY conversation_id, seq', [ids]);
    const byConv = new Map<number, { sender: number; seq: number; id: string }[]>();
    for (const r of rows) {
      const list = byConv.get(Number(r.conversation_id)) ?? [];
      list.push({ sender: Number(r.sender_uid), seq: Number(r.seq), id: String(r.client_msg_id) });
      byConv.set(Number(r.conversation_id), list);
    }
    for (const c of this.clients) {
      const stored = byConv.get(c.conversationId) ?? [];
      const mine = new Map(stored.filter((m) => m.sender === c.uid).map((m) => [m.id, m.seq]));
      if (mine.size !== c.acked.size) out.push(`user ${c.uid}: ${mine.size} rows but ${c.acked.size} acks`);
      if (c.acked.size !== c.sent) out.push(`user ${c.uid}: sent ${c.sent}, acked ${c.acked.size}`);
      for (const [id, ack] of c.acked) if (mine.get(id) !== ack.seq) out.push(`user ${c.uid}: ack ${id} says seq ${ack.seq}, stored ${String(mine.get(id))}`);
      stored.forEach((m, i) => {
        if (m.seq !== i + 1) out.push(`conversation ${c.conversationId}: seq ${m.seq} at position ${i + 1}`);
      });
      for (const m of stored) {
        if (m.sender === c.uid) continue;
        const got = c.received.get(m.seq);
        if (!got || got.size !== 1 || !got.has(m.id)) out.push(`user ${c.uid}: seq ${m.seq} received as ${got ? [...got].join(',') : 'nothing'}, stored ${m.id}`);
      }
      const theirs = stored.filter((m) => m.sender !== c.uid).length;
      if (c.received.size !== theirs) out.push(`user ${c.uid}: received ${c.received.size} messages, partner stored ${theirs}`);
    }
    return out;
  }

  async close(): Promise<void> {
    this.stopSending();
    await Promise.all(this.clients.map((c) => c.client.close()));
  }
}
