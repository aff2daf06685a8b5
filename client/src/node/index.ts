/** @parley/client/node: what only Node (Electron's main process, the CLI, tests) can run: TCP and a JSON-file store. */
export * from './tcp-transport';
export * from './json-file-store';
export * from './file-source';
