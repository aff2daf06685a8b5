import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { MemoryStore, ParleyClient, type FetchLike } from '@parley/client';
import { tcpTransportWithCa } from '@parley/client/node';
import { extractCode, testClusterTls } from '@parley/common/testing';
import { ChatClient, decodeServerMessage, encodeFrame, MsgId, TlvDecoder, type ChatMessage, type ServerMessage } from '@parley/protocol';
import { WebSocket } from 'ws';
import { Cluster } from '../src/index';
import { befriend, createUser, waitFor } from './support/chat-fixtures';

/**
 * Issue 11, item 2: with `tls_cert_file` / `tls_key_file` in [gate], [chat] and [file], the gate
 * speaks HTTPS, and the chat and file servers TLS on their TCP ports and wss:// on their WebSocket
 * ports; the login answer tells clients so. A plaintext client gets nothing from those ports.
 */
describe('TLS for clients', () => {
  let cluster: Cluster;
  let ca: Buffer;
  let gatePort: number;

  before(async () => {
    const { certFile, keyFile, caFile } = testClusterTls();
    const pair = { tls_cert_file: certFile, tls_key_file: keyFile };
    cluster = await Cluster.start({ chatServers: 1, fileServers: 1, sections: { gate: pair, chat: pair, file: pair, verify: { resend_interval_sec: 0 } } });
    ca = readFileSync(caFile);
    gatePort = Number(new URL(cluster.gateUrl).port);
  });
  after(() => cluster?.stop());

  /** One HTTPS request to the gate, the certificate checked against the test CA. */
  function gateHttps(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; json: Record<string, unknown> }> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port: gatePort, method, path, ca, headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) } }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(parts).toString('utf8') || '{}') as Record<string, unknown> }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  it('the gate answers over HTTPS, and plain HTTP gets no answer from it', async () => {
    assert.equal((await gateHttps('GET', '/api/health')).status, 200);
    await assert.rejects(
      new Promise((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port: gatePort, path: '/api/health' }, resolve);
        req.on('error', reject);
        req.end();
      }),
    );
  });

  it("the gate's answer tells the client to speak TLS to the chat and file servers", async () => {
    const user = await createUser(cluster);
    const answer = await gateHttps('POST', '/api/session', { authorization: `Bearer ${user.uid}.${user.token}` }, '{}');
    assert.equal(answer.status, 200, JSON.stringify(answer.json));
    assert.equal(answer.json.tls, true);
    assert.equal(answer.json.fileTls, true);
  });

  it('a chat user over TLS and one over wss:// talk; a plaintext client cannot log in', async () => {
    const chat = cluster.chat[0] as (typeof cluster.chat)[number];
    const [alice, bob] = [await createUser(cluster), await createUser(cluster)];
    const conversationId = await befriend(cluster, alice.uid, bob.uid);
    const tcp = new ChatClient({ defaultTimeoutMs: 5000, tls: { ca } });
    await tcp.connect('127.0.0.1', chat.tcpPort);
    await tcp.login(alice.uid, alice.token);

    const pushes: ChatMessage[] = [];
    const ws = new WebSocket(`wss://127.0.0.1:${chat.wsPort}/`, { ca });
    const decoder = new TlvDecoder({ maxBodyBytes: 1 << 20 });
    const frames: ServerMessage[] = [];
    ws.on('message', (data: Buffer) => {
      for (const frame of decoder.push(data)) {
        const msg = decodeServerMessage(frame);
        frames.push(msg);
        if (msg.id === MsgId.MessagePush) pushes.push(msg.msg);
      }
    });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send(encodeFrame(MsgId.LoginReq, { reqId: 1, uid: bob.uid, token: bob.token }));
    await waitFor(() => frames.some((f) => f.id === MsgId.LoginResp) || undefined, 5000, 'login over wss');

    await tcp.sendMessage({ conversationId }, 'over TLS');
    await waitFor(() => pushes.find((p) => p.body === 'over TLS'), 5000, 'the push over wss');
    ws.terminate();
    await tcp.close();

    const plain = new ChatClient({ defaultTimeoutMs: 2000 });
    await plain.connect('127.0.0.1', chat.tcpPort);
    await assert.rejects(plain.login(alice.uid, alice.token));
    plain.destroy();
  });

  it('the client core goes over HTTPS to the gate and TLS to the chat server when the answer says tls', async () => {
    // fetch with the test CA (Node's global fetch takes no CA of its own).
    const httpsFetch: FetchLike = (url, init) =>
      new Promise((resolve, reject) => {
        const req = httpsRequest(url, { method: init.method, headers: init.headers, ca }, (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: async () => Buffer.concat(parts).toString('utf8') }));
        });
        req.on('error', reject);
        req.end(init.body);
      });
    const core = new ParleyClient({ gateUrl: `https://127.0.0.1:${gatePort}`, fetch: httpsFetch, store: new MemoryStore(), transport: tcpTransportWithCa(ca), requestTimeoutMs: 5000 });
    try {
      const name = `tls${process.pid % 10000}`;
      const email = `${name}@mail.example.test`;
      const since = cluster.smtp.messages.length;
      await core.sendCode(email, 'register');
      const code = extractCode((await cluster.smtp.waitForMail(email, 10000, since)).raw);
      assert.ok(code);
      await core.register({ email, code, name, password: 'correct horse battery 9' });
      await core.login(name, 'correct horse battery 9');
      await waitFor(() => core.connectionStatus().state === 'online' || undefined, 10000, 'online over TLS');
    } finally {
      await core.close();
    }
  });

  it('the file server completes a verified TLS handshake on its TCP port', async () => {
    const file = cluster.file[0] as (typeof cluster.file)[number];
    const authorized = await new Promise<boolean>((resolve, reject) => {
      const socket = tlsConnect({ host: '127.0.0.1', port: file.tcpPort, ca }, () => {
        resolve(socket.authorized);
        socket.destroy();
      });
      socket.on('error', reject);
    });
    assert.equal(authorized, true);
  });
});
