import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createLogger, type ChatInstanceConfig } from '@parley/common';
import { createTestEnv, type TestEnv, testClusterCredentials } from '@parley/common/testing';
import { MsgId, type ChatMessage } from '@parley/protocol';
import { PeerClients } from '../src/cluster/peer-clients';
import { Payload, type Push } from '../src/cluster/push';
import { RouteStore } from '../src/cluster/route-store';
import { userWithToken } from './support/fixtures';
import { startPeerNode, type PeerNode } from './support/peer-node';

// Cross-server delivery between in-process nodes over real gRPC and TCP: a message travels to a
// peer once with its recipients' uids, and what the peer misses comes back to the sender.
const logger = createLogger({ kind: 'chat', id: 'test', level: 'silent' });
let env: TestEnv;
const directory: ChatInstanceConfig[] = [];
let chat1: PeerNode;
let chat2: PeerNode;
let chat3: PeerNode;

before(async () => {
  env = await createTestEnv();
  chat1 = await startPeerNode(env, 'chat1', directory, logger);
  chat2 = await startPeerNode(env, 'chat2', directory, logger);
  chat3 = await startPeerNode(env, 'chat3', directory, logger);
});

after(async () => {
  await Promise.allSettled([chat1, chat2, chat3].map((n) => n?.stop()));
  await env?.cleanup();
});

let seq = 0;
function message(body: string): Payload {
  const m: ChatMessage = { conversationId: 1, seq: ++seq, senderUid: 1, clientMsgId: `c${seq}`, type: 'text', body, serverTime: Date.now() };
  return Payload.of(MsgId.MessagePush, m);
}

const user = () => userWithToken(env.pool, env.redis);

