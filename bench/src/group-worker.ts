/**
 * A load generator process of the group benchmark (group-bench.ts forks it; IPC in
 * group-protocol.ts). Every connection is one group member; some members are senders. Built like
 * load-worker.ts: raw net sockets with one TlvDecoder each and one write per socket per turn of the
 * event loop (member-conn.ts), no per-request promises; pushes are read without JSON.parse
 * (group-receipts.ts).
 *
 * Senders post to their group by conversationId at the worker's share of the step's rate (token
 * bucket on a 2 ms tick, round robin over senders, at most maxOutstanding unacked per sender).
 * Each body carries step, worker, message number and send time, so every receiver records the
 * delivery latency and its receipt of that message; the orchestrator merges receipts into the
 * time the last member got each message. Members send DeliveredAck (highest seq) every
 * deliveredAckMs and Ping every heartbeatSec.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { encodeFrame, MsgId } from '@parley/protocol';
import { LatencyHistogram } from './chat-histogram';
import type { ConnectResult, GroupSentResult, GroupStepResult, GroupWorkerCommand, GroupWorkerReply, GroupWorkerUser } from './group-protocol';
import { ReceiptTable, scanGroupPush, SentLog, type ScannedPush } from './group-receipts';
import { closeAll, flush, openMember, queue, type MemberConn as Conn } from './member-conn';

const RING = 1 << 18;
const MASK = RING - 1;
const PING = encodeFrame(MsgId.Ping, {});

/** Epoch milliseconds with sub-millisecond resolution, comparable between processes. */
const now = (): number => performance.timeOrigin + performance.now();

const conns: Conn[] = [];
let workerIndex = 0;
let bodyBytes = 48;
let heartbeatSec = 0;
const idPrefix = randomBytes(4).toString('hex');
let nextReqId = 1;
/** reqId → (step, n) of the send, so a late ack of an earlier step is not taken for this one's. */
const reqStep = new Int32Array(RING).fill(-1);
const reqN = new Int32Array(RING);

let step = -1;
const log = new SentLog();
const receipts = new ReceiptTable();
/** Acks of this step per sending uid (the orchestrator turns them into the pushes each worker should see). */
const ackedBy = new Map<number, number>();
const scanned: ScannedPush = { conversationId: 0, seq: 0, step: 0, worker: 0, n: 0, sentAt: 0 };
let acks = 0;
let acksInWindow = 0;
let pushes = 0;
let pushesInWindow = 0;
let stalePushes = 0;
let inWindow = false;
let sendErrors = 0;
let deliveredAcks = 0;
let pings = 0;
let pongs = 0;
let dropped = 0;
let errors: Record<string, number> = {};
const ackHist = new LatencyHistogram();
const deliveryHist = new LatencyHistogram();

function countError(key: string): void {
  errors[key] = (errors[key] ?? 0) + 1;
}

const PAD = `|${'a'.repeat(16 * 1024)}`;

function send(c: Conn, t: number): void {
  const reqId = nextReqId;
  nextReqId = nextReqId >= 0x7fffffff ? 1 : nextReqId + 1;
  const n = log.add(t, c.user.conversationId);
  reqStep[reqId & MASK] = step;
  reqN[reqId & MASK] = n;
  const stamp = `g:${step}:${workerIndex}:${n}:${Math.round(t * 1000)}`;
  const body = stamp.length < bodyBytes ? stamp + PAD.slice(0, bodyBytes - stamp.length) : stamp;
  c.outstanding++;
  queue(c, encodeFrame(MsgId.SendReq, { reqId, conversationId: c.user.conversationId, clientMsgId: `${idPrefix}${step}.${n.toString(36)}`, type: 'text', body }));
}

function onAck(c: Conn, reqId: number, t: number): void {
  c.outstanding--;
  if (reqStep[reqId & MASK] !== step) return;
  const n = reqN[reqId & MASK] as number;
  log.ackedAt[n] = t;
  ackHist.record(t - (log.sentAt[n] as number));
  acks++;
  if (inWindow) acksInWindow++;
  ackedBy.set(c.user.uid, (ackedBy.get(c.user.uid) ?? 0) + 1);
}

