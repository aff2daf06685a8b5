import { performance } from 'node:perf_hooks';
import { mutateJsonText, mutateJsonValue, ODD_STRINGS, randomString, type Prng } from '@parley/protocol/fuzz';
import type { AnswerTally } from './answer-check';

interface Endpoint {
  method: 'GET' | 'POST';
  /** `{id}` marks a path parameter the fuzzer may replace. */
  path: string;
  auth: boolean;
  body?: Record<string, unknown>;
  query?: Record<string, string>;
}

/** Every route of gate-server/src/routes with a valid request for it (docs/http-api.md). */
export const GATE_ENDPOINTS: readonly Endpoint[] = [
  { method: 'POST', path: '/api/verify-code', auth: false, body: { email: 'fuzz@example.com', purpose: 'register' } },
  { method: 'POST', path: '/api/register', auth: false, body: { email: 'fuzz@example.com', code: '123456', name: 'fuzzer_1', password: 'correct horse 1', nickname: 'Fuzz' } },
  { method: 'POST', path: '/api/login', auth: false, body: { account: 'fuzzer_1', password: 'correct horse 1' } },
  { method: 'POST', path: '/api/reset-password', auth: false, body: { email: 'fuzz@example.com', code: '123456', password: 'correct horse 2' } },
  { method: 'POST', path: '/api/logout', auth: true, body: {} },
  { method: 'GET', path: '/api/health', auth: false },
  { method: 'GET', path: '/api/conversations', auth: true },
  { method: 'GET', path: '/api/conversations/{id}/messages', auth: true, query: { beforeSeq: '5', limit: '10' } },
  { method: 'POST', path: '/api/conversations/{id}/messages', auth: true, body: { clientMsgId: 'fuzz-1', type: 'text', body: 'hello' } },
  { method: 'GET', path: '/api/groups', auth: true },
  { method: 'POST', path: '/api/groups', auth: true, body: { name: 'Team', members: [2] } },
  { method: 'GET', path: '/api/groups/{id}', auth: true, query: { afterUid: '0', limit: '10' } },
];

const ODD_PARAMS = ['0', '-1', '1e3', '1.5', '9007199254740993', '99999999999999999999', '%00', '..%2F..%2F', '%EF%BC%91', 'abc', ' 1', '0x10', '1,2', '%ZZ', '%F0%9F%98%80'];
const CONTENT_TYPES = ['application/json', 'application/json', 'application/json; charset=utf-8', 'application/json; charset=latin1', 'text/plain', 'application/x-www-form-urlencoded', ''];

