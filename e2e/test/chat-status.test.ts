import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createStatusClient,
  unary,
  type GetChatServerReply__Output,
  type ListChatServersReply__Output,
  type StatusServiceClient,
} from '@parley/common';
import { ChatClient } from '@parley/protocol';
import { Cluster } from '../src/cluster';
import { createUser, login } from './support/chat-fixtures';
import { testClusterCredentials } from '@parley/common/testing';

// Chat servers and the real status-server: load reports, a token issued by GetChatServer, draining.
let cluster: Cluster;
let status: StatusServiceClient;

before(async () => {
  cluster = await Cluster.start({ chatServers: 2, kinds: ['status', 'chat'], sections: { cluster: { log_level: 'info' } } });
  status = createStatusClient(cluster.status.host, cluster.status.port, testClusterCredentials());
});

after(async () => {
  status?.close();
  await cluster?.stop();
});

async function servers(): Promise<ListChatServersReply__Output['servers']> {
  return (await unary<ListChatServersReply__Output>((o, cb) => status.ListChatServers({}, o, cb))).servers;
}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 8000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('chat servers and the status-server', () => {
  it('report logged-in sessions, accept the tokens status issues, and deregister when stopped', async () => {
    await until('both chat servers registered', async () => ((await servers()).filter((s) => s.healthy).length === 2 ? true : undefined));
    const users = [await createUser(cluster), await createUser(cluster), await createUser(cluster)];
    // The real token path: GetChatServer picks a server and issues the token the chat server checks.
    const clients: ChatClient[] = [];
    for (const u of users) {
      const reply = await unary<GetChatServerReply__Output>((o, cb) => status.GetChatServer({ uid: u.uid }, o, cb));
      const server = reply.server;
      assert.ok(server);
      const client = new ChatClient();
      await client.connect(server.host, server.tcpPort);
      const resp = await client.login(u.uid, reply.token);
      assert.equal(resp.serverId, server.id);
      clients.push(client);
    }
    // A connection that never logs in does not count as load.
    const idle = new ChatClient();
    await idle.connect(cluster.chatEndpoint('chat1').host, cluster.chatEndpoint('chat1').tcpPort);
    const total = await until('load reports with every session', async () => {
      const list = await servers();
      const sum = list.reduce((n, s) => n + s.connections, 0);
      return sum === users.length ? list : undefined;
    });
    assert.deepEqual(total.map((s) => s.server?.id).sort(), ['chat1', 'chat2']);
    idle.destroy();

    const extra = await createUser(cluster);
    const onTwo = await login(cluster.chatEndpoint('chat2'), extra);
    await cluster.stopProcess('chat2', 'SIGTERM');
    const left = await servers();
    assert.deepEqual(left.map((s) => s.server?.id), ['chat1'], 'chat2 deregistered on its way out');
    onTwo.destroy();
    for (const c of clients) c.destroy();
    await cluster.startProcess('chat', 'chat2');
    await until('chat2 registered again', async () => ((await servers()).some((s) => s.server?.id === 'chat2' && s.healthy) ? true : undefined));
  });
});
