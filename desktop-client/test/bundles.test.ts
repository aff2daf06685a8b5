import assert from 'node:assert/strict';
import { join } from 'node:path';
import { builtinModules } from 'node:module';
import { describe, it } from 'node:test';
import { build } from 'esbuild';

// dist/test → desktop-client/.
const PKG = join(__dirname, '..', '..');

describe('bundles', () => {
  it('is one file that requires nothing but electron (a sandboxed preload can load nothing else)', async () => {
    const result = await build({
      entryPoints: [join(PKG, 'src', 'preload', 'index.ts')],
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'cjs',
      external: ['electron'],
      logLevel: 'silent',
    });
    const code = result.outputFiles[0]!.text;
    const required = [...code.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1]);
    assert.deepEqual([...new Set(required)], ['electron']);
    assert.doesNotMatch(code, /exposeInMainWorld\(\s*["']ipcRenderer/);
    assert.match(code, /exposeInMainWorld\("parley"/);
  });

  it('main: one file with the client core inside, requiring only electron and Node built-ins', async () => {
    const result = await build({
      entryPoints: [join(PKG, 'src', 'main', 'index.ts')],
      bundle: true,
      write: false,
      platform: 'node',
      format: 'cjs',
      target: 'node22',
      external: ['electron'],
      logLevel: 'silent',
    });
    const code = result.outputFiles[0]!.text;
    const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    const required = new Set([...code.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1]!));
    assert.deepEqual([...required].filter((r) => !builtins.has(r)), ['electron'], 'packaged without node_modules, so nothing else may be required');
    // The factory and its Node parts (TCP transport, JSON-file store) are bundled, not looked up at run time.
    for (const name of ['createParleyClient', 'TcpTransport', 'JsonFileStore']) assert.match(code, new RegExp(`\\b${name}\\b`), name);
  });
});
