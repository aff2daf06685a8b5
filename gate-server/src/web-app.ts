/**
 * The web app at /: the Vite build of @parley/web (index.html plus hashed files under assets/), with a
 * Content-Security-Policy for an HTML page instead of the API's "nothing at all".
 *
 * - Hashed assets (assets/*) never change under their name: cached for a year, immutable; their gzip
 *   twins from the build are sent to browsers that accept gzip (no compression per request).
 * - index.html and other top-level files (favicon) are revalidated on every load (no-cache), so a new
 *   build is picked up at once.
 * - No SPA fallback: the app keeps its screens in memory and never changes the URL path, so any other
 *   path (including a missing asset) is the JSON 404 of the API — a stale asset URL is never answered
 *   with HTML that the browser would then try to run as a script.
 * - connect-src: 'self' for the gate's HTTP API, plus ws:// and wss:// on every chat and file server
 *   host of config.ini with any port (`ws://host:*`), since the WebSocket ports are theirs to choose.
 */
import { existsSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import express, { type Router } from 'express';
import type { ParleyConfig } from '@parley/common';

const YEAR_SEC = 365 * 24 * 3600;
/** A hashed asset's file name: no path separators, no leading dot. */
const SAFE_NAME = /^[\w-][\w.-]*$/;

/** The directory of the built app: gate.web_root, or the @parley/web package's dist. Undefined when unbuilt. */
export function webAppRoot(config: ParleyConfig): string | undefined {
  let dir: string;
  if (config.gate.webRoot !== '') dir = resolve(config.gate.webRoot);
  else {
    try {
      dir = join(dirname(require.resolve('@parley/web/package.json')), 'dist');
    } catch {
      return undefined;
    }
  }
  return existsSync(join(dir, 'index.html')) ? dir : undefined;
}

function hostSource(scheme: 'ws' | 'wss', host: string): string {
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:*`;
}

/** The page's CSP; the WebSocket sources come from the cluster's chat and file servers. */
export function webAppCsp(config: ParleyConfig): string {
  const hosts = [...new Set([...config.chatServers.map((c) => c.host), ...config.fileServers.map((f) => f.host)])];
  const sockets = hosts.flatMap((h) => [hostSource('ws', h), hostSource('wss', h)]);
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob: data:",
    `connect-src ${["'self'", ...sockets].join(' ')}`,
    "manifest-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; ');
}

export function webAppRouter(root: string, config: ParleyConfig): Router {
  const csp = webAppCsp(config);
  // Only what this router serves gets the page's headers; a 404 stays the API's JSON answer with its headers.
  const page = (res: express.Response, cache: string) => res.set({ 'Content-Security-Policy': csp, 'Cache-Control': cache });
  const router = express.Router();
  // The build's precompressed twin (web-client/scripts/precompress.mjs) when the browser takes gzip.
  router.get('/assets/:name', (req, res, next) => {
    const name = req.params.name;
    const gz = join(root, 'assets', `${name}.gz`);
    if (!SAFE_NAME.test(name) || !req.acceptsEncodings('gzip') || !existsSync(gz)) return next();
    page(res, `public, max-age=${YEAR_SEC}, immutable`);
    // The type of the file itself (send keeps a Content-Type already set), not of the .gz.
    res.set({ 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding' }).type(extname(name));
    res.sendFile(gz, { dotfiles: 'deny' });
  });
  router.use(
    '/assets',
    express.static(join(root, 'assets'), {
      index: false,
      redirect: false,
      dotfiles: 'ignore',
      setHeaders: (res) => page(res, `public, max-age=${YEAR_SEC}, immutable`).set('Vary', 'Accept-Encoding'),
    }),
  );
  const sendIndex: express.RequestHandler = (_req, res) => {
    page(res, 'no-cache');
    res.sendFile(join(root, 'index.html'));
  };
  router.get(['/', '/index.html'], sendIndex);
  // Top-level files of the build (favicon.svg); directories such as /assets/ are not listed.
  router.use(
    express.static(root, {
      index: false,
      redirect: false,
      dotfiles: 'ignore',
      setHeaders: (res) => page(res, 'no-cache'),
    }),
  );
  return router;
}
