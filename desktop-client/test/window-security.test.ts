import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { csp } from '../src/main/csp';
import { navigationPolicy, windowOpenPolicy } from '../src/main/navigation-policy';
import { permissionAllowed } from '../src/main/permission-policy';
import { windowOptions } from '../src/main/window-options';

describe('window options', () => {
  it('turn on isolation, the sandbox and web security, and turn off Node and webviews', () => {
    const options = windowOptions('/app/preload.js');
    assert.deepEqual(
      {
        preload: options.webPreferences.preload,
        contextIsolation: options.webPreferences.contextIsolation,
        sandbox: options.webPreferences.sandbox,
        nodeIntegration: options.webPreferences.nodeIntegration,
        nodeIntegrationInWorker: options.webPreferences.nodeIntegrationInWorker,
        nodeIntegrationInSubFrames: options.webPreferences.nodeIntegrationInSubFrames,
        webSecurity: options.webPreferences.webSecurity,
        allowRunningInsecureContent: options.webPreferences.allowRunningInsecureContent,
        webviewTag: options.webPreferences.webviewTag,
        experimentalFeatures: options.webPreferences.experimentalFeatures,
      },
      {
        preload: '/app/preload.js',
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInWorker: false,
        nodeIntegrationInSubFrames: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        webviewTag: false,
        experimentalFeatures: false,
      },
    );
    assert.equal(options.show, false, 'shown on ready-to-show');
    assert.ok(options.minWidth <= 420, 'usable at 420 px wide');
  });
});

describe('navigation policy', () => {
  const cases: [string, string][] = [
    ['app://parley/index.html', 'allow'],
    ['app://parley/chat/10', 'allow'],
    ['https://example.com/page', 'external'],
    ['http://example.com/', 'external'],
    ['https://user:pw@example.com/', 'deny'],
    ['file:///etc/passwd', 'deny'],
    ['javascript:alert(1)', 'deny'],
    ['data:text/html,<script>1</script>', 'deny'],
    ['app://evil/index.html', 'deny'],
    ['smb://server/share', 'deny'],
    ['ms-settings:', 'deny'],
    ['not a url', 'deny'],
    ['', 'deny'],
  ];
  for (const [url, expected] of cases) {
    it(`${url || '(empty)'} → ${expected}`, () => assert.equal(navigationPolicy(url), expected));
  }

  it('window.open never opens an app window: http(s) goes out, the rest is denied', () => {
    assert.equal(windowOpenPolicy('https://example.com/'), 'external');
    assert.equal(windowOpenPolicy('app://parley/index.html'), 'deny');
    assert.equal(windowOpenPolicy('file:///tmp/x'), 'deny');
  });
});

describe('permission policy', () => {
  it('grants notifications to the app page only, and nothing else to anyone', () => {
    assert.equal(permissionAllowed('notifications', 'app://parley/index.html'), true);
    assert.equal(permissionAllowed('notifications', 'app://parley'), true);
    assert.equal(permissionAllowed('notifications', 'https://evil.example/'), false);
    for (const p of ['media', 'geolocation', 'clipboard-read', 'midiSysex', 'hid', 'serial', 'openExternal', 'fullscreen', 'unknown']) {
      assert.equal(permissionAllowed(p, 'app://parley/index.html'), false, p);
    }
  });
});

describe('content security policy', () => {
  const policy = csp();
  const directives = new Map(policy.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]));

  it('starts from nothing and allows only the app itself for scripts and styles', () => {
    assert.equal(directives.get('default-src'), "'none'");
    assert.equal(directives.get('script-src'), "'self'");
    assert.equal(directives.get('style-src'), "'self'");
    assert.equal(directives.get('object-src'), "'none'");
    assert.equal(directives.get('base-uri'), "'none'");
    assert.equal(directives.get('frame-ancestors'), "'none'");
    assert.equal(directives.get('form-action'), "'none'");
  });

  it('never allows inline or eval, and connects nowhere but the app', () => {
    assert.doesNotMatch(policy, /unsafe-inline|unsafe-eval|wasm-unsafe-eval|\*/);
    assert.equal(directives.get('connect-src'), "'self'");
    assert.equal(directives.get('img-src'), "'self' blob: data:");
  });
});
