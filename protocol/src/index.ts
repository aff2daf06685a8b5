/** @parley/protocol: the chat wire protocol, shared by servers, clients and benchmarks. */
export * from './error-codes';
export * from './protocol-errors';
export * from './protocol-limits';
export * from './frame-body';
export * from './tlv-encoder';
export * from './tlv-decoder';
export * from './message-ids';
export * from './entity-schemas';
export * from './group-schemas';
export * from './profile-schemas';
export * from './message-schemas';
export * from './message-codec';
export * from './chunk-codec';
export * from './file-schemas';
export * from './file-codec';
export * from './chat-client';
