// Runs every compiled test file (<package>/dist/test/**/*.test.js) with node's test runner against the
// real MariaDB and Redis — the machine's own, or private instances when those don't answer.
// Usage: node scripts/run-tests.mjs [substring filter ...]
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { requireFromCommon, root, servicesOrExit } from './lib/services.mjs';

const { dropStaleTestDatabases, testClusterTls } = requireFromCommon('@parley/common/testing');

const packages = readdirSync(root).filter((d) => {
  try {
    return statSync(join(root, d, 'package.json')).isFile() && statSync(join(root, d, 'dist', 'test')).isDirectory();
  } catch {
    return false;
  }
});

function testFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...testFiles(p));
    else if (entry.name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = packages
  .flatMap((p) => testFiles(join(root, p, 'dist', 'test')))
  .filter((f) => filters.length === 0 || filters.some((s) => relative(root, f).includes(s)))
  .sort();
if (files.length === 0) {
  console.error('no test files found (did the build run?)');
  process.exit(1);
}

const services = await servicesOrExit((s) => console.log(`started private ${s}`));
// One development CA and cluster certificate for every test process of the run (internal gRPC is mTLS).
const tlsDir = mkdtempSync(join(tmpdir(), 'parley-test-tls-'));
process.env.PARLEY_TEST_TLS_DIR = tlsDir;
testClusterTls();
const env = { ...process.env, ...services.env, PARLEY_TEST_TLS_DIR: tlsDir };
await dropStaleTestDatabases(env).catch((err) => console.warn(`could not sweep stale test databases: ${err.message}`));

const concurrency = process.env.PARLEY_TEST_CONCURRENCY ?? '2';
const child = spawn(process.execPath, ['--test', `--test-concurrency=${concurrency}`, '--test-timeout=120000', ...files], {
  cwd: root,
  env,
  stdio: 'inherit',
});
const code = await new Promise((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
await services.stop();
rmSync(tlsDir, { recursive: true, force: true });
process.exit(code);
