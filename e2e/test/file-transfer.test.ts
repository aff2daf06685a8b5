import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RowDataPacket } from 'mysql2/promise';
import { createStatusClient, unary, type ListFileServersReply__Output, type StatusServiceClient } from '@parley/common';
import { extractCode, testClusterCredentials } from '@parley/common/testing';
import { decodeServerMessage, encodeFrame, FileClient, FileTransfers, MsgId, TlvDecoder, type ServerMessage, type TransferProgress } from '@parley/protocol';
import { WebSocket } from 'ws';
import { Cluster, postJson } from '../src/index';
import { createUser, waitFor } from './support/chat-fixtures';

// File servers as real processes: registered with the status-server and named in the gate's login
// answer (the least loaded), and an upload that survives its file server being killed.
let cluster: Cluster;
let status: StatusServiceClient;
let work: string;
const MiB = 1024 * 1024;

/** Opens a WebSocket, sends LoginReq as one binary message, and resolves the first frame back. */
function wsLogin(port: number, uid: number, token: string): Promise<ServerMessage> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
  return new Promise<ServerMessage>((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () => ws.send(encodeFrame(MsgId.LoginReq, { reqId: 1, uid, token })));
    ws.once('message', (data: Buffer) => {
      const [frame] = new TlvDecoder({ maxBodyBytes: 1 << 20 }).push(data);
      resolve(decodeServerMessage(frame!));
    });
  }).finally(() => ws.terminate());
}

before(async () => {
  cluster = await Cluster.start({
    chatServers: 1,
    fileServers: 2,
    sections: { cluster: { log_level: 'info' }, file: { checkpoint_bytes: MiB, min_free_bytes: 0 } },
  });
  status = createStatusClient(cluster.status.host, cluster.status.port, testClusterCredentials());
  work = mkdtempSync(join(tmpdir(), 'parley-e2e-files-'));
});

