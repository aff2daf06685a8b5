import { chmod, mkdir, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { BackoffOptions } from '../session/backoff';
import { ParleyClient } from '../parley-client';
import { JsonFileStore } from './json-file-store';
import { tcpTransport } from './tcp-transport';

/**
 * The one way a Node host (Electron's main process) makes a client core: `createParleyClient({ gateUrl,
 * dataDir, transport: 'tcp' })`. The host names a directory it owns (Electron's userData) and never
 * sees the store or the transport; the local store (session token, messages, outbox) lives in one
 * JSON file there, readable by the user only.
 */
export interface CreateParleyClientOptions {
  /** The gate's HTTP base URL (http: or https:). */
  gateUrl: string;
  /** An absolute directory the core keeps its store in; made (mode 0700) when missing. */
  dataDir: string;
  /** Node speaks TCP with TLV frames to the chat and file servers; WebSocket is the browser's transport. */
  transport: 'tcp';
  /** Reconnect backoff (default 500 ms doubling to 30 s, full jitter); tests shorten it. */
  backoff?: BackoffOptions;
  requestTimeoutMs?: number;
  presenceRefreshMs?: number;
}

/** The store's file name inside dataDir (Electron's userData also holds Chromium's own files). */
export const STORE_FILE_NAME = 'parley-store.json';

export function storeFilePath(dataDir: string): string {
  return join(dataDir, STORE_FILE_NAME);
}

export class CreateParleyClientError extends Error {
  override name = 'CreateParleyClientError';
}

/**
 * A ParleyClient whose close() also waits for the store's last write: an app that quits right after
 * queueing a message must find it in the outbox on the next start.
 */
class FileBackedParleyClient extends ParleyClient {
  constructor(
    options: ConstructorParameters<typeof ParleyClient>[0],
    private readonly fileStore: JsonFileStore,
  ) {
    super(options);
  }

  override async close(): Promise<void> {
    await super.close();
    // A store call started just before close() (sendText's outbox write) reaches persist() after a
    // few microtasks; one macrotask later it is in the write chain that flush() waits for.
    await new Promise((resolve) => setImmediate(resolve));
    await this.fileStore.flush();
  }
}

function check(options: CreateParleyClientOptions): void {
  if (options.transport !== 'tcp') throw new CreateParleyClientError(`transport: only 'tcp' runs in Node, got ${String(options.transport)}`);
  let url: URL;
  try {
    url = new URL(options.gateUrl);
  } catch {
    throw new CreateParleyClientError(`gateUrl: not a URL: ${String(options.gateUrl).slice(0, 200)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CreateParleyClientError('gateUrl: must be http: or https:');
  if (typeof options.dataDir !== 'string' || !isAbsolute(options.dataDir)) throw new CreateParleyClientError('dataDir: must be an absolute path');
}

/** The store holds a login token: the directory is the user's alone, whoever made it first. */
async function privateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // Windows has no POSIX modes to tighten (chmod there only toggles read-only).
  if (process.platform === 'win32') return;
  const { mode } = await stat(dir);
  if ((mode & 0o077) !== 0) await chmod(dir, 0o700);
}

async function privateFile(path: string): Promise<void> {
  if (process.platform === 'win32') return;
  try {
    const { mode } = await stat(path);
    if ((mode & 0o077) !== 0) await chmod(path, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

export async function createParleyClient(options: CreateParleyClientOptions): Promise<ParleyClient> {
  check(options);
  await privateDir(options.dataDir);
  const path = storeFilePath(options.dataDir);
  // New writes are 0600 (JsonFileStore); a file left by an older build or copied in is tightened too.
  await privateFile(path);
  const store = await JsonFileStore.open(path);
  return new FileBackedParleyClient(
    {
      gateUrl: options.gateUrl,
      store,
      transport: tcpTransport,
      ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
      ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
      ...(options.presenceRefreshMs === undefined ? {} : { presenceRefreshMs: options.presenceRefreshMs }),
    },
    store,
  );
}
