import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { PoolConnection, RowDataPacket } from 'mysql2/promise';
import { decodeServerMessage, encodeFrame, MsgId, TlvDecoder } from '@parley/protocol';
import { Cluster } from '../src/cluster';
import { befriend, createUser, waitFor, type TestUser } from './support/chat-fixtures';

// Issue 11 item 10, bounded in time: one process floods a chat server whose committer cannot keep
// up (every conversation row is locked for the flood), from many connections at once. The chat
// server's RSS must stay within a ceiling, every send beyond the commit lane's bound must be
// refused OVERLOADED, and afterwards the rows in MySQL must equal the acks. Before the bounds,
// each connection held up to 256 sends in memory (+317 MiB RSS here) and nothing was refused.
const CONNECTIONS = 200;
const BODY = 'x'.repeat(4096);
const FLOOD_MS = 10_000;
const BURST = 16;
const MAX_UNANSWERED = 1000;
/**
 * RSS growth allowed over the idle, logged-in server: the lane's 500 sends (~3 MiB) plus garbage not
 * yet collected. Measured: +52 MiB with the bounds, +317 MiB without (commit_max_pending unbounded).
 */
const CEILING_MIB = 128;

let cluster: Cluster;

before(async () => {
  cluster = await Cluster.start({
    chatServers: 1,
    kinds: ['chat'],
    sections: {
      // A flood from few connections is the point here, not abuse: the per-connection limits are lifted.
      chat: { commit_max_pending: 500, send_rate_per_sec: 10_000_000, send_burst: 10_000_000, abuse_limit: 10_000_000 },
    },
  });
});

after(async () => {
  await cluster?.stop();
});

function rssMib(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** A logged-in raw connection that writes SendReqs as fast as the socket takes them and counts the answers. */
class Flooder {
  acks = 0;
  codes = new Map<string, number>();
  sent = 0;
  private stopped = false;
  private readonly decoder = new TlvDecoder({ maxBodyBytes: 1 << 20 });
  private loggedIn: Promise<void>;

  constructor(
    private readonly socket: net.Socket,
    user: TestUser,
    private readonly conversationId: number,
  ) {
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    this.loggedIn = new Promise((resolve, reject) => {
      socket.on('data', (chunk: Buffer) => {
        for (const frame of this.decoder.push(chunk)) {
          const m = decodeServerMessage(frame);
          if (m.id === MsgId.LoginResp) resolve();
          else if (m.id === MsgId.SendAck) this.acks++;
          else if (m.id === MsgId.Error) this.codes.set(m.msg.code, (this.codes.get(m.msg.code) ?? 0) + 1);
        }
      });
      socket.once('close', () => reject(new Error('closed')));
    });
    socket.write(encodeFrame(MsgId.LoginReq, { reqId: 1, uid: user.uid, token: user.token }));
  }

  static async open(port: number, user: TestUser, conversationId: number): Promise<Flooder> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const f = new Flooder(socket, user, conversationId);
    await f.loggedIn;
    return f;
  }

  /**
   * Writes bursts as the socket takes them, yielding between bursts so the test's own timers run,
   * with at most MAX_UNANSWERED sends unanswered (a pipelining client, not an unbounded backlog).
   */
  flood(): void {
    if (this.stopped) return;
    for (let i = 0; i < BURST && this.sent - this.answered < MAX_UNANSWERED; i++) {
      const reqId = 2 + this.sent++;
      if (!this.socket.write(encodeFrame(MsgId.SendReq, { reqId, conversationId: this.conversationId, clientMsgId: `f${reqId}`, type: 'text', body: BODY }))) {
        this.socket.once('drain', () => this.flood());
        return;
      }
    }
    if (this.sent - this.answered < MAX_UNANSWERED) setImmediate(() => this.flood());
    else setTimeout(() => this.flood(), 1);
  }

  stop(): void {
    this.stopped = true;
  }

  get answered(): number {
    let n = this.acks;
    for (const c of this.codes.values()) n += c;
    return n;
  }

  close(): void {
    this.socket.destroy();
  }
}

describe('a flood against a stalled committer', () => {
  it('keeps RSS under a ceiling, refuses the excess OVERLOADED, and acks exactly what it stores', async (t) => {
    const proc = cluster.processes.get('chat1');
    assert.ok(proc?.child.pid);
    const pid = proc.child.pid;
    const port = cluster.chatEndpoint('chat1').tcpPort;
    const pairs: { user: TestUser; conv: number }[] = [];
    for (let i = 0; i < CONNECTIONS; i++) {
      const [a, b] = [await createUser(cluster), await createUser(cluster)];
      pairs.push({ user: a, conv: await befriend(cluster, a.uid, b.uid) });
    }
    const flooders = await Promise.all(pairs.map((p) => Flooder.open(port, p.user, p.conv)));
    const baseline = rssMib(pid);

    let lock: PoolConnection | undefined = await cluster.env.pool.getConnection();
    let peak = baseline;
    try {
      await lock.query('START TRANSACTION');
      await lock.query('SELECT id FROM conversations WHERE id IN (?) FOR UPDATE', [pairs.map((p) => p.conv)]);
      for (const f of flooders) f.flood();
      const until = Date.now() + FLOOD_MS;
      while (Date.now() < until) {
        await new Promise((r) => setTimeout(r, 200));
        peak = Math.max(peak, rssMib(pid));
      }
      for (const f of flooders) f.stop();
      await lock.query('ROLLBACK');
      lock.release();
      lock = undefined;

      const sent = flooders.reduce((n, f) => n + f.sent, 0);
      // Every send is answered: the stored ones with an ack once the lock is gone, the rest at once.
      await waitFor(() => flooders.every((f) => f.answered === f.sent), 30_000, 'every send answered');
      const acks = flooders.reduce((n, f) => n + f.acks, 0);
      const codes = new Map<string, number>();
      for (const f of flooders) for (const [c, n] of f.codes) codes.set(c, (codes.get(c) ?? 0) + n);
      assert.deepEqual([...codes.keys()], ['OVERLOADED'], `only OVERLOADED refusals (${JSON.stringify([...codes])})`);
      const refused = codes.get('OVERLOADED') ?? 0;
      assert.ok(refused > sent / 2, `most of ${sent} sends refused (${refused})`);
      const [rows] = await cluster.env.pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM messages WHERE conversation_id IN (?)', [pairs.map((p) => p.conv)]);
      assert.equal(Number(rows[0]?.n), acks, 'rows stored = acks: nothing refused was stored, nothing acked was lost');
      t.diagnostic(`${sent} sends in ${FLOOD_MS / 1000} s, ${acks} acked, ${refused} OVERLOADED; chat server RSS ${baseline.toFixed(0)} → peak ${peak.toFixed(0)} MiB`);
      assert.ok(peak - baseline < CEILING_MIB, `RSS ${baseline.toFixed(0)} → peak ${peak.toFixed(0)} MiB over ${sent} sends (ceiling +${CEILING_MIB} MiB)`);
    } finally {
      for (const f of flooders) f.stop();
      if (lock) {
        await lock.query('ROLLBACK').catch(() => undefined);
        lock.release();
      }
      for (const f of flooders) f.close();
    }
  });
});
