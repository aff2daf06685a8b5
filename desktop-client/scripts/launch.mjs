// Starts Electron on the bundled app. The `electron` package fetches its binary on first use; where
// that cannot happen (no network beyond the npm registry, as on Parley's build machine) this says so.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const appDir = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'build', 'app');

let electronPath;
try {
  electronPath = require('electron');
} catch (err) {
  console.error(`Electron cannot run here: its binary is not installed and could not be downloaded (${err.message}).`);
  console.error('On a machine with network access: npx install-electron --no, then npm run desktop again.');
  process.exit(1);
}
const child = spawn(electronPath, [appDir, ...process.argv.slice(2)], { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
