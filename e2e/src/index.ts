export * from './cluster';
export * from './gate-api';
export * from './chat-load';
export * from './tcp-proxy';
export * from './private-redis';
export * from './fault-scenarios';
export * from './browser';
