// Generates TypeScript types for proto/*.proto into common/src/generated (not committed).
// The flags must match PROTO_LOADER_OPTIONS in common/src/grpc/proto-loader.ts.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const protoDir = join(root, 'proto');
const outDir = join(root, 'common', 'src', 'generated');
const protos = readdirSync(protoDir).filter((f) => f.endsWith('.proto'));

// Skip when every generated file is newer than every proto (keeps `npm start` quick).
const stamp = join(outDir, '.stamp');
const newestProto = Math.max(...protos.map((f) => statSync(join(protoDir, f)).mtimeMs));
if (existsSync(stamp) && statSync(stamp).mtimeMs >= newestProto) process.exit(0);

mkdirSync(outDir, { recursive: true });
const require = createRequire(join(root, 'common', 'package.json'));
const bin = join(dirname(require.resolve('@grpc/proto-loader/package.json')), 'build', 'bin', 'proto-loader-gen-types.js');
execFileSync(process.execPath, [bin, '--grpcLib=@grpc/grpc-js', '--longs=Number', '--enums=String', '--defaults', '--oneofs', `--includeDirs=${protoDir}`, `--outDir=${outDir}`, ...protos], { stdio: 'inherit' });
execFileSync(process.execPath, ['-e', `require('fs').writeFileSync(${JSON.stringify(stamp)}, '')`]);
