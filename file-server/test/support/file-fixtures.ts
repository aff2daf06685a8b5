import { randomBytes, createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { issueToken, type FileRecord, type ParleyConfig } from '@parley/common';
import { createTestEnv, type TestEnv } from '@parley/common/testing';
import { FileClient, FileTransfers, type ProtocolError } from '@parley/protocol';
import { startFileServer, type RunningFileServer } from '../../src';

export interface TestUser {
  uid: number;
  token: string;
}

/** A test database and Redis prefix, a private storage directory, and file servers run in-process. */
export class FileTestBed {
  readonly servers: RunningFileServer[] = [];
  private users = 0;

  private constructor(
    readonly env: TestEnv,
    readonly storageDir: string,
    readonly workDir: string,
  ) {}

  static async create(file: Record<string, string | number> = {}, fileServers = ['file1']): Promise<FileTestBed> {
    const storageDir = mkdtempSync(join(tmpdir(), 'parley-files-'));
    const workDir = mkdtempSync(join(tmpdir(), 'parley-client-'));
    const env = await createTestEnv({
      sections: { file: { storage_dir: storageDir, checkpoint_bytes: 1024 * 1024, min_free_bytes: 0, ...file } },
      fileServers: fileServers.map((id) => ({ id, tcpPort: 0 })),
    });
    return new FileTestBed(env, storageDir, workDir);
  }

  /** Starts file server `id` in-process, optionally with changed [file] values. */
  async start(id = 'file1', file: Partial<ParleyConfig['file']> = {}): Promise<RunningFileServer> {
    const config = { ...this.env.config, file: { ...this.env.config.file, ...file } };
    const server = await startFileServer({ config, logger: this.env.logger.child({ server: id }), id });
    this.servers.push(server);
    return server;
  }

  async user(): Promise<TestUser> {
    const name = `f${process.pid}x${++this.users}`;
    const [res] = await this.env.pool.query<ResultSetHeader>('INSERT INTO users (name, email, password_hash, nickname) VALUES (?, ?, ?, ?)', [name, `${name}@t.local`, 'x', name]);
    return { uid: res.insertId, token: await issueToken(this.env.redis, res.insertId, 600) };
  }

  transfers(user: TestUser, server: RunningFileServer, options: { attempts?: number } = {}): FileTransfers {
    return new FileTransfers({ endpoint: { host: '127.0.0.1', port: server.tcpPort }, uid: user.uid, token: user.token, retryDelayMs: 50, progressIntervalMs: 0, ...options });
  }

  async client(user: TestUser, server: RunningFileServer): Promise<FileClient> {
    const client = new FileClient({ defaultTimeoutMs: 5000 });
    await client.connect('127.0.0.1', server.tcpPort);
    await client.login(user.uid, user.token);
    return client;
  }

  /** A file of random bytes in the work directory. */
  localFile(name: string, size: number): { path: string; bytes: Buffer; sha256: string } {
    const bytes = randomBytes(size);
    const path = join(this.workDir, name);
    writeFileSync(path, bytes);
    return { path, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
  }

  path(name: string): string {
    return join(this.workDir, name);
  }

  async file(fileId: number): Promise<Pick<FileRecord, 'state' | 'storedBytes' | 'ownerUid' | 'size'> | undefined> {
    const [rows] = await this.env.pool.query<RowDataPacket[]>('SELECT state, stored_bytes, owner_uid, size FROM files WHERE id = ?', [fileId]);
    const r = rows[0];
    return r && { state: r.state as FileRecord['state'], storedBytes: Number(r.stored_bytes), ownerUid: Number(r.owner_uid), size: Number(r.size) };
  }

  /** Stored blobs (everything but tmp/) and temp files. */
  storage(): { blobs: string[]; temps: string[] } {
    const blobs: string[] = [];
    for (const dir of readdirSync(this.storageDir)) {
      if (dir === 'tmp') continue;
      for (const f of readdirSync(join(this.storageDir, dir))) blobs.push(dir + f);
    }
    return { blobs, temps: readdirSync(join(this.storageDir, 'tmp')) };
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.stop()));
    await this.env.cleanup();
    rmSync(this.storageDir, { recursive: true, force: true });
    rmSync(this.workDir, { recursive: true, force: true });
  }
}

/** Resolves once `check` holds (polling every 20 ms). */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The error code a promise rejects with ('ok' when it resolves). */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return (err as ProtocolError).code ?? String(err);
  }
}

/** The next fileError for fileId on a raw client. */
export function nextFileError(client: FileClient, fileId: number, timeoutMs = 5000): Promise<ProtocolError> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no error for file ${fileId}`)), timeoutMs);
    const on = (err: ProtocolError) => {
      if ((err.details as { fileId?: number } | undefined)?.fileId !== fileId) return;
      clearTimeout(timer);
      client.off('fileError', on);
      resolve(err);
    };
    client.on('fileError', on);
  });
}
