/**
 * Finds the client core's factory: `createParleyClient({ gateUrl, dataDir, transport: 'tcp' })` from
 * the core's Node entry (@parley/client/node), resolving to a ParleyClient. index.ts also checks its
 * type at compile time; this run-time check turns a bundle built without it into a clear, coded error.
 */
import { BridgeError } from '../shared/bridge-errors';
import type { DesktopCore } from './desktop-core';

export interface CoreFactoryOptions {
  gateUrl: string;
  /** Where the core keeps its local store (the saved session, messages, the outbox). */
  dataDir: string;
  transport: 'tcp';
}

/** The real factory is asynchronous (it opens the store file); a synchronous one is accepted too. */
export type CoreFactory = (options: CoreFactoryOptions) => DesktopCore | Promise<DesktopCore>;

export const CORE_FACTORY_EXPORT = 'createParleyClient';

export function coreFactoryFrom(module: unknown): CoreFactory {
  const factory = typeof module === 'object' && module !== null ? (module as Record<string, unknown>)[CORE_FACTORY_EXPORT] : undefined;
  if (typeof factory !== 'function') {
    throw new BridgeError('DESKTOP_CORE_MISSING', `@parley/client/node does not export ${CORE_FACTORY_EXPORT}(); the desktop app cannot start without the client core.`);
  }
  return factory as CoreFactory;
}
