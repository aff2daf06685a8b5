import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RowDataPacket } from 'mysql2/promise';
import { createLogger, type RunningServer } from '@parley/common';
import { createTestEnv, type TestEnv } from '@parley/common/testing';
import { ChatClient, MsgId, type ProtocolError } from '@parley/protocol';
import { startChatServer } from '../src/index';
import { befriend, userWithToken } from './support/fixtures';

// Issue 11 item 14 over TCP: a lone surrogate (JSON `\uD800`) is refused wherever a string arrives,
// never stored altered; a nickname with format characters is refused.
let env: TestEnv;
let server: RunningServer;

before(async () => {
  env = await createTestEnv({ chatServers: [{ id: 'chat1', tcpPort: 0, grpcPort: 0 }] });
  server = await startChatServer({ config: env.config, logger: createLogger({ kind: 'chat', id: 'chat1', level: 'silent' }), id: 'chat1' });
});

after(async () => {
  await server?.stop();
  await env?.cleanup();
});

async function connect(user: { uid: number; token: string }): Promise<ChatClient> {
  const client = new ChatClient({ heartbeat: false });
  await client.connect('127.0.0.1', server.ready.tcpPort as number);
  await client.login(user.uid, user.token);
  return client;
}

const refusedAs = (code: string, path: string) => (err: ProtocolError) => {
  assert.equal(err.code, code);
  assert.deepEqual((err.details as { path: string }[]).map((d) => d.path), [path]);
  return true;
};

describe('hostile strings over TCP', () => {
  it('refuses a lone surrogate in a message body or clientMsgId with VALIDATION_FAILED and stores nothing', async () => {
    const [a, b] = [await userWithToken(env.pool, env.redis), await userWithToken(env.pool, env.redis)];
    const conv = await befriend(env.pool, a.uid, b.uid);
    const client = await connect(a);
    // JSON.stringify writes a lone surrogate as the escape `\ud800`: valid JSON, not text.
    await assert.rejects(client.sendMessage({ to: b.uid }, 'half \uD800 a pair'), refusedAs('VALIDATION_FAILED', 'body'));
    await assert.rejects(client.sendMessage({ to: b.uid }, 'x', { clientMsgId: 'id\uDC00' }), refusedAs('VALIDATION_FAILED', 'clientMsgId'));
    await assert.rejects(client.request(MsgId.SearchUserReq, { query: '\uDBFF' }), refusedAs('VALIDATION_FAILED', 'query'));
    // A real pair (an emoji) is one character and goes through; the connection stayed usable.
    const ack = await client.sendMessage({ to: b.uid }, 'a pair \uD83C\uDF37');
    const [rows] = await env.pool.query<RowDataPacket[]>('SELECT seq, body FROM messages WHERE conversation_id = ?', [conv]);
    assert.deepEqual(rows.map((r) => [Number(r.seq), String(r.body)]), [[ack.seq, 'a pair 🌷']]);
    await client.close();
  });

  it('refuses format characters and lone surrogates in a nickname update', async () => {
    const a = await userWithToken(env.pool, env.redis);
    const client = await connect(a);
    for (const nickname of ['\u202Egnp.exe', 'zero\u200Bwidth', 'lone\uD800']) {
      await assert.rejects(client.request(MsgId.ProfileUpdateReq, { nickname }), refusedAs('VALIDATION_FAILED', 'nickname'), JSON.stringify(nickname));
    }
    const [rows] = await env.pool.query<RowDataPacket[]>('SELECT nickname FROM users WHERE id = ?', [a.uid]);
    assert.doesNotMatch(String(rows[0]?.nickname), /[\u202E\u200B\uFFFD?]/u);
    await client.close();
  });
});
