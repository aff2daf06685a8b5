/**
 * The web app at / (src/web-app.ts): the real Vite build served with a page CSP, hashed assets cached
 * for a year, index.html revalidated, no SPA fallback, and the API unchanged beside it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ParleyConfig } from '@parley/common';
import { webAppCsp } from '../src/index';
import { Backing, expectError, startGate, type Gate } from './support';

let backing: Backing;
let gate: Gate;

before(async () => {
  backing = await Backing.start();
  gate = await startGate(backing);
});

after(async () => {
  await gate?.stop();
  await backing?.stop();
});

function directives(csp: string | null): Map<string, string> {
  assert.ok(csp, 'a Content-Security-Policy header');
  return new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...sources]) => [name as string, sources.join(' ')]));
}

describe('the built web app (npm run build)', () => {
  test('GET / is the app with a strict page CSP, revalidated on every load', async () => {
    const res = await gate.get('/');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(res.text, /<div id="root"><\/div>/);
    assert.equal(res.headers.get('cache-control'), 'no-cache');
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    const csp = directives(res.headers.get('content-security-policy'));
    assert.equal(csp.get('default-src'), "'none'");
    assert.equal(csp.get('script-src'), "'self'");
    assert.equal(csp.get('style-src'), "'self'");
    assert.equal(csp.get('img-src'), "'self' blob: data:");
    assert.equal(csp.get('frame-ancestors'), "'none'");
    assert.equal(csp.get('base-uri'), "'none'");
    assert.equal(csp.get('form-action'), "'self'");
    const hosts = new Set(backing.config.chatServers.map((c) => c.host));
    assert.ok(hosts.size > 0);
    const connect = csp.get('connect-src')?.split(' ') ?? [];
    assert.equal(connect[0], "'self'");
    for (const h of hosts) {
      assert.ok(connect.includes(`ws://${h}:*`), `ws to chat host ${h}`);
      assert.ok(connect.includes(`wss://${h}:*`), `wss to chat host ${h}`);
    }
    assert.ok(!connect.includes('*') && !connect.includes('http:') && !connect.includes('https:'), 'no wildcard or scheme-wide HTTP');
    // No inline script or style in the page: the CSP would block it.
    assert.ok(!/<script(?![^>]*\bsrc=)[^>]*>/.test(res.text), 'no inline <script>');
    assert.ok(!/<style|\sstyle=/.test(res.text), 'no inline style');
    assert.equal((await gate.get('/index.html')).text, res.text);
  });

  test('the hashed script and stylesheet are cached for a year as immutable', async () => {
    const page = (await gate.get('/')).text;
    const assets = [...page.matchAll(/(?:src|href)="\.?\/?(assets\/[^"]+)"/g)].map((m) => m[1] as string);
    assert.ok(assets.some((a) => a.endsWith('.js')) && assets.some((a) => a.endsWith('.css')), `assets in ${page}`);
    for (const a of assets) {
      const res = await gate.get(`/${a}`);
      assert.equal(res.status, 200, a);
      assert.match(res.headers.get('content-type') ?? '', a.endsWith('.js') ? /javascript/ : /text\/css/);
      assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      assert.ok(res.headers.get('content-security-policy'));
    }
    // Precompressed by the build: gzip when accepted, the same bytes once decoded; plain otherwise.
    for (const a of assets) {
      const plain = await gate.get(`/${a}`, { 'accept-encoding': 'identity' });
      assert.equal(plain.headers.get('content-encoding'), null, a);
      const zipped = await gate.get(`/${a}`, { 'accept-encoding': 'gzip' });
      assert.equal(zipped.headers.get('content-encoding'), 'gzip', a);
      assert.match(zipped.headers.get('vary') ?? '', /Accept-Encoding/);
      assert.match(zipped.headers.get('content-type') ?? '', a.endsWith('.js') ? /javascript/ : /text\/css/);
      assert.equal(zipped.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      assert.equal(zipped.text, plain.text, `${a}: same content`);
    }
    const icon = await gate.get('/favicon.svg');
    assert.equal(icon.status, 200);
    assert.equal(icon.headers.get('cache-control'), 'no-cache');
  });

  test('unknown assets and paths are JSON 404s: no SPA fallback, no directory listing, no traversal', async () => {
    for (const path of ['/assets/nope.js', '/assets/.hidden', '/assets/nope.js.gz', '/assets/', '/assets', '/assets/..%2fpackage.json', '/assets/../package.json', '/chats/42', '/.env', '/package.json']) {
      const res = await gate.get(path);
      expectError(res, 404, 'NOT_FOUND');
      assert.ok(!res.text.includes('<'), `${path}: no HTML`);
      assert.equal(res.headers.get('content-security-policy'), "default-src 'none'; frame-ancestors 'none'", `${path}: the API's headers`);
    }
  });

  test('the API keeps working beside it, with its own headers', async () => {
    const res = await gate.get('/api/health');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get('content-security-policy'), "default-src 'none'; frame-ancestors 'none'");
    assert.equal(res.headers.get('cache-control'), 'no-store');
    expectError(await gate.get('/api/nope'), 404, 'NOT_FOUND');
  });
});

describe('gate.web_root', () => {
  test('serves another directory; without an index.html there is no app, only the API', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'parley-web-'));
    try {
      await mkdir(join(dir, 'assets'));
      await writeFile(join(dir, 'index.html'), '<!doctype html><title>custom</title>');
      await writeFile(join(dir, 'assets', 'a-1234.js'), 'export {};');
      const custom = await startGate(backing, { webRoot: dir });
      try {
        assert.match((await custom.get('/')).text, /custom/);
        assert.equal((await custom.get('/assets/a-1234.js')).status, 200);
      } finally {
        await custom.stop();
      }
      const none = await startGate(backing, { webRoot: join(dir, 'assets') });
      try {
        expectError(await none.get('/'), 404, 'NOT_FOUND');
        assert.equal((await none.get('/api/health')).status, 200);
        assert.ok(none.logs.some((l) => l.includes('web app is not built')), 'a warning says why');
      } finally {
        await none.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('the CSP names every chat and file server host for ws: and wss:, IPv6 in brackets', () => {
    const config = {
      ...backing.config,
      chatServers: [{ ...backing.config.chatServers[0], id: 'c1', host: 'chat1.example' }, { ...backing.config.chatServers[0], id: 'c2', host: '::1' }],
      fileServers: [{ id: 'f1', host: 'files.example', bindHost: '0.0.0.0', tcpPort: 1, wsPort: 2 }],
    } as ParleyConfig;
    const connect = directives(webAppCsp(config)).get('connect-src');
    assert.equal(connect, "'self' ws://chat1.example:* wss://chat1.example:* ws://[::1]:* wss://[::1]:* ws://files.example:* wss://files.example:*");
  });
});
