// Fails when the compiled modules of any package import each other in a cycle (layers stay honest).
// Reads the `require("./…")` calls tsc emits in <package>/dist/src; type-only imports vanish there, as they should.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { root } from './lib/services.mjs';

function jsFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? jsFiles(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : []));
}

function target(from, spec) {
  const base = resolve(dirname(from), spec);
  for (const candidate of [base, `${base}.js`, join(base, 'index.js')]) if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  return undefined;
}

const graph = new Map();
for (const pkg of readdirSync(root)) {
  for (const file of jsFiles(join(root, pkg, 'dist', 'src'))) {
    const deps = [...readFileSync(file, 'utf8').matchAll(/require\("(\.{1,2}\/[^"]+)"\)/g)].map((m) => target(file, m[1])).filter(Boolean);
    graph.set(file, deps);
  }
}

const state = new Map(); // 1 = on the current path, 2 = done
const cycles = [];
function visit(node, path) {
  state.set(node, 1);
  path.push(node);
  for (const next of graph.get(node) ?? []) {
    if (state.get(next) === 1) cycles.push([...path.slice(path.indexOf(next)), next]);
    else if (!state.has(next)) visit(next, path);
  }
  path.pop();
  state.set(node, 2);
}
for (const node of graph.keys()) if (!state.has(node)) visit(node, []);

if (cycles.length > 0) {
  for (const c of cycles) console.error(`import cycle: ${c.map((f) => relative(root, f)).join(' → ')}`);
  process.exit(1);
}
console.log(`no import cycles in ${graph.size} modules`);