async function waitFor(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The Deliver requests `node` receives while `fn` runs. */
async function received(node: PeerNode, fn: () => Promise<void>): Promise<PeerNode['delivers']> {
  const start = node.delivers.length;
  await fn();
  return node.delivers.slice(start);
}

/** Settles everything chat1 has in flight: routing steps, Deliver calls, and the resends they cause. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await chat1.notifier.drain();
    await chat1.peers.drain();
  }
}

const sorted = (uids: readonly number[]) => [...uids].sort((a, b) => a - b);

describe('cross-server delivery', () => {
  it('carries a message for many users on a peer as one push with their uids; each gets the same frame', async () => {
    const remote = [await user(), await user(), await user()];
    const local = await user();
    const offline = await user();
    const sessions = await Promise.all(remote.map((u) => chat2.connect(u)));
    const here = await chat1.connect(local);
    const payload = message('to many');
    const calls = await received(chat2, async () => {
      await chat1.notifier.deliver([{ payload, uids: [...remote.map((u) => u.uid), local.uid, offline.uid] }]);
      await waitFor(() => [...sessions, here].every((s) => s.frames.length === 1), 'every push');
      await settle();
    });
    assert.equal(calls.length, 1, 'one Deliver call');
    assert.equal(calls[0]?.pushes.length, 1, 'one push');
    const push = calls[0]?.pushes[0];
    assert.deepEqual(sorted(push?.uids ?? []), sorted(remote.map((u) => u.uid)));
    assert.ok(push?.body.equals(payload.json), 'the body travels as serialised once');
    for (const s of [...sessions, here]) assert.deepEqual(s.frames, [payload.frame]);
  });

  it('sends one Deliver per peer and tick, each caller getting back only its own missed share', async () => {
    const [a, b] = [await user(), await user()];
    await Promise.all([chat2.connect(a), chat2.connect(b)]);
    const ghost = 900_000_001; // no session anywhere
    const [one, two, three] = [message('one'), message('two'), message('three')];
    let shares: Push[][] = [];
    const calls = await received(chat2, async () => {
      shares = await Promise.all([
        chat1.peers.deliver('chat2', [{ payload: one, uids: [a.uid, ghost] }]),
        chat1.peers.deliver('chat2', [
          { payload: two, uids: [b.uid] },
          { payload: three, uids: [ghost, a.uid, b.uid] },
        ]),
      ]);
    });
    assert.equal(calls.length, 1);
    assert.deepEqual(
      calls[0]?.pushes.map((p) => p.uids),
      [[a.uid, ghost], [b.uid], [ghost, a.uid, b.uid]],
    );
    const [first, second] = shares;
    assert.equal(first?.length, 1);
    assert.equal(first?.[0]?.payload, one);
    assert.deepEqual(first?.[0]?.uids, [ghost]);
    assert.equal(second?.length, 1);
    assert.equal(second?.[0]?.payload, three);
    assert.deepEqual(second?.[0]?.uids, [ghost]);
  });

  it('splits a tick at the per-call limits and still delivers everything', async () => {
    const a = await user();
    const session = await chat2.connect(a);
    const split = new PeerClients({ selfId: 'chat1', redis: env.redis, configured: directory, credentials: testClusterCredentials(), logger, maxPushesPerCall: 2, maxBytesPerCall: 1 << 20 });
    const payloads = [1, 2, 3, 4, 5].map((i) => message(`m${i}`));
    const big = message('x'.repeat(2000));
    const bySize = new PeerClients({ selfId: 'chat1', redis: env.redis, configured: directory, credentials: testClusterCredentials(), logger, maxBytesPerCall: 2500 });
    try {
      const calls = await received(chat2, async () => {
        assert.deepEqual(await split.deliver('chat2', payloads.map((payload) => ({ payload, uids: [a.uid] }))), []);
        assert.deepEqual(await bySize.deliver('chat2', [big, big].map((payload) => ({ payload, uids: [a.uid] }))), []);
      });
      assert.deepEqual(
        calls.map((c) => c.pushes.length),
        [2, 2, 1, 1, 1],
      );
      await waitFor(() => session.frames.length === 7, 'every push');
      assert.deepEqual(session.frames, [...payloads, big, big].map((p) => p.frame));
    } finally {
      split.close();
      bySize.close();
    }
  });

  it('hands back everything when the call fails', async () => {
    const closed = await unusedPort();
    const peers = new PeerClients({ selfId: 'chat1', redis: env.redis, configured: [{ id: 'gone', host: '127.0.0.1', bindHost: '127.0.0.1', grpcHost: '', grpcBindHost: '127.0.0.1', tcpPort: 0, grpcPort: closed, wsPort: -1 }], credentials: testClusterCredentials(), logger });
    try {
      const pushes: Push[] = [
        { payload: message('a'), uids: [1, 2] },
        { payload: message('b'), uids: [3] },
      ];
      const missed = await peers.deliver('gone', pushes);
      assert.equal(missed.length, 2);
      assert.ok(missed.every((p, i) => p === pushes[i]), 'the very pushes, uids and all');
    } finally {
      peers.close();
    }
  });

  it('re-routes a stale route once: the missed share goes to the server Redis names now', async () => {
    const [mover, stays] = [await user(), await user()];
    const away = await chat2.connect(mover);
    const stay = await chat2.connect(stays);
    // chat1 learns (and remembers) that both are on chat2.
    await chat1.notifier.deliver([{ payload: message('warm'), uids: [mover.uid, stays.uid] }]);
    await waitFor(() => away.frames.length === 1 && stay.frames.length === 1, 'the first pushes');
    // The mover goes to chat3 within the remembered time; a ghost's route names chat2 without a session.
    await away.client.close();
    await waitFor(() => chat2.registry.get(mover.uid) === undefined, 'chat2 to see the close');
    const moved = await chat3.connect(mover);
    const ghost = await user();
    await new RouteStore(env.redis, 'chat2', 60_000).claim(ghost.uid, 'no-such-session');

    const payload = message('after the move');
    let onChat3: PeerNode['delivers'] = [];
    const onChat2 = await received(chat2, async () => {
      onChat3 = await received(chat3, async () => {
        await chat1.notifier.deliver([{ payload, uids: [mover.uid, stays.uid, ghost.uid] }]);
        await waitFor(() => moved.frames.length === 1, 'the push on chat3');
        await settle();
      });
    });
    // chat2 got the push once and named the two it does not have; only the mover is elsewhere now.
    assert.equal(onChat2.length, 1, 'the ghost is not sent to chat2 again');
    assert.deepEqual(sorted(onChat2[0]?.pushes[0]?.uids ?? []), sorted([mover.uid, stays.uid, ghost.uid]));
    assert.equal(onChat3.length, 1);
    assert.deepEqual(onChat3[0]?.pushes.map((p) => p.uids), [[mover.uid]]);
    assert.deepEqual(moved.frames, [payload.frame]);
    await waitFor(() => stay.frames.length === 2, 'the push on chat2');
    assert.deepEqual(stay.frames[1], payload.frame);
  });
});

/** A port nothing listens on: bound once, then released. */
async function unusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
