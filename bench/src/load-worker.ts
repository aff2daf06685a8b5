/**
 * A load generator process of the chat benchmark, started by chat-bench.ts with child_process.fork
 * and driven over IPC (load-protocol.ts). It keeps the hot path lean: raw net sockets, one
 * TlvDecoder each, encodeFrame, and one write per connection per turn of the event loop (frames
 * of a tick go out as one Buffer.concat) — no per-request promises.
 *
 * Sends carry their send time in the body (`x:<epoch ms>` for throughput, `p:`/`r:` for ping-pong),
 * so the recipient measures end-to-end latency when the MessagePush arrives; the sender measures
 * ack latency from a ring of send times indexed by reqId. DeliveredAck is sent batched, Ping every
 * heartbeatSec (spread over the interval).
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { encodeFrame, MsgId, TlvDecoder } from '@parley/protocol';
import { LatencyHistogram } from './chat-histogram';
import type { AddressBy, ConnectResult, StepResult, TotalsResult, WorkerCommand, WorkerReply, WorkerUser } from './load-protocol';

const RING = 1 << 20;
const MASK = RING - 1;
const LOGIN_TIMEOUT_MS = 30_000;
const DEFAULT_DELIVERED_ACK_MS = 200;
const PING = encodeFrame(MsgId.Ping, {});

/** Epoch milliseconds with sub-millisecond resolution, comparable between processes. */
const now = (): number => performance.timeOrigin + performance.now();

class Conn {
  readonly decoder = new TlvDecoder({ maxBodyBytes: 16 * 1024 * 1024 });
  loggedIn = false;
  /** Closed on purpose (disconnect command), not dropped. */
  closing = false;
  closed = false;
  outstanding = 0;
  out: Buffer[] = [];
  /** conversationId → highest pushed seq not yet acknowledged with DeliveredAck. */
  deliveredSeq = new Map<number, number>();
  lastError = '';
  onLogin: ((ok: boolean, reason: string) => void) | undefined;
  /** Ping-pong: when this initiator sends next. */
  nextAt = 0;

  constructor(
    readonly user: WorkerUser,
    readonly socket: net.Socket,
  ) {}
}

const conns: Conn[] = [];
const byUid = new Map<number, Conn>();
let addressBy: AddressBy = 'conversation';
let pad = '';
let heartbeatSec = 0;
const idPrefix = randomBytes(4).toString('hex');
let nextReqId = 1;
const sendTimes = new Float64Array(RING);

// Counters of the current step.
let sent = 0;
let acks = 0;
let pushes = 0;
let acksInWindow = 0;
let pushesInWindow = 0;
let inWindow = false;
let sendErrors = 0;
let deliveredAcks = 0;
let pings = 0;
let pongs = 0;
let dropped = 0;
let errors: Record<string, number> = {};
// Totals since connect (never reset by a step): the after-run check compares them with the stored rows.
let totalSent = 0;
let totalAcks = 0;
let totalRefused = 0;
let totalPushes = 0;
const ackHist = new LatencyHistogram();
const e2eSame = new LatencyHistogram();
const e2eCross = new LatencyHistogram();
const rttSame = new LatencyHistogram();
const rttCross = new LatencyHistogram();

function resetCounters(): void {
  sent = acks = pushes = acksInWindow = pushesInWindow = sendErrors = deliveredAcks = pings = pongs = dropped = 0;
  errors = {};
  for (const h of [ackHist, e2eSame, e2eCross, rttSame, rttCross]) h.reset();
}

function countError(key: string): void {
  errors[key] = (errors[key] ?? 0) + 1;
}

// Write batching: frames queued during a turn of the event loop leave in one write per socket.
let dirty: Conn[] = [];
let flushScheduled = false;

function queue(c: Conn, frame: Buffer): void {
  if (c.closed) return;
  c.out.push(frame);
  if (c.out.length === 1) {
    dirty.push(c);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
  }
}

function flush(): void {
  flushScheduled = false;
  const list = dirty;
  dirty = [];
  for (const c of list) {
    const out = c.out;
    c.out = [];
    if (c.closed || out.length === 0) continue;
    c.socket.write(out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out));
  }
}

