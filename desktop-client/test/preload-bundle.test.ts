import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { build } from 'esbuild';

// dist/test → desktop-client/.
const PKG = join(__dirname, '..', '..');

describe('preload bundle', () => {
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
});
