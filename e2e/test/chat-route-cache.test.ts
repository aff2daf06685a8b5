import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MsgId, type ChatClient, type ChatMessage } from '@parley/protocol';
import { Cluster } from '../src/cluster';
import { befriend, createUser, login, waitFor, waitForClose } from './support/chat-fixtures';

// A sender's server remembers where recipients are (chat-server ClusterNotifier); a recipient that
// moved to another server meanwhile must still get its pushes, not only find them by sync.
let cluster: Cluster;

before(async () => {
  cluster = await Cluster.start({ chatServers: 3, kinds: ['chat'], sections: { cluster: { log_level: 'info' } } });
});

after(async () => {
  await cluster?.stop();
});

function pushes(client: ChatClient): ChatMessage[] {
  const got: ChatMessage[] = [];
  client.on('push', (id, msg) => {
    if (id === MsgId.MessagePush) got.push(msg);
  });
  return got;
}

describe('pushes with remembered routes', () => {
  it('follows a recipient that moved to another server within the remembered time', async () => {
    const [a, b] = [await createUser(cluster), await createUser(cluster)];
    const conv = await befriend(cluster, a.uid, b.uid);
    const sender = await login(cluster.chatEndpoint('chat1'), a);
    // B on chat2: chat1 looks B up and remembers chat2.
    const first = await login(cluster.chatEndpoint('chat2'), b);
    const onChat2 = pushes(first);
    await sender.sendMessage({ conversationId: conv }, 'to chat2');
    await waitFor(() => onChat2.length === 1, 3000, 'the push on chat2');
    // B moves to chat3 at once, well within the 3 s chat1 remembers the route.
    const closed = waitForClose(first);
    await first.close();
    await closed;
    const second = await login(cluster.chatEndpoint('chat3'), b);
    const onChat3 = pushes(second);
    await new Promise((r) => setTimeout(r, 100)); // chat2 notices the closed socket
    const ack = await sender.sendMessage({ conversationId: conv }, 'to chat3');
    // chat2 answers that B is not there; chat1 looks B up again and sends the frame to chat3.
    await waitFor(() => onChat3.length === 1, 3000, 'the push on chat3');
    assert.equal(onChat3[0]?.seq, ack.seq);
    assert.equal(onChat3[0]?.body, 'to chat3');
    assert.equal(onChat2.length, 1);
    await Promise.all([sender.close(), second.close()]);
  });
});