function sendMessage(c: Conn, kind: string, stamp: string, sentAt: number): void {
  const reqId = nextReqId;
  nextReqId = nextReqId >= 0x7fffffff ? 1 : nextReqId + 1;
  sendTimes[reqId & MASK] = sentAt;
  const clientMsgId = idPrefix + reqId.toString(36);
  const body = `${kind}:${stamp}${pad}`;
  const frame =
    addressBy === 'conversation'
      ? encodeFrame(MsgId.SendReq, { reqId, conversationId: c.user.conversationId, clientMsgId, type: 'text', body })
      : encodeFrame(MsgId.SendReq, { reqId, to: c.user.peer, clientMsgId, type: 'text', body });
  c.outstanding++;
  sent++;
  totalSent++;
  queue(c, frame);
}

interface AckBody {
  reqId: number;
}
interface PushBody {
  conversationId: number;
  seq: number;
  body: string;
}
interface ErrorBody {
  reqId?: number;
  code: string;
}

function onData(c: Conn, chunk: Buffer): void {
  let frames;
  try {
    frames = c.decoder.push(chunk);
  } catch {
    countError('decoder');
    c.socket.destroy();
    return;
  }
  const t = now();
  for (const f of frames) {
    switch (f.id) {
      case MsgId.SendAck: {
        const m = JSON.parse(f.body.toString()) as AckBody;
        ackHist.record(t - (sendTimes[m.reqId & MASK] as number));
        c.outstanding--;
        acks++;
        totalAcks++;
        if (inWindow) acksInWindow++;
        break;
      }
      case MsgId.MessagePush:
        onPush(c, JSON.parse(f.body.toString()) as PushBody, t);
        break;
      case MsgId.Pong:
        pongs++;
        break;
      case MsgId.LoginResp: {
        const m = JSON.parse(f.body.toString()) as { heartbeatSec: number };
        heartbeatSec = m.heartbeatSec;
        c.loggedIn = true;
        c.onLogin?.(true, '');
        break;
      }
      case MsgId.Error: {
        const m = JSON.parse(f.body.toString()) as ErrorBody;
        if (!c.loggedIn) {
          c.onLogin?.(false, m.code);
          break;
        }
        countError(m.code);
        if (m.reqId !== undefined && m.reqId > 0) {
          c.outstanding--;
          sendErrors++;
          totalRefused++;
        }
        break;
      }
      case MsgId.Kick:
        countError('Kick');
        break;
      case MsgId.Reconnect:
        countError('Reconnect');
        break;
      default:
        break;
    }
  }
}

function onPush(c: Conn, m: PushBody, t: number): void {
  pushes++;
  totalPushes++;
  if (inWindow) pushesInWindow++;
  if (deliveredAckTimer) {
    const prev = c.deliveredSeq.get(m.conversationId);
    if (prev === undefined) {
      if (c.deliveredSeq.size === 0) ackDirty.add(c);
      c.deliveredSeq.set(m.conversationId, m.seq);
    } else if (m.seq > prev) c.deliveredSeq.set(m.conversationId, m.seq);
  }
  const kind = m.body.charCodeAt(0);
  const end = m.body.indexOf('|');
  const stamp = end < 0 ? m.body.slice(2) : m.body.slice(2, end);
  const sentAt = Number(stamp);
  const cross = c.user.cross;
  if (kind === 0x72 /* r */) {
    (cross ? rttCross : rttSame).record(t - sentAt);
    return;
  }
  (cross ? e2eCross : e2eSame).record(t - sentAt);
  if (kind === 0x70 /* p */) sendMessage(c, 'r', stamp, t);
}

// DeliveredAck, batched: the highest seq per conversation every deliveredAckMs (0: none are sent).
const ackDirty = new Set<Conn>();
let deliveredAckTimer: NodeJS.Timeout | undefined;
function startDeliveredAcks(ms: number): void {
  if (deliveredAckTimer) clearInterval(deliveredAckTimer);
  deliveredAckTimer = ms > 0 ? setInterval(sendDeliveredAcks, ms).unref() : undefined;
}
function sendDeliveredAcks(): void {
  for (const c of ackDirty) {
    for (const [conversationId, seq] of c.deliveredSeq) {
      queue(c, encodeFrame(MsgId.DeliveredAck, { conversationId, seq }));
      deliveredAcks++;
    }
    c.deliveredSeq.clear();
  }
  ackDirty.clear();
}

// Heartbeats: each second, the connections of one of heartbeatSec slices ping.
let heartbeats = false;
let hbSlice = 0;
setInterval(() => {
  if (!heartbeats || heartbeatSec <= 0) return;
  const slice = hbSlice++ % heartbeatSec;
  for (let i = slice; i < conns.length; i += heartbeatSec) {
    const c = conns[i] as Conn;
    if (c.loggedIn && !c.closed) {
      queue(c, PING);
      pings++;
    }
  }
}, 1000).unref();

