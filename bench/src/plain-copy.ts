/**
 * The yardstick of the file benchmark: the same bytes over a plain TCP socket, no protocol, and
 * either no hashing or (mode H) the receiver hashing what it writes, as Parley's file server does.
 * Run as its own process (pinned like the file server):
 * `node plain-copy.js <sink path> <source path>`; prints `{"port":N}` once listening.
 *
 * A connection starts with a 9-byte header: 'U' or 'D' and a uint64 BE length.
 * - U (upload): the next `length` bytes are written to the sink file (a write stream), fdatasync'd,
 *   then one byte 'K' answers and the socket closes — like a file server storing an upload durably.
 * - H (upload, hashed): as U, and every byte also goes through sha256 before the answer.
 * - D (download): the source file is piped to the socket and the socket ends.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import net from 'node:net';

const [, , sinkPath, sourcePath] = process.argv;
if (!sinkPath || !sourcePath) {
  console.error('usage: plain-copy <sink path> <source path>');
  process.exit(2);
}

function serve(socket: net.Socket): void {
  let header = Buffer.alloc(0);
  const onHeader = (chunk: Buffer) => {
    header = Buffer.concat([header, chunk]);
    if (header.length < 9) return;
    socket.off('data', onHeader);
    socket.pause();
    const mode = String.fromCharCode(header[0] as number);
    const length = Number(header.readBigUInt64BE(1));
    const rest = header.subarray(9);
    if (mode === 'D') {
      createReadStream(sourcePath as string, { highWaterMark: 256 * 1024 }).pipe(socket);
      return;
    }
    void receive(socket, length, rest, mode === 'H');
  };
  socket.on('data', onHeader);
  socket.on('error', () => undefined);
}

async function receive(socket: net.Socket, length: number, first: Buffer, hashed: boolean): Promise<void> {
  const out = createWriteStream(sinkPath as string, { highWaterMark: 256 * 1024 });
  const hash = hashed ? createHash('sha256') : undefined;
  let received = first.length;
  if (first.length > 0) out.write(first);
  hash?.update(first);
  if (hash) socket.on('data', (chunk: Buffer) => hash.update(chunk));
  socket.pipe(out, { end: false });
  await new Promise<void>((resolve) => {
    const check = (chunk: Buffer) => {
      received += chunk.length;
      if (received >= length) resolve();
    };
    if (received >= length) resolve();
    socket.on('data', check);
    socket.resume();
  });
  socket.unpipe(out);
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  const handle = await open(sinkPath as string, 'r+');
  await handle.datasync();
  await handle.close();
  hash?.digest();
  socket.end('K');
}

const server = net.createServer({ noDelay: true }, serve);
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof addr === 'object' && addr ? addr.port : 0 })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
