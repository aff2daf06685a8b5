import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { test } from 'node:test';

// The browser entry (and everything it requires, the protocol's codec entry included) must not need a Node module.
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** The "browser" field of the package holding `file` (bundlers follow it: `false` means an empty module). */
function browserField(file: string): Record<string, string | false> {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const browser = (JSON.parse(readFileSync(manifest, 'utf8')) as { browser?: unknown }).browser;
      return typeof browser === 'object' && browser !== null ? (browser as Record<string, string | false>) : {};
    }
  }
  return {};
}

test('the main entry reaches no node: module, transitively (as a browser bundler resolves it)', () => {
  const seen = new Set<string>();
  const offenders: string[] = [];
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const req = createRequire(file);
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(/require\("([^"]+)"\)/g)) {
      if (spec === undefined) continue;
      if (builtins.has(spec)) {
        if (browserField(file)[spec] === false) continue;
        offenders.push(`${file} → ${spec}`);
        continue;
      }
      const resolved = req.resolve(spec);
      // zod is a browser library; walking its own files adds nothing.
      if (!resolved.includes(`${join('node_modules', 'zod')}`)) visit(resolved);
    }
  };
  visit(join(dirname(__dirname), 'src', 'index.js'));
  assert.deepEqual(offenders, []);
  assert.ok([...seen].some((f) => f.includes(join('protocol', 'dist', 'src', 'codec.js'))), 'went through the codec entry');
});
