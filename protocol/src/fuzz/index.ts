/** @parley/protocol/fuzz: seeded generators of hostile frames and JSON, and the in-process decode check. */
export * from './prng';
export * from './odd-values';
export * from './frame-samples';
export * from './json-mutator';
export * from './frame-mutator';
export * from './decode-check';
export * from './decode-fuzz-run';