function connectOne(user: WorkerUser, login: LatencyHistogram): Promise<boolean> {
  return new Promise((resolve) => {
    const t0 = now();
    const socket = net.connect({ host: user.host, port: user.port, localAddress: user.localAddress, noDelay: true });
    const c = new Conn(user, socket);
    let settled = false;
    const timer = setTimeout(() => done(false, 'login_timeout'), LOGIN_TIMEOUT_MS);
    const done = (ok: boolean, reason: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      c.onLogin = undefined;
      if (ok) {
        login.record(now() - t0);
        conns.push(c);
        byUid.set(user.uid, c);
      } else {
        countError(reason || 'closed');
        c.closing = true;
        socket.destroy();
      }
      resolve(ok);
    };
    c.onLogin = done;
    socket.once('connect', () => socket.write(encodeFrame(MsgId.LoginReq, { reqId: 0, uid: user.uid, token: user.token })));
    socket.on('data', (chunk: Buffer) => onData(c, chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      c.lastError = err.code ?? err.message;
    });
    socket.once('close', () => {
      c.closed = true;
      if (!settled) done(false, c.lastError || 'closed_before_login');
      else if (!c.closing) {
        dropped++;
        countError(`dropped:${c.lastError || 'closed'}`);
      }
    });
  });
}

async function connect(cmd: Extract<WorkerCommand, { cmd: 'connect' }>): Promise<ConnectResult> {
  addressBy = cmd.addressBy;
  startDeliveredAcks(cmd.deliveredAckMs ?? DEFAULT_DELIVERED_ACK_MS);
  totalSent = totalAcks = totalRefused = totalPushes = 0;
  // `x:` + a 17-character stamp + `|aaa…` = bodyBytes.
  pad = cmd.bodyBytes > 20 ? `|${'a'.repeat(cmd.bodyBytes - 20)}` : '';
  resetCounters();
  const login = new LatencyHistogram();
  const cpu0 = process.cpuUsage();
  const t0 = now();
  let next = 0;
  let ok = 0;
  await Promise.all(
    Array.from({ length: Math.min(cmd.concurrency, cmd.users.length) }, async () => {
      while (next < cmd.users.length) {
        const user = cmd.users[next++] as WorkerUser;
        if (await connectOne(user, login)) ok++;
      }
    }),
  );
  heartbeats = cmd.heartbeats;
  const cpu = process.cpuUsage(cpu0);
  const result: ConnectResult = { type: 'connected', attempted: cmd.users.length, loggedIn: ok, errors, wallMs: now() - t0, login: login.toData(), heartbeatSec, cpuMs: (cpu.user + cpu.system) / 1000 };
  errors = {};
  return result;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function drain(drainMs: number): Promise<void> {
  const until = Date.now() + drainMs;
  // Done when every send is answered and every pushed message arrived (partners share this worker).
  while (Date.now() < until && (acks + sendErrors < sent || pushes < sent - sendErrors)) await sleep(20);
}

function stepResult(w: WindowTimes, throttled: number, lagged = 0): StepResult {
  return {
    type: 'step',
    windowMs: w.windowMs,
    countMs: w.countMs,
    sent,
    acks,
    pushes,
    acksInWindow,
    pushesInWindow,
    throttled,
    lagged,
    unacked: Math.max(0, sent - acks - sendErrors),
    errors,
    ack: ackHist.toData(),
    e2eSame: e2eSame.toData(),
    e2eCross: e2eCross.toData(),
    rttSame: rttSame.toData(),
    rttCross: rttCross.toData(),
    deliveredAcks,
    pings,
    pongs,
    dropped,
    open: conns.filter((c) => !c.closed).length,
    cpuMs: w.cpuMs,
  };
}

interface WindowTimes {
  windowMs: number;
  countMs: number;
  cpuMs: number;
}

/**
 * Runs `tick` every tickMs for durationMs; returns the window's wall and CPU time. Acks and pushes
 * are counted as "in window" only after a settling time (a fifth of the window, at most 1 s), so the
 * rates measure the steady state rather than the pipeline filling up.
 */
async function window(durationMs: number, tickMs: number, tick: (t: number, t0: number) => void): Promise<WindowTimes> {
  const cpu0 = process.cpuUsage();
  const t0 = now();
  const settleMs = Math.min(1000, durationMs / 5);
  let countFrom = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const t = now();
      if (t - t0 >= durationMs) {
        clearInterval(timer);
        resolve();
        return;
      }
      if (!inWindow && t - t0 >= settleMs) {
        inWindow = true;
        countFrom = t;
      }
      tick(t, t0);
      flush();
    }, tickMs);
  });
  inWindow = false;
  const cpu = process.cpuUsage(cpu0);
  const t1 = now();
  return { windowMs: t1 - t0, countMs: countFrom ? t1 - countFrom : 0, cpuMs: (cpu.user + cpu.system) / 1000 };
}

