/**
 * @parley/protocol/codec: the browser-safe part of the protocol (ids, schemas, limits, error codes,
 * TLV encoder and decoder, message and chunk codecs). Nothing here imports a node: module; it uses
 * the global `Buffer`, which Node has and a browser bundle gets from the `buffer` package
 * (docs/client.md, "In the browser"). The TCP and file clients stay in the main entry.
 */
export * from './error-codes';
export * from './protocol-errors';
export * from './retry-after';
export * from './protocol-limits';
export * from './strict-utf8';
export * from './frame-body';
export * from './well-formed';
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
export * from './transfer-progress';
