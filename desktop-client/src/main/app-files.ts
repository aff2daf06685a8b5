/**
 * Maps an app:// request to a file of the web build. Only files under the build directory can be
 * named (no `..`, no encoded separators, no NUL); a path without an extension is a client-side
 * route and gets index.html.
 */
import { extname, join, normalize, sep } from 'node:path';
import { APP_HOST, APP_SCHEME } from './app-origin';
import { csp } from './csp';

const MIME: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

export type AppFileResult = { ok: true; path: string; mime: string } | { ok: false; status: 400 | 404 };

export function resolveAppFile(webRoot: string, requestUrl: string): AppFileResult {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return { ok: false, status: 400 };
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return { ok: false, status: 404 };
  let pathname: string;
  try {
    pathname = decodeURIComponent(url.pathname);
  } catch {
    return { ok: false, status: 400 };
  }
  if (pathname.includes('\0') || pathname.includes('\\') || pathname.split('/').includes('..')) return { ok: false, status: 400 };
  const relative = pathname === '/' || extname(pathname) === '' ? 'index.html' : normalize(pathname).replace(/^[/\\]+/, '');
  const root = normalize(webRoot.endsWith(sep) ? webRoot : webRoot + sep);
  const path = join(root, relative);
  if (!path.startsWith(root)) return { ok: false, status: 400 };
  return { ok: true, path, mime: MIME[extname(path).toLowerCase()] ?? 'application/octet-stream' };
}

/** Headers for every app:// response. */
export function appResponseHeaders(mime: string): Record<string, string> {
  return {
    'Content-Type': mime,
    'Content-Security-Policy': csp(),
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Referrer-Policy': 'no-referrer',
  };
}
