import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RowDataPacket } from 'mysql2';
import { connectMysqlServer, createRedis } from '../src';
import { canConnect, ensureLocalServices, freePort } from '../src/testing';

describe('ensureLocalServices', () => {
  it('uses the services that answer and starts nothing', async () => {
    const s = await ensureLocalServices(process.env);
    assert.deepEqual(s.started, []);
    assert.deepEqual(s.env, {});
    await s.stop();
  });

  it('starts private mariadbd and redis-server when nothing answers, and removes them on stop', async () => {
    const env = { PARLEY_MYSQL_PORT: String(await freePort()), PARLEY_REDIS_PORT: String(await freePort()) };
    const s = await ensureLocalServices(env);
    try {
      assert.equal(s.started.length, 2, s.started.join('; '));
      const conn = await connectMysqlServer({ host: s.mysql.host, port: s.mysql.port, user: 'root', password: '', database: '', poolSize: 1, tls: false, caFile: '', certFile: '', keyFile: '' });
      const [rows] = await conn.query<RowDataPacket[]>('SELECT 1 + 1 AS two');
      assert.equal(rows[0]?.two, 2);
      await conn.end();
      const redis = createRedis({ host: s.redis.host, port: s.redis.port, user: '', password: '', tls: false, caFile: '', certFile: '', keyFile: '', tlsServername: '', db: 0, keyPrefix: '' });
      assert.equal(await redis.ping(), 'PONG');
      redis.disconnect();
      assert.equal(s.env.PARLEY_MYSQL_PORT, String(s.mysql.port));
    } finally {
      await s.stop();
    }
    assert.equal(await canConnect(s.mysql.host, s.mysql.port), false);
    assert.equal(await canConnect(s.redis.host, s.redis.port), false);
  });
});
