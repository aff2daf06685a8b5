import net from 'node:net';
import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { issueToken, RedisKeys } from '@parley/common';
import { ChatClient, decodeServerMessage, TlvDecoder, type ServerMessage } from '@parley/protocol';
import type { ChatEndpoint, Cluster } from '../../src/cluster';

let counter = 0;

export interface TestUser {
  uid: number;
  token: string;
}

/** A user row plus a login token in Redis, exactly as gate + status-server would leave them. */
export async function createUser(cluster: Cluster, ttlSec = 600): Promise<TestUser> {
  counter++;
  const name = `e${process.pid}x${counter}`;
  const [res] = await cluster.env.pool.query<ResultSetHeader>('INSERT INTO users (name, email, password_hash, nickname) VALUES (?, ?, ?, ?)', [name, `${name}@test.local`, 'x', name]);
  const uid = res.insertId;
  return { uid, token: await issueToken(cluster.env.redis, uid, ttlSec) };
}

/** A fresh token for an existing user (a second login). */
export async function newToken(cluster: Cluster, uid: number): Promise<string> {
  return issueToken(cluster.env.redis, uid, 600);
}

/** Friendship as the friends code creates it on accept; returns the direct conversation id. */
export async function befriend(cluster: Cluster, a: number, b: number): Promise<number> {
  const pool = cluster.env.pool;
  const key = a < b ? `${a}:${b}` : `${b}:${a}`;
  const [conv] = await pool.query<ResultSetHeader>("INSERT INTO conversations (kind, direct_key) VALUES ('direct', ?)", [key]);
  const id = conv.insertId;
  await pool.query('INSERT INTO conversation_members (conversation_id, user_id) VALUES (?, ?), (?, ?)', [id, a, id, b]);
  await pool.query('INSERT INTO friendships (user_id, friend_id, conversation_id) VALUES (?, ?, ?), (?, ?, ?)', [a, b, id, b, a, id]);
  return id;
}

export async function storedSeqs(cluster: Cluster, conversationId: number): Promise<number[]> {
  const [rows] = await cluster.env.pool.query<RowDataPacket[]>('SELECT seq FROM messages WHERE conversation_id = ? ORDER BY seq', [conversationId]);
  return rows.map((r) => Number(r.seq));
}

export async function routeOf(cluster: Cluster, uid: number): Promise<{ server?: string; session?: string }> {
  return (await cluster.env.redis.hgetall(RedisKeys.route(uid))) as { server?: string; session?: string };
}

export async function login(endpoint: ChatEndpoint, user: TestUser, options: ConstructorParameters<typeof ChatClient>[0] = {}): Promise<ChatClient> {
  const client = new ChatClient({ defaultTimeoutMs: 5000, ...options });
  await client.connect(endpoint.host, endpoint.tcpPort);
  await client.login(user.uid, user.token);
  return client;
}

export function waitFor<T>(check: () => T | undefined | false, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const until = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = () => {
      let value: T | undefined | false;
      try {
        value = check();
      } catch (err) {
        reject(err as Error);
        return;
      }
      if (value !== undefined && value !== false) resolve(value);
      else if (Date.now() > until) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 20);
    };
    tick();
  });
}

export function waitForClose(client: ChatClient, timeoutMs = 5000): Promise<void> {
  if (client.status === 'disconnected') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('connection did not close')), timeoutMs);
    client.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** A bare TCP connection for hand-made frames: records every decoded server frame and the close. */
export class RawConnection {
  readonly messages: ServerMessage[] = [];
  closed = false;
  private readonly socket: net.Socket;
  private readonly decoder = new TlvDecoder({ maxBodyBytes: 16 * 1024 * 1024 });
  private readonly closedPromise: Promise<void>;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.decoder.push(chunk)) this.messages.push(decodeServerMessage(frame));
    });
    socket.on('error', () => undefined);
    this.closedPromise = new Promise((resolve) =>
      socket.once('close', () => {
        this.closed = true;
        resolve();
      }),
    );
  }

  static connect(endpoint: ChatEndpoint): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: endpoint.host, port: endpoint.tcpPort });
      socket.once('connect', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  next(index: number, timeoutMs = 5000): Promise<ServerMessage> {
    return waitFor(() => this.messages[index], timeoutMs, `server frame #${index}`);
  }

  async waitClosed(timeoutMs = 5000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.closedPromise, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('socket did not close')), timeoutMs)))]);
    clearTimeout(timer);
  }

  destroy(): void {
    this.socket.destroy();
  }
}
