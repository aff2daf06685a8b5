import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { coreFactoryFrom } from '../src/main/core-loader';
import { DEFAULT_GATE_URL, DesktopOptionsError, desktopOptions } from '../src/main/desktop-options';
import { FakeCore } from './support/fake-core';

describe('desktop options', () => {
  it('defaults to the local gate; the flag wins over the environment', () => {
    assert.deepEqual(desktopOptions([], {}), { gateUrl: DEFAULT_GATE_URL });
    assert.equal(desktopOptions([], { PARLEY_GATE_URL: 'https://gate.example:8443/' }).gateUrl, 'https://gate.example:8443');
    assert.equal(desktopOptions(['--gate-url=http://10.0.0.2:8080'], { PARLEY_GATE_URL: 'https://x.example' }).gateUrl, 'http://10.0.0.2:8080');
    assert.equal(desktopOptions(['--web-dir=/srv/web'], {}).webDir, '/srv/web');
    assert.ok(Object.isFrozen(desktopOptions([], {})));
  });

  it('refuses bad values with an error naming the option', () => {
    assert.throws(() => desktopOptions(['--gate-url=nope'], {}), (err: unknown) => err instanceof DesktopOptionsError && /gate-url/.test(err.message));
    assert.throws(() => desktopOptions([], { PARLEY_GATE_URL: 'file:///etc' }), /gate-url.*http/);
    assert.throws(() => desktopOptions([], { PARLEY_WEB_DIR: 'relative/dir' }), /web-dir.*absolute/);
  });
});

describe('core loader', () => {
  it('takes createParleyClient from the core package, or fails with DESKTOP_CORE_MISSING', () => {
    const core = new FakeCore();
    const factory = coreFactoryFrom({ createParleyClient: () => core });
    assert.equal(factory({ gateUrl: 'http://x', dataDir: '/tmp', transport: 'tcp' }), core);
    for (const mod of [{}, null, { createParleyClient: 'no' }]) assert.throws(() => coreFactoryFrom(mod), { code: 'DESKTOP_CORE_MISSING' });
  });
});
