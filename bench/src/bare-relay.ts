/**
 * The chat benchmark's baseline: a minimal Node TCP forwarder speaking the same TLV framing as a
 * chat server, with none of its work — no token check, no storage, no validation, no cluster.
 * `node bench/dist/src/bare-relay.js [--host 127.0.0.1] [--port 0]` prints one JSON line
 * `{"event":"ready","port":N}` and runs until SIGTERM/SIGINT.
 *
 * LoginReq just names the uid (answered with LoginResp); SendReq `{ reqId, to, clientMsgId, type,
 * body }` is forwarded to `to` as MessagePush (seq counted per sender) and acked to the sender
 * with SendAck; Ping gets Pong; everything else is ignored. Writes are coalesced per connection
 * and tick (cork on first write, one setImmediate uncorks all), as the chat server does.
 */
import net from 'node:net';
import { argValue } from '@parley/common';
import { encodeFrame, MsgId, TlvDecoder } from '@parley/protocol';

interface RelayConn {
  socket: net.Socket;
  uid: number;
  seq: number;
  corked: boolean;
}

const byUid = new Map<number, RelayConn>();
let dirty: RelayConn[] = [];
let scheduled = false;

function flush(): void {
  scheduled = false;
  const list = dirty;
  dirty = [];
  for (const c of list) {
    c.corked = false;
    c.socket.uncork();
  }
}

function write(c: RelayConn, frame: Buffer): void {
  if (c.socket.destroyed) return;
  if (!c.corked) {
    c.corked = true;
    c.socket.cork();
    dirty.push(c);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  }
  c.socket.write(frame);
}

interface Incoming {
  reqId?: number;
  uid?: number;
  to?: number;
  clientMsgId?: string;
  type?: string;
  body?: string;
}

function onFrame(c: RelayConn, id: number, body: Buffer): void {
  const m = JSON.parse(body.toString()) as Incoming;
  const serverTime = Date.now();
  switch (id) {
    case MsgId.LoginReq: {
      c.uid = Number(m.uid);
      const old = byUid.get(c.uid);
      if (old && old !== c) old.socket.destroy();
      byUid.set(c.uid, c);
      write(c, encodeFrame(MsgId.LoginResp, { reqId: m.reqId ?? 0, uid: c.uid, serverId: 'relay', serverTime, heartbeatSec: 20 }));
      return;
    }
    case MsgId.SendReq: {
      const to = Number(m.to);
      const seq = ++c.seq;
      const conversationId = Math.min(c.uid, to);
      const target = byUid.get(to);
      if (target) write(target, encodeFrame(MsgId.MessagePush, { conversationId, seq, senderUid: c.uid, clientMsgId: m.clientMsgId, type: m.type, body: m.body, serverTime }));
      write(c, encodeFrame(MsgId.SendAck, { reqId: m.reqId, clientMsgId: m.clientMsgId, conversationId, seq, serverTime }));
      return;
    }
    case MsgId.Ping:
      write(c, encodeFrame(MsgId.Pong, { serverTime }));
      return;
    default:
      return;
  }
}

const server = net.createServer({ noDelay: true }, (socket) => {
  const c: RelayConn = { socket, uid: 0, seq: 0, corked: false };
  const decoder = new TlvDecoder({ maxBodyBytes: 1024 * 1024 });
  socket.on('data', (chunk: Buffer) => {
    try {
      for (const f of decoder.push(chunk)) onFrame(c, f.id, f.body);
    } catch {
      socket.destroy();
    }
  });
  socket.on('error', () => undefined);
  socket.once('close', () => {
    if (byUid.get(c.uid) === c) byUid.delete(c.uid);
  });
});

server.listen({ host: argValue('host') ?? '127.0.0.1', port: Number(argValue('port') ?? 0), backlog: 4096 }, () => {
  const addr = server.address();
  console.log(JSON.stringify({ event: 'ready', port: typeof addr === 'object' && addr ? addr.port : 0 }));
});

const stop = () => {
  server.close();
  for (const c of byUid.values()) c.socket.destroy();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
