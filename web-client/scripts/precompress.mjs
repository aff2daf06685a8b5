// After `vite build`: a .gz beside each hashed script and stylesheet, so the gate sends 80 kB instead of
// 270 kB without compressing per request (it picks the .gz when the browser accepts gzip).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants, gzipSync } from 'node:zlib';

const assets = fileURLToPath(new URL('../dist/assets/', import.meta.url));
let before = 0;
let after = 0;
for (const name of readdirSync(assets)) {
  if (!/\.(js|css|svg)$/.test(name)) continue;
  const raw = readFileSync(join(assets, name));
  const gz = gzipSync(raw, { level: constants.Z_BEST_COMPRESSION });
  writeFileSync(join(assets, `${name}.gz`), gz);
  before += raw.length;
  after += gz.length;
}
console.log(`precompressed assets: ${(before / 1024).toFixed(1)} kB → ${(after / 1024).toFixed(1)} kB gzip`);
