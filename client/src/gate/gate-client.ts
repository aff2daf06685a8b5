import { GateError, gateErrorFrom } from './gate-error';

/** POST /api/login and POST /api/session answer (docs/http-api.md). */
export interface LoginAnswer {
  uid: number;
  token: string;
  host: string;
  tcpPort: number;
  /** The chat server's WebSocket port, once the gate reports it. */
  wsPort?: number;
  tokenTtlSec: number;
  serverId: string;
  fileHost?: string;
  filePort?: number;
  fileWsPort?: number;
  fileServerId?: string;
  /** The chat / file servers serve TLS (and wss://): connect with it (docs/security.md, "TLS for clients"). */
  tls?: boolean;
  fileTls?: boolean;
}

export interface RegisterAnswer {
  uid: number;
  name: string;
  nickname: string;
}

export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body?: string }) => Promise<{
  status: number;
  text(): Promise<string>;
}>;

/** The gate's HTTP API with fetch (the browser's, or Node's global one). Errors are GateErrors. */
export class GateClient {
  private readonly base: string;

  constructor(
    readonly gateUrl: string,
    private readonly fetchImpl: FetchLike = (url, init) => fetch(url, init),
  ) {
    this.base = gateUrl.replace(/\/+$/, '');
  }

  async sendCode(email: string, purpose: 'register' | 'reset'): Promise<{ ttlSec: number; resendAfterSec: number }> {
    return this.post('/api/verify-code', { email, purpose });
  }

  register(form: { email: string; code: string; name: string; password: string; nickname?: string }): Promise<RegisterAnswer> {
    return this.post('/api/register', form);
  }

  async resetPassword(form: { email: string; code: string; password: string }): Promise<void> {
    await this.post('/api/reset-password', form);
  }

  login(account: string, password: string): Promise<LoginAnswer> {
    return this.post('/api/login', { account, password });
  }

  /** A (possibly different) chat server and a new token from a valid token: reconnects never need the password. */
  session(uid: number, token: string): Promise<LoginAnswer> {
    return this.post('/api/session', {}, { authorization: `Bearer ${uid}.${token}` });
  }

  private async post<T>(path: string, body: unknown, headers: Record<string, string> = {}): Promise<T> {
    let status: number;
    let text: string;
    try {
      const res = await this.fetchImpl(this.base + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
      status = res.status;
      text = await res.text();
    } catch (err) {
      throw new GateError('NETWORK', `The gate at ${this.base} could not be reached`, 0, undefined, { cause: err });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text) as unknown;
    } catch {
      parsed = undefined;
    }
    if (status < 200 || status >= 300) throw gateErrorFrom(status, parsed);
    if (typeof parsed !== 'object' || parsed === null) throw new GateError('INTERNAL', 'The gate answered with no JSON object', status);
    return parsed as T;
  }
}