/** Every UTF-8 byte as %XX (encodeURIComponent throws on a lone surrogate; here it becomes U+FFFD's bytes). */
function percentEncode(s: string): string {
  return [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0').toUpperCase()}`).join('');
}

export interface GateCredentials {
  uid: number;
  token: string;
}

/** One random or mutated request to a random endpoint. */
export function nextGateRequest(prng: Prng, creds: GateCredentials): { kind: string; method: string; url: string; headers: Record<string, string>; body?: Buffer } {
  const ep = prng.pick(GATE_ENDPOINTS);
  const kinds: string[] = [];
  let path = ep.path.replace('{id}', () => {
    if (!prng.chance(0.3)) return String(prng.int(1, 50));
    kinds.push('param');
    return prng.chance(0.6) ? prng.pick(ODD_PARAMS) : percentEncode(prng.pick(ODD_STRINGS)) || 'x';
  });
  const query = { ...ep.query };
  if (prng.chance(0.2)) {
    kinds.push('query');
    query[prng.pick(['beforeSeq', 'afterSeq', 'limit', 'afterUid', 'x'])] = prng.chance(0.5) ? prng.pick(ODD_PARAMS) : percentEncode(randomString(prng, 4));
  }
  const qs = Object.entries(query).map(([k, v]) => `${k}=${v}`).join('&');
  if (qs) path += `?${qs}`;
  const headers: Record<string, string> = {};
  if (ep.auth || prng.chance(0.1)) {
    const roll = prng.float();
    if (roll < 0.75) headers.authorization = `Bearer ${creds.uid}.${creds.token}`;
    else {
      kinds.push('auth');
      const bad = [`Bearer ${creds.uid + 1}.${creds.token}`, 'Bearer ', `Bearer ${creds.uid}.`, 'Bearer 99999999999999999999.abc', `Basic ${Buffer.from('a:b').toString('base64')}`, `Bearer ${creds.uid}.${creds.token}x`, `bearer ${creds.uid}.${creds.token}`, 'Bearer 1.%00'];
      if (roll < 0.95) headers.authorization = prng.pick(bad);
    }
  }
  let method: string = ep.method;
  if (prng.chance(0.03)) {
    method = prng.pick(['PUT', 'DELETE', 'PATCH', 'OPTIONS']);
    kinds.push('method');
  }
  let body: Buffer | undefined;
  if (ep.body !== undefined || prng.chance(0.05)) {
    const sample = ep.body ?? {};
    const roll = prng.float();
    if (roll < 0.15) body = Buffer.from(JSON.stringify(sample));
    else if (roll < 0.6) {
      const [k, v] = mutateJsonValue(prng, sample);
      kinds.push(k);
      body = Buffer.from(JSON.stringify(v) ?? 'null');
    } else if (roll < 0.92) {
      const [k, b] = mutateJsonText(prng, JSON.stringify(sample));
      kinds.push(k);
      body = b;
    } else {
      kinds.push('random-bytes');
      body = prng.bytes(prng.int(0, 200));
    }
    const type = prng.chance(0.9) ? 'application/json' : prng.pick(CONTENT_TYPES);
    if (type) headers['content-type'] = type;
    if (prng.chance(0.02)) {
      headers['content-encoding'] = prng.pick(['gzip', 'deflate', 'br', 'identity']);
      kinds.push('encoding');
    }
  }
  if (method === 'GET' || method === 'OPTIONS') body = undefined;
  return { kind: `${ep.method} ${ep.path} ${kinds.join('+') || 'valid'}`, method, url: path, headers, ...(body === undefined ? {} : { body }) };
}

/**
 * Sends one request and checks the answer: JSON, and for a refusal an `error.code` of the shared table
 * with the HTTP status the table gives it. A logout that succeeded asks for fresh credentials.
 */
export async function feedGate(baseUrl: string, prng: Prng, creds: GateCredentials, tally: AnswerTally, timeoutMs: number): Promise<{ ms: number; timedOut: boolean; loggedOut: boolean }> {
  const req = nextGateRequest(prng, creds);
  const started = performance.now();
  let res: Response;
  try {
    res = await fetch(`${baseUrl}${req.url}`, { method: req.method, headers: req.headers, ...(req.body ? { body: req.body } : {}), signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const timedOut = (err as Error).name === 'TimeoutError';
    tally.finding(`${req.kind}: ${timedOut ? `no answer within ${timeoutMs} ms` : `request failed: ${(err as Error).message}`}`);
    return { ms: performance.now() - started, timedOut, loggedOut: false };
  }
  const text = await res.text();
  const ms = performance.now() - started;
  let parsed: { error?: { code?: unknown } } | undefined;
  try {
    parsed = JSON.parse(text) as { error?: { code?: unknown } };
  } catch {
    tally.finding(`${req.kind}: HTTP ${res.status} answer is not JSON: ${text.slice(0, 100)}`);
    return { ms, timedOut: false, loggedOut: false };
  }
  if (res.status >= 400) tally.error(parsed?.error?.code, req.kind, res.status);
  else if (res.status >= 200 && res.status < 300) tally.ok();
  else tally.finding(`${req.kind}: unexpected HTTP ${res.status}`);
  return { ms, timedOut: false, loggedOut: res.status === 200 && req.url.startsWith('/api/logout') && req.method === 'POST' };
}
