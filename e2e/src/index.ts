export * from './cluster';
export * from './gate-api';
