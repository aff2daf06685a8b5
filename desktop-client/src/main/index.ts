/** The main-process entry (bundled to build/app/main.js): reads options, makes the core, runs the wiring. */
import { join } from 'node:path';
import * as clientNode from '@parley/client/node';
import { app } from 'electron';
import { coreFactoryFrom, type CoreFactory } from './core-loader';
import { desktopOptions } from './desktop-options';
import { runDesktopMain } from './electron-main';

function logError(message: string, err?: unknown): void {
  process.stderr.write(`parley-desktop: ${message}${err === undefined ? '' : `: ${err instanceof Error ? err.message : String(err)}`}\n`);
}

// `satisfies` fails the build if the core's factory stops fitting what the app calls; coreFactoryFrom
// still reports a bundle without it as DESKTOP_CORE_MISSING at start-up.
const createCore = coreFactoryFrom(clientNode satisfies { createParleyClient: CoreFactory });
const options = desktopOptions(process.argv, process.env);
runDesktopMain({
  webDir: options.webDir ?? join(__dirname, 'web'),
  preloadPath: join(__dirname, 'preload.js'),
  // userData (~/.config/Parley, %APPDATA%\Parley, ~/Library/Application Support/Parley) holds the store.
  createCore: () => createCore({ gateUrl: options.gateUrl, dataDir: app.getPath('userData'), transport: 'tcp' }),
  logError,
});
