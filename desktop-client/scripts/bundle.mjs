// Bundles the main process and the preload into build/app (the directory electron-builder packages),
// copies the web build beside them and writes the app's own package.json. The preload must be one
// file: a sandboxed preload can require nothing but `electron`.
// Usage: node scripts/bundle.mjs   (PARLEY_WEB_DIR overrides where the web build is taken from)
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(pkgDir, 'build', 'app');
const webSource = process.env.PARLEY_WEB_DIR ?? resolve(pkgDir, '..', 'web-client', 'dist');
const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

// Electron 45 runs Node 22 in main and Chromium 140 in the renderer.
await build({
  entryPoints: [join(pkgDir, 'src', 'main', 'index.ts')],
  outfile: join(out, 'main.js'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node22',
  external: ['electron'],
  sourcemap: true,
  logLevel: 'warning',
});
await build({
  entryPoints: [join(pkgDir, 'src', 'preload', 'index.ts')],
  outfile: join(out, 'preload.js'),
  bundle: true,
  platform: 'browser',
  format: 'cjs',
  target: 'chrome140',
  external: ['electron'],
  sourcemap: 'inline',
  logLevel: 'warning',
});

const web = join(out, 'web');
if (existsSync(join(webSource, 'index.html'))) {
  cpSync(webSource, web, { recursive: true });
} else {
  // The app still starts and says why it is empty, instead of failing on a missing file.
  mkdirSync(web, { recursive: true });
  writeFileSync(join(web, 'index.html'), '<!doctype html><meta charset="utf-8"><title>Parley</title><p>The web client is not built: run <code>npm run build</code> first.</p>\n');
  console.warn(`bundle: no web build at ${webSource}; a placeholder page was written`);
}

writeFileSync(
  join(out, 'package.json'),
  `${JSON.stringify({ name: 'parley-desktop', productName: 'Parley', version: manifest.version, description: manifest.description, license: manifest.license, author: 'Parley', main: 'main.js' }, null, 2)}\n`,
);
console.log(`bundle: ${out}`);
