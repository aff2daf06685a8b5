import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { extractCode } from '@parley/common/testing';
import { ChatClient, MsgId, type ChatMessage, type FriendNotify } from '@parley/protocol';
import { Cluster, postJson } from '../src/index';
import { waitFor } from './support/chat-fixtures';

// The whole product path through five real processes: mail code → register → gate login →
// chat login with the gate's token → friend request → message across chat servers.
const PASSWORD = 'chat-Path-Pass-7';
let cluster: Cluster;

before(async () => {
  cluster = await Cluster.start({ chatServers: 2, sections: { cluster: { log_level: 'info' }, verify: { resend_interval_sec: 0 } } });
});

after(async () => {
  await cluster?.stop();
});

async function signUp(name: string): Promise<{ uid: number; token: string; host: string; tcpPort: number; serverId: string }> {
  const email = `${name.toLowerCase()}@mail.example.test`;
  const since = cluster.smtp.messages.length;
  const sent = await postJson(cluster.gateUrl, '/api/verify-code', { email, purpose: 'register' });
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  const code = extractCode((await cluster.smtp.waitForMail(email, 10000, since)).raw);
  const reg = await postJson(cluster.gateUrl, '/api/register', { email, code, name, password: PASSWORD });
  assert.equal(reg.status, 201, JSON.stringify(reg.body));
  // The gate only hands out chat servers that reported load to the status-server.
  for (let i = 0; ; i++) {
    const res = await postJson(cluster.gateUrl, '/api/login', { account: name, password: PASSWORD });
    if (res.status === 200) return res.body as { uid: number; token: string; host: string; tcpPort: number; serverId: string };
    assert.ok(i < 50 && res.status === 503, JSON.stringify(res.body));
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the whole path', () => {
  it('registers, logs in at the gate, chats with the token, befriends and messages', async () => {
    const tag = Date.now().toString(36).slice(-5);
    const ada = await signUp(`ada${tag}`);
    const bob = await signUp(`bob${tag}`);
    const connect = async (who: typeof ada) => {
      const client = new ChatClient();
      await client.connect(who.host, who.tcpPort);
      const resp = await client.login(who.uid, who.token);
      assert.equal(resp.serverId, who.serverId);
      return client;
    };
    const a = await connect(ada);
    const b = await connect(bob);
    const notes: FriendNotify[] = [];
    const pushes: ChatMessage[] = [];
    b.on('push', (id, msg) => {
      if (id === MsgId.FriendNotify) notes.push(msg as FriendNotify);
      if (id === MsgId.MessagePush) pushes.push(msg as ChatMessage);
    });
    const found = await a.request(MsgId.SearchUserReq, { query: `bob${tag}` });
    assert.deepEqual(found.users.map((u) => u.uid), [bob.uid]);
    const req = await a.request(MsgId.FriendRequestReq, { toUid: bob.uid });
    await waitFor(() => notes.find((n) => n.kind === 'request'), 5000, 'friend request notice');
    const reply = await b.request(MsgId.FriendReplyReq, { requestId: req.requestId, accept: true });
    const conv = reply.friend?.conversationId as number;
    const ack = await a.sendMessage({ to: bob.uid }, 'hi bob');
    assert.equal(ack.conversationId, conv);
    assert.equal(ack.seq, 1);
    const got = await waitFor(() => pushes[0], 5000, 'message push');
    assert.equal(got.body, 'hi bob');
    assert.equal(got.senderUid, ada.uid);
    // A second gate login replaces the token and the chat session follows it.
    const again = await postJson(cluster.gateUrl, '/api/login', { account: `ada${tag}`, password: PASSWORD });
    assert.equal(again.status, 200);
    const closed = new Promise((r) => a.once('close', r));
    const a2 = await connect(again.body as typeof ada);
    await closed;
    const history = await a2.history(conv);
    assert.deepEqual(history.messages.map((m) => m.body), ['hi bob']);
    await Promise.all([a2.close(), b.close()]);
  });

  it('a password reset ends the live chat session, and the old token no longer logs in', async () => {
    const name = `cy${Date.now().toString(36).slice(-5)}`;
    const cy = await signUp(name);
    const client = new ChatClient();
    await client.connect(cy.host, cy.tcpPort);
    await client.login(cy.uid, cy.token);
    const kicked = new Promise<unknown>((resolve) => client.on('push', (id, msg) => id === MsgId.Kick && resolve(msg)));
    const closed = new Promise((r) => client.once('close', r));
    const email = `${name}@mail.example.test`;
    const since = cluster.smtp.messages.length;
    assert.equal((await postJson(cluster.gateUrl, '/api/verify-code', { email, purpose: 'reset' })).status, 200);
    const code = extractCode((await cluster.smtp.waitForMail(email, 10000, since)).raw);
    const reset = await postJson(cluster.gateUrl, '/api/reset-password', { email, code, password: 'New-chat-Pass-8' });
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
    assert.deepEqual(await kicked, { reason: 'password_changed' });
    await closed;
    const stale = new ChatClient();
    await stale.connect(cy.host, cy.tcpPort);
    await assert.rejects(stale.login(cy.uid, cy.token), (err: { code?: string }) => err.code === 'TOKEN_INVALID');
    stale.destroy();
  });
});
