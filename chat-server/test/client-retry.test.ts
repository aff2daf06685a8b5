import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RowDataPacket } from 'mysql2/promise';
import { createLogger, type RunningServer } from '@parley/common';
import { createTestEnv, type TestEnv } from '@parley/common/testing';
import { ChatClient, ConnectionClosedError, sendMessageWithRetry } from '@parley/protocol';
import { startChatServer } from '../src/index';
import { befriend, userWithToken } from './support/fixtures';
import { LossyProxy } from './support/lossy-proxy';

// Issue 11 item 13: a send retried after its ack was lost is stored once, under the first seq.
let env: TestEnv;
let server: RunningServer;
let proxy: LossyProxy;

before(async () => {
  env = await createTestEnv({ chatServers: [{ id: 'chat1', tcpPort: 0, grpcPort: 0 }] });
  server = await startChatServer({ config: env.config, logger: createLogger({ kind: 'chat', id: 'chat1', level: 'silent' }), id: 'chat1' });
  proxy = await LossyProxy.start(server.ready.tcpPort as number);
});

after(async () => {
  await proxy?.stop();
  await server?.stop();
  await env?.cleanup();
});

describe('ChatClient send retry', () => {
  it('retries a send whose ack was lost with the same clientMsgId: one stored message, the same seq', async () => {
    const [a, b] = [await userWithToken(env.pool, env.redis), await userWithToken(env.pool, env.redis)];
    const conv = await befriend(env.pool, a.uid, b.uid);
    const clients: ChatClient[] = [];
    const errors: unknown[] = [];
    const ack = await sendMessageWithRetry(
      async (attempt) => {
        const client = new ChatClient({ heartbeat: false });
        clients.push(client);
        // The first attempt goes through the proxy, which loses the SendAck and cuts the link.
        await client.connect('127.0.0.1', attempt === 1 ? proxy.port : (server.ready.tcpPort as number));
        await client.login(a.uid, a.token);
        if (attempt === 1) {
          proxy.loseNextReply();
          client.once('close', () => errors.push('closed'));
        }
        return client;
      },
      { to: b.uid },
      'exactly once',
      { retryDelayMs: 10 },
    );
    assert.deepEqual(errors, ['closed'], 'the first attempt lost its connection');
    assert.equal(clients.length, 2);
    const [rows] = await env.pool.query<RowDataPacket[]>('SELECT seq, client_msg_id FROM messages WHERE conversation_id = ?', [conv]);
    assert.equal(rows.length, 1, 'stored once');
    assert.equal(rows[0]?.seq, ack.seq, 'the retry was answered with the first seq');
    assert.equal(rows[0]?.client_msg_id, ack.clientMsgId);
    await Promise.all(clients.map((c) => c.close()));
  });

  it('does not retry an error that is the answer, and keeps a caller-given clientMsgId', async () => {
    const [a, b] = [await userWithToken(env.pool, env.redis), await userWithToken(env.pool, env.redis)];
    const conv = await befriend(env.pool, a.uid, b.uid);
    let attempts = 0;
    const client = new ChatClient({ heartbeat: false });
    await client.connect('127.0.0.1', server.ready.tcpPort as number);
    await client.login(a.uid, a.token);
    const connect = async (): Promise<ChatClient> => {
      attempts++;
      return client;
    };
    const ack = await sendMessageWithRetry(connect, { conversationId: conv }, 'mine', { clientMsgId: 'caller-id-1' });
    assert.equal(ack.clientMsgId, 'caller-id-1');
    await assert.rejects(sendMessageWithRetry(connect, { conversationId: conv + 1000 }, 'no'), (err: Error) => !(err instanceof ConnectionClosedError));
    assert.equal(attempts, 2, 'one attempt each');
    await client.close();
  });
});
