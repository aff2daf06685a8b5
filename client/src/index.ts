/** @parley/client: the client core shared by the web app, the desktop app and the CLI (browser-safe: no node: modules). */
export * from './client-api';
export * from './client-error';
export * from './transport/frame-transport';
export * from './transport/websocket-transport';
export * from './transport/single-frame';
export * from './connection/chat-connection';
export * from './gate/gate-error';
export * from './gate/gate-client';
export * from './session/backoff';
export * from './session/session';
export * from './sync/seq-sync';
export * from './store/local-store';
export * from './store/memory-store';
export * from './store/indexeddb-store';
export * from './outbox/outbox';
export * from './parley-client';
