/**
 * Finds the client core's factory. The core package (@parley/client) is written alongside this app;
 * the desktop app needs one export from it, `createParleyClient({ gateUrl, dataDir, transport: 'tcp' })`
 * returning a ParleyApi. Checked at start-up so a build without it fails with a clear, coded error.
 */
import { BridgeError } from '../shared/bridge-errors';
import type { DesktopCore } from './desktop-core';

export interface CoreFactoryOptions {
  gateUrl: string;
  /** Where the core keeps its local store (the saved session, messages, the outbox). */
  dataDir: string;
  transport: 'tcp';
}

export type CoreFactory = (options: CoreFactoryOptions) => DesktopCore;

export const CORE_FACTORY_EXPORT = 'createParleyClient';

export function coreFactoryFrom(module: unknown): CoreFactory {
  const factory = typeof module === 'object' && module !== null ? (module as Record<string, unknown>)[CORE_FACTORY_EXPORT] : undefined;
  if (typeof factory !== 'function') {
    throw new BridgeError('DESKTOP_CORE_MISSING', `@parley/client does not export ${CORE_FACTORY_EXPORT}(); the desktop app cannot start without the client core.`);
  }
  return factory as CoreFactory;
}
