// Fails when a package's compiled code requires a package its package.json does not list where it belongs:
// - what <package>/dist/src requires at run time (type-only imports vanish there) must be a dependency —
//   except <package>/dist/src/testing, test support, which may use dev dependencies;
// - a dependency only test support requires belongs in devDependencies (type packages always do).
import { builtinModules } from 'node:module';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { root } from './lib/services.mjs';

const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
// Provided by the runtime that loads the code, not by node_modules: `electron` in Electron's main process
// and preload (electron-builder insists the `electron` package itself is a devDependency).
const providedByRuntime = new Set(['electron']);

function jsFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? jsFiles(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : []));
}

/** "@scope/name/sub" → "@scope/name", "name/sub" → "name". */
function packageOf(spec) {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

const problems = [];
let checked = 0;
for (const dir of readdirSync(root)) {
  const manifestPath = join(root, dir, 'package.json');
  if (dir === 'node_modules' || !existsSync(manifestPath) || !existsSync(join(root, dir, 'dist', 'src'))) continue;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  const deps = new Set(Object.keys(manifest.dependencies ?? {}));
  const devDeps = new Set(Object.keys(manifest.devDependencies ?? {}));
  const usedAtRuntime = new Set();
  const usedByTesting = new Set();
  for (const file of jsFiles(join(root, dir, 'dist', 'src'))) {
    const testing = relative(join(root, dir, 'dist', 'src'), file).split(sep)[0] === 'testing';
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(/require\("([^".][^"]*)"\)/g)) {
      if (builtins.has(spec) || providedByRuntime.has(spec)) continue;
      const pkg = packageOf(spec);
      if (pkg === manifest.name) continue;
      checked++;
      (testing ? usedByTesting : usedAtRuntime).add(pkg);
      if (deps.has(pkg) || (testing && devDeps.has(pkg))) continue;
      const where = devDeps.has(pkg) ? 'only in devDependencies' : 'not listed';
      problems.push(`${dir}: ${relative(root, file)} requires ${pkg}, which is ${where} (needs: dependencies${testing ? ' or devDependencies' : ''})`);
    }
  }
  for (const pkg of deps) {
    if (pkg.startsWith('@types/')) problems.push(`${dir}: ${pkg} is a dependency; type packages belong in devDependencies`);
    else if (usedByTesting.has(pkg) && !usedAtRuntime.has(pkg)) problems.push(`${dir}: ${pkg} is a dependency but only test support (dist/src/testing) requires it; move it to devDependencies`);
  }
}

if (problems.length > 0) {
  for (const p of problems) console.error(p);
  process.exit(1);
}
console.log(`dependencies match ${checked} runtime requires`);
