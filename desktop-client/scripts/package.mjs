// Builds the installers with electron-builder (Linux AppImage + deb, Windows nsis, macOS dmg, as
// electron-builder.yml says). electron-builder downloads Electron's release archives, so this runs
// only where that is possible; it is fetched with npx rather than kept in the lockfile for that reason.
// Usage: node scripts/package.mjs [electron-builder flags, e.g. --linux]
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const pkgDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const electronVersion = require('electron/package.json').version;
const BUILDER = 'electron-builder@26.17.0';

const result = spawnSync('npx', ['--yes', BUILDER, '--config', 'electron-builder.yml', `-c.electronVersion=${electronVersion}`, ...process.argv.slice(2)], {
  cwd: pkgDir,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
