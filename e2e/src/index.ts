export * from './cluster';
export * from './gate-api';
export * from './browser';