async function throughput(cmd: Extract<WorkerCommand, { cmd: 'throughput' }>): Promise<StepResult> {
  resetCounters();
  const senders = conns.filter((c) => c.loggedIn && !c.closed && c.user.peer > 0);
  let issued = 0;
  let throttled = 0;
  let lagged = 0;
  let rr = 0;
  const cap = Math.max(1, Math.ceil(cmd.rate * 0.25));
  const w = await window(cmd.durationMs, cmd.tickMs, (t, t0) => {
    let due = Math.floor(((t - t0) * cmd.rate) / 1000) - issued;
    if (due > cap) {
      // More than 250 ms behind (this generator was stalled): drop the excess instead of bursting.
      lagged += due - cap;
      issued += due - cap;
      due = cap;
    }
    for (let k = 0; k < due && senders.length > 0; k++) {
      issued++;
      const c = senders[rr++ % senders.length] as Conn;
      if (c.closed || c.outstanding >= cmd.maxOutstanding) throttled++;
      else sendMessage(c, 'x', t.toFixed(3), t);
    }
  });
  await drain(cmd.drainMs);
  return stepResult(w, throttled, lagged);
}

async function pingpong(cmd: Extract<WorkerCommand, { cmd: 'pingpong' }>): Promise<StepResult> {
  resetCounters();
  const initiators = conns.filter((c) => c.loggedIn && c.user.peer > c.user.uid && byUid.has(c.user.peer)).slice(0, cmd.pairs);
  const start = now();
  for (const c of initiators) c.nextAt = start + Math.random() * cmd.intervalMs;
  const w = await window(cmd.durationMs, 1, (t) => {
    for (const c of initiators) {
      if (t < c.nextAt || c.closed) continue;
      c.nextAt += cmd.intervalMs;
      sendMessage(c, 'p', t.toFixed(3), t);
    }
  });
  await drain(cmd.drainMs);
  return stepResult(w, 0);
}

async function hold(durationMs: number): Promise<StepResult> {
  resetCounters();
  const w = await window(durationMs, 100, () => undefined);
  return stepResult(w, 0);
}

async function totals(drainMs: number): Promise<TotalsResult> {
  const until = Date.now() + drainMs;
  while (Date.now() < until && (totalAcks + totalRefused < totalSent || totalPushes < totalAcks)) await sleep(20);
  const conversations = [...new Set(conns.filter((c) => c.user.peer > 0).map((c) => c.user.conversationId))];
  return { type: 'totals', sent: totalSent, acks: totalAcks, refused: totalRefused, pushes: totalPushes, conversations };
}

async function disconnect(): Promise<number> {
  heartbeats = false;
  const closing = conns.map((c) => {
    c.closing = true;
    if (c.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      c.socket.once('close', () => resolve());
      c.socket.destroy();
    });
  });
  await Promise.all(closing);
  const n = conns.length;
  conns.length = 0;
  byUid.clear();
  ackDirty.clear();
  return n;
}

async function handle(cmd: WorkerCommand): Promise<WorkerReply | undefined> {
  switch (cmd.cmd) {
    case 'connect':
      return connect(cmd);
    case 'throughput':
      return throughput(cmd);
    case 'pingpong':
      return pingpong(cmd);
    case 'hold':
      return hold(cmd.durationMs);
    case 'totals':
      return totals(cmd.drainMs);
    case 'disconnect':
      return { type: 'disconnected', closed: await disconnect() };
    case 'exit':
      await disconnect();
      process.disconnect?.();
      process.exit(0);
  }
}

process.on('message', (cmd: WorkerCommand) => {
  handle(cmd).then(
    (reply) => reply && process.send?.(reply),
    (err: unknown) => process.send?.({ type: 'error', message: err instanceof Error ? err.stack ?? err.message : String(err) } satisfies WorkerReply),
  );
});
process.on('disconnect', () => process.exit(0));