function onPush(c: Conn, body: Buffer, t: number): void {
  if (!scanGroupPush(body, scanned)) {
    // Not one of ours (a system message): only the DeliveredAck cursor moves.
    const m = JSON.parse(body.toString()) as { conversationId: number; seq: number };
    if (m.conversationId === c.user.conversationId && m.seq > c.deliveredSeq) c.deliveredSeq = m.seq;
    return;
  }
  if (scanned.conversationId === c.user.conversationId && scanned.seq > c.deliveredSeq) c.deliveredSeq = scanned.seq;
  if (scanned.step !== step) {
    stalePushes++;
    return;
  }
  pushes++;
  if (inWindow) pushesInWindow++;
  deliveryHist.record(t - scanned.sentAt);
  receipts.record(scanned.worker, scanned.n, t);
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
      case MsgId.MessagePush:
        onPush(c, f.body, t);
        break;
      case MsgId.SendAck:
        onAck(c, (JSON.parse(f.body.toString()) as { reqId: number }).reqId, t);
        break;
      case MsgId.Pong:
        pongs++;
        break;
      case MsgId.LoginResp:
        heartbeatSec = (JSON.parse(f.body.toString()) as { heartbeatSec: number }).heartbeatSec;
        c.loggedIn = true;
        c.onLogin?.(true, '');
        break;
      case MsgId.Error: {
        const m = JSON.parse(f.body.toString()) as { reqId?: number; code: string };
        if (!c.loggedIn) {
          c.onLogin?.(false, m.code);
          break;
        }
        countError(m.code);
        if (m.reqId !== undefined && m.reqId > 0) {
          c.outstanding--;
          sendErrors++;
        }
        break;
      }
      case MsgId.Kick:
      case MsgId.Reconnect:
        countError(f.id === MsgId.Kick ? 'Kick' : 'Reconnect');
        break;
      default:
        break;
    }
  }
}

// DeliveredAck: the highest pushed seq, per member, every deliveredAckMs.
let ackTimer: NodeJS.Timeout | undefined;
function startDeliveredAcks(ms: number): void {
  if (ackTimer) clearInterval(ackTimer);
  ackTimer = undefined;
  if (ms <= 0) return;
  ackTimer = setInterval(() => {
    for (const c of conns) {
      if (c.deliveredSeq === 0 || c.closed) continue;
      queue(c, encodeFrame(MsgId.DeliveredAck, { conversationId: c.user.conversationId, seq: c.deliveredSeq }));
      c.deliveredSeq = 0;
      deliveredAcks++;
    }
  }, ms);
  ackTimer.unref();
}

// Heartbeats: each second, the connections of one of heartbeatSec slices ping.
let hbSlice = 0;
setInterval(() => {
  if (heartbeatSec <= 0) return;
  const slice = hbSlice++ % heartbeatSec;
  for (let i = slice; i < conns.length; i += heartbeatSec) {
    const c = conns[i] as Conn;
    if (c.loggedIn && !c.closed) {
      queue(c, PING);
      pings++;
    }
  }
}, 1000).unref();

const hooks = {
  onData,
  onDrop(c: Conn): void {
    dropped++;
    countError(`dropped:${c.lastError || 'closed'}`);
  },
};

async function connectOne(user: GroupWorkerUser, login: LatencyHistogram): Promise<boolean> {
  const t0 = now();
  const c = await openMember(user, hooks);
  if (typeof c === 'string') {
    countError(c);
    return false;
  }
  login.record(now() - t0);
  conns.push(c);
  return true;
}

