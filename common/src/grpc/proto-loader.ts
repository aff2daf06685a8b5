import { loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';
import { join } from 'node:path';

/** The repository's proto/ folder. */
export const PROTO_DIR = join(__dirname, '..', '..', '..', '..', 'proto');

/** Must match the flags scripts/gen-proto-types.mjs passes to proto-loader-gen-types. */
export const PROTO_LOADER_OPTIONS: Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

/** Loads proto/<file> and returns it typed as the generated ProtoGrpcType. */
export function loadProto<T>(file: string): T {
  const definition = loadSync(join(PROTO_DIR, file), PROTO_LOADER_OPTIONS);
  return loadPackageDefinition(definition) as unknown as T;
}
