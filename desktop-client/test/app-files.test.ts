import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { appResponseHeaders, resolveAppFile } from '../src/main/app-files';
import { csp } from '../src/main/csp';

const ROOT = '/opt/parley/web';

describe('app:// files', () => {
  it('serves index.html for the root and for client-side routes', () => {
    for (const url of ['app://parley/', 'app://parley', 'app://parley/chat/10', 'app://parley/index.html?x=1#top']) {
      assert.deepEqual(resolveAppFile(ROOT, url), { ok: true, path: join(ROOT, 'index.html'), mime: 'text/html; charset=utf-8' }, url);
    }
  });

  it('serves assets under the web root with their type', () => {
    assert.deepEqual(resolveAppFile(ROOT, 'app://parley/assets/index-abc.js'), { ok: true, path: join(ROOT, 'assets', 'index-abc.js'), mime: 'text/javascript; charset=utf-8' });
    assert.deepEqual(resolveAppFile(ROOT, 'app://parley/assets/logo%20big.svg'), { ok: true, path: join(ROOT, 'assets', 'logo big.svg'), mime: 'image/svg+xml' });
    assert.equal((resolveAppFile(ROOT, 'app://parley/x.unknownext') as { mime: string }).mime, 'application/octet-stream');
  });

  it('never names a file outside the web root', () => {
    for (const url of ['app://parley/..%2f..%2fetc%2fpasswd', 'app://parley/assets/..%5c..%5csecret.js', 'app://parley/a%00.js', 'app://parley/%E0%A4%A']) {
      assert.equal(resolveAppFile(ROOT, url).ok, false, url);
    }
    // WHATWG URL parsing folds dot segments (also %2e%2e) before we see the path; what is left stays inside.
    for (const url of ['app://parley/../../etc/passwd.txt', 'app://parley/assets/%2e%2e/%2e%2e/secret.js']) {
      const result = resolveAppFile(ROOT, url);
      assert.ok(result.ok && result.path.startsWith(ROOT + '/'), url);
    }
  });

  it('answers only its own host', () => {
    assert.deepEqual(resolveAppFile(ROOT, 'app://other/index.html'), { ok: false, status: 404 });
    assert.deepEqual(resolveAppFile(ROOT, 'file:///opt/parley/web/index.html'), { ok: false, status: 404 });
    assert.deepEqual(resolveAppFile(ROOT, '::'), { ok: false, status: 400 });
  });

  it('every response carries the CSP and nosniff', () => {
    const headers = appResponseHeaders('text/html');
    assert.equal(headers['Content-Security-Policy'], csp());
    assert.equal(headers['X-Content-Type-Options'], 'nosniff');
    assert.equal(headers['Content-Type'], 'text/html');
  });
});