async function connect(cmd: Extract<GroupWorkerCommand, { cmd: 'connect' }>): Promise<ConnectResult> {
  workerIndex = cmd.index;
  bodyBytes = cmd.bodyBytes;
  errors = {};
  const login = new LatencyHistogram();
  const cpu0 = process.cpuUsage();
  const t0 = now();
  let next = 0;
  let ok = 0;
  await Promise.all(
    Array.from({ length: Math.min(cmd.concurrency, cmd.users.length) }, async () => {
      while (next < cmd.users.length) {
        const user = cmd.users[next++] as GroupWorkerUser;
        if (await connectOne(user, login)) ok++;
      }
    }),
  );
  startDeliveredAcks(cmd.deliveredAckMs);
  const cpu = process.cpuUsage(cpu0);
  const result: ConnectResult = { type: 'connected', attempted: cmd.users.length, loggedIn: ok, errors, wallMs: now() - t0, login: login.toData(), heartbeatSec, cpuMs: (cpu.user + cpu.system) / 1000 };
  errors = {};
  return result;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cpuMsSince = (c: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(c);
  return (d.user + d.system) / 1000;
};

/** What the current step keeps between its sending phase and its collection. */
interface StepState {
  t0: number;
  t1: number;
  countFrom: number;
  /** End of the drain: window end + drainMs. */
  until: number;
  cpu0: NodeJS.CpuUsage;
  cpuMs: number;
  throttled: number;
  lagged: number;
}
let current: StepState | undefined;

/** Phase 1: sends for durationMs, waits (up to the drain deadline) for its own acks, reports the acks per sender. */
async function runStep(cmd: Extract<GroupWorkerCommand, { cmd: 'step' }>): Promise<GroupSentResult> {
  step = cmd.step;
  log.reset();
  receipts.reset();
  ackedBy.clear();
  acks = acksInWindow = pushes = pushesInWindow = stalePushes = sendErrors = deliveredAcks = pings = pongs = dropped = 0;
  errors = {};
  ackHist.reset();
  deliveryHist.reset();
  const senders = conns.filter((c) => c.user.sender && c.loggedIn && !c.closed);
  const cap = Math.max(1, Math.ceil(cmd.rate * 0.25));
  let issued = 0;
  let rr = 0;
  const t0 = now();
  const st: StepState = { t0, t1: t0, countFrom: 0, until: 0, cpu0: process.cpuUsage(), cpuMs: 0, throttled: 0, lagged: 0 };
  current = st;
  const settleMs = Math.min(1000, cmd.durationMs / 5);
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const t = now();
      const elapsed = Math.min(t - t0, cmd.durationMs);
      if (!inWindow && elapsed >= settleMs) {
        inWindow = true;
        st.countFrom = t;
      }
      let due = Math.floor((elapsed * cmd.rate) / 1000) - issued;
      if (due > cap) {
        // More than 250 ms behind (this generator was stalled): drop the excess instead of bursting.
        st.lagged += due - cap;
        issued += due - cap;
        due = cap;
      }
      for (let k = 0; k < due && senders.length > 0; k++) {
        issued++;
        const c = senders[rr++ % senders.length] as Conn;
        if (c.closed || c.outstanding >= cmd.maxOutstanding) st.throttled++;
        else send(c, t);
      }
      flush();
      if (elapsed >= cmd.durationMs) {
        clearInterval(timer);
        resolve();
      }
    }, cmd.tickMs);
  });
  inWindow = false;
  st.t1 = now();
  st.until = st.t1 + cmd.drainMs;
  st.cpuMs = cpuMsSince(st.cpu0);
  while (now() < st.until && acks + sendErrors < log.length) await sleep(5);
  return { type: 'group-sent', worker: workerIndex, acked: [...ackedBy] };
}

/** Phase 2: waits until `expectedPushes` pushes of this step arrived here (or the drain deadline), then reports. */
async function collect(expectedPushes: number): Promise<GroupStepResult> {
  const st = current;
  if (!st) throw new Error('collect before step');
  while (now() < st.until && pushes < expectedPushes) await sleep(5);
  const sent = log.length;
  return {
    type: 'group-step',
    worker: workerIndex,
    windowMs: st.t1 - st.t0,
    countMs: st.countFrom ? st.t1 - st.countFrom : 0,
    sent,
    acks,
    acksInWindow,
    pushes,
    expectedPushes,
    pushesInWindow,
    stalePushes,
    throttled: st.throttled,
    lagged: st.lagged,
    unacked: Math.max(0, sent - acks - sendErrors),
    errors,
    ack: ackHist.toData(),
    delivery: deliveryHist.toData(),
    ...log.toData(),
    receipts: receipts.toData(),
    deliveredAcks,
    pings,
    pongs,
    dropped,
    open: conns.filter((c) => !c.closed).length,
    cpuMs: st.cpuMs,
    cpuAllMs: cpuMsSince(st.cpu0),
    drainMs: now() - st.t1,
  };
}

async function disconnect(): Promise<number> {
  startDeliveredAcks(0);
  heartbeatSec = 0;
  await closeAll(conns);
  const n = conns.length;
  conns.length = 0;
  return n;
}

async function handle(cmd: GroupWorkerCommand): Promise<GroupWorkerReply | undefined> {
  switch (cmd.cmd) {
    case 'connect':
      return connect(cmd);
    case 'step':
      return runStep(cmd);
    case 'collect':
      return collect(cmd.expectedPushes);
    case 'disconnect':
      return { type: 'disconnected', closed: await disconnect() };
    case 'exit':
      await disconnect();
      process.disconnect?.();
      process.exit(0);
  }
}

process.on('message', (cmd: GroupWorkerCommand) => {
  handle(cmd).then(
    (reply) => reply && process.send?.(reply),
    (err: unknown) => process.send?.({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies GroupWorkerReply),
  );
});
process.on('disconnect', () => process.exit(0));
