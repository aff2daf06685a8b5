import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { credentials, type ChannelCredentials } from '@grpc/grpc-js';
import {
  chatApiPackage,
  chatPeerPackage,
  ensureDevCa,
  issueDevCert,
  statusPackage,
  unary,
  verifyPackage,
  type CallReply__Output,
  type CheckCodeReply__Output,
  type KickReply__Output,
  type ListChatServersReply__Output,
} from '@parley/common';
import { testClusterCredentials, testClusterTls } from '@parley/common/testing';
import { Cluster } from '../src/cluster';

/**
 * Issue 11, item 1: every internal gRPC service (verify, status, ChatPeer and ChatApi on a chat
 * server) asks its caller for a certificate of the cluster's CA. A caller in plaintext, with TLS but
 * no certificate, or with a certificate from another CA is refused at the handshake; only the
 * cluster's certificate gets an answer.
 */
describe('internal services refuse callers without a cluster certificate', () => {
  let cluster: Cluster;
  let dir: string;
  const callers: Record<string, () => ChannelCredentials> = {};

  before(async () => {
    cluster = await Cluster.start({ chatServers: 1, kinds: ['verify', 'status', 'chat'] });
    dir = mkdtempSync(join(tmpdir(), 'parley-mtls-'));
    const stranger = ensureDevCa(join(dir, 'stranger-ca'));
    const strangerCert = issueDevCert(stranger, { name: 'stranger', ips: ['127.0.0.1'], clientAuth: true });
    const clusterCa = readFileSync(testClusterTls().caFile);
    callers.plaintext = () => credentials.createInsecure();
    callers['TLS without a client certificate'] = () => credentials.createSsl(clusterCa);
    callers['a certificate of another CA'] = () => credentials.createSsl(clusterCa, readFileSync(strangerCert.keyFile), readFileSync(strangerCert.certFile));
  });
  after(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** One cheap call per service; resolves with the reply or rejects with the gRPC error. */
  function calls(creds: ChannelCredentials): Record<string, () => Promise<unknown>> {
    const chat = cluster.chat[0] as (typeof cluster.chat)[number];
    const verify = new (verifyPackage().VerifyService)(`127.0.0.1:${cluster.verify.port}`, creds);
    const status = new (statusPackage().StatusService)(`127.0.0.1:${cluster.status.port}`, creds);
    const peer = new (chatPeerPackage().ChatPeer)(`127.0.0.1:${chat.grpcPort}`, creds);
    const api = new (chatApiPackage().ChatApi)(`127.0.0.1:${chat.grpcPort}`, creds);
    const closing = <T>(client: { close(): void }, p: Promise<T>) => p.finally(() => client.close());
    return {
      verify: () => closing(verify, unary<CheckCodeReply__Output>((o, cb) => verify.CheckCode({ email: 'nobody@example.com', purpose: 1, code: '000000' }, o, cb), 3000)),
      status: () => closing(status, unary<ListChatServersReply__Output>((o, cb) => status.ListChatServers({}, o, cb), 3000)),
      'chat peer': () => closing(peer, unary<KickReply__Output>((o, cb) => peer.Kick({ uid: 999999, keepSession: '', reason: 'test' }, o, cb), 3000)),
      'chat api': () => closing(api, unary<CallReply__Output>((o, cb) => api.Call({ uid: 999999, msgId: 28, body: Buffer.from('{"reqId":0}') }, o, cb), 3000)),
    };
  }

  it('answers the cluster certificate on every service', async () => {
    const all = calls(testClusterCredentials().channel);
    const list = (await all.status?.()) as ListChatServersReply__Output;
    assert.deepEqual(list.servers.map((s) => s.server?.id), ['chat1']);
    assert.equal(((await all['chat peer']?.()) as KickReply__Output).kicked, 0);
    // The handlers ran: their answers are application errors, not transport failures.
    await assert.rejects(all.verify?.() as Promise<unknown>, (err: { code?: string }) => err.code !== 'UNAVAILABLE');
    await all['chat api']?.().catch((err: { code?: string }) => assert.notEqual(err.code, 'UNAVAILABLE'));
  });

  for (const who of ['plaintext', 'TLS without a client certificate', 'a certificate of another CA']) {
    it(`refuses ${who} on every service`, async () => {
      const all = calls((callers[who] as () => ChannelCredentials)());
      for (const [service, call] of Object.entries(all)) {
        await assert.rejects(call(), (err: { code?: string }) => err.code === 'UNAVAILABLE', `${service} answered ${who}`);
      }
    });
  }
});
