/** @parley/client/node: what only Node (Electron's main process, the CLI, tests) can run: TCP, a JSON-file store, and createParleyClient (both together). */
export * from './tcp-transport';
export * from './json-file-store';
export * from './file-source';
export * from './create-parley-client';
