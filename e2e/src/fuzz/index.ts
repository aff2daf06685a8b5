/** @parley/e2e/fuzz: the live part of the fuzz run (chat server over TCP, gate over HTTP), for bench/ and the e2e test. */
export * from './answer-check';
export * from './chat-fuzz-target';
export * from './gate-fuzz-target';
export * from './rss-sampler';
export * from './live-fuzz';