after(async () => {
  status?.close();
  await cluster?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function fileServers(): Promise<ListFileServersReply__Output['servers']> {
  return (await unary<ListFileServersReply__Output>((o, cb) => status.ListFileServers({}, o, cb))).servers;
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

describe('file servers in a cluster', () => {
  it("names the least-loaded file server in the gate's login answer, where the same token logs in", async () => {
    await until('both file servers registered', async () => ((await fileServers()).filter((s) => s.healthy).length === 2 ? true : undefined));
    // Load file1 with three logged-in connections and wait for its report to say so.
    const holders = [await createUser(cluster), await createUser(cluster), await createUser(cluster)];
    const busy: FileClient[] = [];
    for (const u of holders) {
      const c = new FileClient();
      await c.connect(cluster.fileEndpoint('file1').host, cluster.fileEndpoint('file1').tcpPort);
      await c.login(u.uid, u.token);
      busy.push(c);
    }
    await until('file1 reports its connections', async () => ((await fileServers()).find((s) => s.server?.id === 'file1')?.connections === 3 ? true : undefined));

    const name = `fl${Date.now().toString(36)}`;
    const email = `${name}@mail.example.test`;
    const since = cluster.smtp.messages.length;
    assert.equal((await postJson(cluster.gateUrl, '/api/verify-code', { email, purpose: 'register' })).status, 200);
    const code = extractCode((await cluster.smtp.waitForMail(email, 10000, since)).raw);
    assert.equal((await postJson(cluster.gateUrl, '/api/register', { email, code, name, password: 'e2e-Password-9' })).status, 201);
    const login = await postJson<Record<string, unknown>>(cluster.gateUrl, '/api/login', { account: name, password: 'e2e-Password-9' });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    const file2 = cluster.fileEndpoint('file2');
    assert.deepEqual([login.body.fileServerId, login.body.fileHost, login.body.filePort], ['file2', file2.host, file2.tcpPort], 'the less loaded one');

    const client = new FileClient();
    await client.connect(String(login.body.fileHost), Number(login.body.filePort));
    const resp = await client.login(Number(login.body.uid), String(login.body.token));
    assert.equal(resp.serverId, 'file2');
    await client.close();

    // The WebSocket ports of both servers are named too, and the token works over them (issue 9).
    const chat = cluster.chatEndpoint(String(login.body.serverId));
    assert.deepEqual([login.body.wsPort, login.body.fileWsPort], [chat.wsPort, file2.wsPort]);
    for (const port of [chat.wsPort, file2.wsPort]) {
      const answer = await wsLogin(port, Number(login.body.uid), String(login.body.token));
      assert.equal(answer.id, MsgId.LoginResp, `login over ws://…:${port}`);
    }
    await Promise.all(busy.map((c) => c.close()));
  });

  it('resumes an upload after its file server was killed with SIGKILL and restarted, byte-identical', async () => {
    const user = await createUser(cluster);
    const bytes = randomBytes(32 * MiB);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const path = join(work, 'killed.bin');
    writeFileSync(path, bytes);
    const file1 = cluster.fileEndpoint('file1');
    const endpoint = { host: file1.host, port: file1.tcpPort };
    let restarted: Promise<unknown> | undefined;
    const transfers = new FileTransfers({
      endpoint,
      uid: user.uid,
      token: user.token,
      attempts: 4,
      retryDelayMs: 100,
      progressIntervalMs: 0,
      // After the crash: wait for the file server to be back, then go on where it was durable.
      reconnectTo: async () => {
        await restarted;
        return endpoint;
      },
    });
    const seen: TransferProgress[] = [];
    let killedAt = 0;
    // What the dead server had made durable: where the restarted one must resume. Under a loaded
    // machine the first checkpoint's fsync can still be running at the kill, and then that is 0.
    let durableAtKill = -1;
    const durableOffset = async () => {
      const [rows] = await cluster.env.pool.query<RowDataPacket[]>("SELECT stored_bytes FROM files WHERE owner_uid = ? AND sha256 = ? AND state = 'uploading'", [user.uid, sha256]);
      return Number(rows[0]?.stored_bytes ?? 0);
    };
    const result = await transfers.upload(path, {
      sha256,
      onProgress: (p) => {
        seen.push(p);
        if (killedAt === 0 && p.done >= 4 * MiB) {
          killedAt = p.done;
          restarted = cluster
            .stopProcess('file1', 'SIGKILL')
            .then(async () => (durableAtKill = await durableOffset()))
            .then(() => cluster.startProcess('file', 'file1'));
        }
      },
    });
    await transfers.close();
    assert.ok(killedAt > 0, 'the file server was killed mid-upload');
    const resumedAt = seen[seen.findIndex((p) => p.done === killedAt) + 1]?.done ?? 0;
    const afterKill = seen.slice(seen.findIndex((p) => p.done === killedAt) + 1);
    const restartAt = Math.min(...afterKill.map((p) => p.done));
    assert.ok(durableAtKill >= 0, 'the durable offset was read while file1 was down');
    assert.equal(restartAt, durableAtKill, `resumed exactly at the durable offset ${durableAtKill} (killed at ${killedAt}; first progress after: ${resumedAt})`);
    assert.ok(restartAt < bytes.length, 'the upload was still unfinished when file1 died');
    const [rows] = await cluster.env.pool.query<RowDataPacket[]>('SELECT state, size FROM files WHERE id = ?', [result.fileId]);
    assert.deepEqual([rows[0]?.state, Number(rows[0]?.size)], ['complete', bytes.length]);
    assert.ok(readFileSync(join(cluster.storageDir, sha256.slice(0, 2), sha256.slice(2))).equals(bytes), 'byte-identical after the crash');

    // And the restarted server serves it.
    const copy = join(work, 'killed.copy');
    const downloader = new FileTransfers({ endpoint, uid: user.uid, token: user.token });
    await downloader.download(result.fileId, copy);
    await downloader.close();
    assert.ok(readFileSync(copy).equals(bytes));
    await waitFor(() => cluster.processes.get('file1')?.child.exitCode === null, 1000, 'file1 running');
  });

  it('moves an upload to another file server when its own shuts down (Reconnect), through the shared storage', async () => {
    const user = await createUser(cluster);
    const bytes = randomBytes(16 * MiB);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const path = join(work, 'moved.bin');
    writeFileSync(path, bytes);
    const [file1, file2] = [cluster.fileEndpoint('file1'), cluster.fileEndpoint('file2')];
    const reconnects: string[] = [];
    let stopping: Promise<unknown> | undefined;
    const transfers = new FileTransfers({
      endpoint: { host: file1.host, port: file1.tcpPort },
      uid: user.uid,
      token: user.token,
      progressIntervalMs: 0,
      retryDelayMs: 50,
      // What a client does after Reconnect: ask the gate again, which now names the other server.
      reconnectTo: async () => {
        reconnects.push('file2');
        return { host: file2.host, port: file2.tcpPort };
      },
    });
    // file1 is frozen (SIGSTOP) as soon as 2 MiB are through, so the upload cannot finish there before
    // the SIGTERM is handled, however loaded the machine is; SIGCONT then lets it drain and say Reconnect.
    const pid = cluster.processes.get('file1')?.child.pid as number;
    const result = await transfers.upload(path, {
      sha256,
      onProgress: (p) => {
        if (stopping || p.done < 2 * MiB) return;
        process.kill(pid, 'SIGSTOP');
        stopping = cluster.stopProcess('file1', 'SIGTERM');
        process.kill(pid, 'SIGCONT');
      },
    });
    await transfers.close();
    assert.equal(await stopping, 0, 'file1 stopped gracefully');
    assert.deepEqual(reconnects, ['file2']);
    assert.ok(readFileSync(join(cluster.storageDir, sha256.slice(0, 2), sha256.slice(2))).equals(bytes));
    const [rows] = await cluster.env.pool.query<RowDataPacket[]>('SELECT state FROM files WHERE id = ?', [result.fileId]);
    assert.equal(rows[0]?.state, 'complete');
    await cluster.startProcess('file', 'file1');
  });
});
