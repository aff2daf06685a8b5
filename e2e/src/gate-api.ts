/** Small typed helpers for calling the gate's HTTP API from tests and benchmarks. */
export interface HttpResult<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

export async function requestJson<T = Record<string, unknown>>(method: string, baseUrl: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResult<T>> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = { nonJson: text };
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

export function postJson<T = Record<string, unknown>>(baseUrl: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpResult<T>> {
  return requestJson<T>('POST', baseUrl, path, body, headers);
}

export function getJson<T = Record<string, unknown>>(baseUrl: string, path: string, headers: Record<string, string> = {}): Promise<HttpResult<T>> {
  return requestJson<T>('GET', baseUrl, path, undefined, headers);
}

/** The REST API's Authorization header for a login's uid and token. */
export function bearer(uid: number, token: string): Record<string, string> {
  return { authorization: `Bearer ${uid}.${token}` };
}
