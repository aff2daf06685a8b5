/** The main-process entry (bundled to build/app/main.js): reads options, finds the core, runs the wiring. */
import { join } from 'node:path';
import * as clientCore from '@parley/client';
import { app } from 'electron';
import { coreFactoryFrom } from './core-loader';
import { desktopOptions } from './desktop-options';
import { runDesktopMain } from './electron-main';

function logError(message: string, err?: unknown): void {
  process.stderr.write(`parley-desktop: ${message}${err === undefined ? '' : `: ${err instanceof Error ? err.message : String(err)}`}\n`);
}

const options = desktopOptions(process.argv, process.env);
runDesktopMain({
  webDir: options.webDir ?? join(__dirname, 'web'),
  preloadPath: join(__dirname, 'preload.js'),
  // Looked up at run time so a core without the factory is reported as DESKTOP_CORE_MISSING.
  createCore: () => coreFactoryFrom(clientCore)({ gateUrl: options.gateUrl, dataDir: app.getPath('userData'), transport: 'tcp' }),
  logError,
});
