export * from './free-port';
export * from './local-services';
export * from './test-config';
export * from './test-env';
export * from './mail-code';
export * from './redis-slots';
export * from './test-tls';
