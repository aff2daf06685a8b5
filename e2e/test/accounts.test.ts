/**
 * Accounts end to end through real processes: verify-, status- and gate-server as child processes, mail
 * to a real SMTP sink, MySQL and Redis. Chat servers are registered with the status-server through its
 * real ReportLoad RPC (the test plays the chat servers' reporting role; no chat process is needed to log in).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  createStatusClient,
  RedisKeys,
  tokenDigest,
  unary,
  type ReportLoadReply__Output,
  type StatusServiceClient,
  type ValidateTokenReply__Output,
} from '@parley/common';
import { extractCode, testClusterCredentials } from '@parley/common/testing';
import { Cluster, postJson, type HttpResult } from '../src/index';

const CODE_TTL_SEC = 30;
const PASSWORD = 'e2e-Password-9';

let cluster: Cluster;
let status: StatusServiceClient;
let seq = 0;

function unique(tag: string): string {
  seq += 1;
  return `${tag}${(process.pid % 10000).toString(36)}${Date.now().toString(36).slice(-4)}${seq}`;
}

const emailOf = (name: string) => `${name.toLowerCase()}@mail.example.test`;

async function requestCode(email: string, purpose: 'register' | 'reset' = 'register'): Promise<string> {
  const since = cluster.smtp.messages.length;
  const res = await postJson(cluster.gateUrl, '/api/verify-code', { email, purpose });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const mail = await cluster.smtp.waitForMail(email, 10000, since);
  assert.match(mail.raw, /Content-Type: text\/html/i);
  const code = extractCode(mail.raw);
  assert.ok(code, 'the mail carries the code');
  return code;
}

function errorOf(res: HttpResult, status: number, code: string): { code: string; message: string; details?: unknown } {
  assert.equal(res.status, status, JSON.stringify(res.body));
  const error = (res.body as { error?: { code: string; message: string; details?: unknown } }).error;
  assert.ok(error, `not a JSON error: ${JSON.stringify(res.body)}`);
  assert.equal(error.code, code);
  return error;
}

async function register(name: string, email: string, code: string): Promise<HttpResult> {
  return postJson(cluster.gateUrl, '/api/register', { email, code, name, password: PASSWORD });
}

// A code asked for at the very start and used at the very end, after its real TTL has passed.
let expiring: { email: string; code: string; issuedAt: number };

before(async () => {
  cluster = await Cluster.start({
    chatServers: 3,
    kinds: ['verify', 'status', 'gate'],
    // log_level info: the harness waits for the servers' {"event":"ready"} line, which is logged at info.
    sections: { cluster: { log_level: 'info' }, verify: { code_ttl_sec: CODE_TTL_SEC, resend_interval_sec: 0, hourly_limit_per_ip: 100000 }, gate: { body_limit_bytes: 4096 } },
  });
  status = createStatusClient(cluster.status.host, cluster.status.port, testClusterCredentials());
  for (const chat of cluster.chat) {
    await unary<ReportLoadReply__Output>((o, cb) => status.ReportLoad({ server: { id: chat.id, host: chat.host, tcpPort: chat.tcpPort, grpcPort: chat.grpcPort }, connections: 0, draining: false }, o, cb));
  }
  const email = emailOf(unique('late'));
  expiring = { email, code: await requestCode(email), issuedAt: Date.now() };
});

after(async () => {
  status?.close();
  await cluster?.stop();
});

describe('accounts through the cluster', () => {
  test('code by mail → register → login → a valid token for a registered chat server', async () => {
    // Healthy once its stores answer within the check's 2 s: on a loaded machine the first check
    // after start-up can miss that (503 UNAVAILABLE), so it gets a few more seconds.
    let health = await fetch(`${cluster.gateUrl}/api/health`);
    for (const until = Date.now() + 15_000; health.status !== 200 && Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 500));
      health = await fetch(`${cluster.gateUrl}/api/health`);
    }
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { ok?: boolean }).ok, true);

    const name = unique('Ada_');
    const email = emailOf(name);
    const code = await requestCode(email);
    const reg = await register(name, email, code);
    assert.equal(reg.status, 201, JSON.stringify(reg.body));
    const uid = reg.body.uid as number;
    assert.ok(Number.isSafeInteger(uid) && uid > 0);
    assert.deepEqual(reg.body, { uid, name, nickname: name });

    const login = await postJson(cluster.gateUrl, '/api/login', { account: name, password: PASSWORD });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    assert.deepEqual(Object.keys(login.body).sort(), ['host', 'serverId', 'tcpPort', 'token', 'tokenTtlSec', 'uid']);
    assert.equal(login.body.uid, uid);
    assert.equal(login.body.tokenTtlSec, 12 * 3600, 'tokens live 12 h by default (issue 11 item 3)');
    const chat = cluster.chat.find((c) => c.id === login.body.serverId);
    assert.ok(chat, `serverId ${String(login.body.serverId)} is one of the registered chat servers`);
    assert.equal(login.body.host, chat.host);
    assert.equal(login.body.tcpPort, chat.tcpPort);
    const token = login.body.token as string;

    const valid = await unary<ValidateTokenReply__Output>((o, cb) => status.ValidateToken({ uid, token }, o, cb));
    assert.equal(valid.valid, true);
    assert.equal(await cluster.env.redis.get(RedisKeys.token(uid)), tokenDigest(token));
    const ttl = await cluster.env.redis.ttl(RedisKeys.token(uid));
    assert.ok(ttl > 0 && ttl <= (login.body.tokenTtlSec as number));

    // Logging in by e-mail works too, and replaces the token.
    const again = await postJson(cluster.gateUrl, '/api/login', { account: email.toUpperCase(), password: PASSWORD });
    assert.equal(again.status, 200);
    assert.equal((await unary<ValidateTokenReply__Output>((o, cb) => status.ValidateToken({ uid, token }, o, cb))).valid, false);

    // Nothing secret was logged by any server.
    for (const proc of cluster.processes.values()) {
      const text = JSON.stringify(proc.logs);
      for (const secret of [code, PASSWORD, token]) assert.ok(!text.includes(secret), `${proc.name} logged a secret`);
    }
  });

  test('a wrong code is refused; a used code cannot be reused', async () => {
    const name = unique('Bo_');
    const email = emailOf(name);
    const code = await requestCode(email);
    const wrong = String((Number(code) + 7) % 1_000_000).padStart(6, '0');
    errorOf(await register(name, email, wrong), 400, 'CODE_INVALID');
    assert.equal((await register(name, email, code)).status, 201);
    errorOf(await register(unique('Bo2_'), email, code), 400, 'CODE_INVALID');
  });

  test('duplicate name → NAME_TAKEN, duplicate e-mail → EMAIL_TAKEN', async () => {
    const name = unique('Cy_');
    const email = emailOf(name);
    assert.equal((await register(name, email, await requestCode(email))).status, 201);

    const otherEmail = emailOf(unique('Cy2_'));
    errorOf(await register(name.toUpperCase(), otherEmail, await requestCode(otherEmail)), 409, 'NAME_TAKEN');
    errorOf(await register(unique('Cy3_'), email, await requestCode(email)), 409, 'EMAIL_TAKEN');
  });

  test('malformed JSON, missing fields, oversized body, wrong password', async () => {
    errorOf(await postJson(cluster.gateUrl, '/api/register', '{"email": "x@example.com",'), 400, 'BAD_REQUEST');
    const missing = errorOf(await postJson(cluster.gateUrl, '/api/register', { email: 'x@example.com' }), 400, 'VALIDATION_FAILED');
    assert.deepEqual((missing.details as { field: string }[]).map((d) => d.field).sort(), ['code', 'name', 'password']);
    errorOf(await postJson(cluster.gateUrl, '/api/register', { email: 'x@example.com', code: '123456', name: 'n'.repeat(5000), password: PASSWORD }), 413, 'PAYLOAD_TOO_LARGE');
    errorOf(await postJson(cluster.gateUrl, '/api/login', { account: unique('nobody'), password: PASSWORD }), 401, 'INVALID_CREDENTIALS');
    const notFound = await fetch(`${cluster.gateUrl}/api/unknown`);
    assert.equal(notFound.status, 404);
    assert.match(notFound.headers.get('content-type') ?? '', /application\/json/);
  });

  test('a code past its lifetime (code_ttl_sec) is refused', async () => {
    const wait = expiring.issuedAt + CODE_TTL_SEC * 1000 + 1500 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    errorOf(await register(unique('late'), expiring.email, expiring.code), 400, 'CODE_INVALID');
  });
});
