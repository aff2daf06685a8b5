/**
 * adoptWithReadBuffer relies on net.Socket internals (`_handle`, the constructor's `handle` and
 * `onread` options). These tests pin that behaviour down: if a Node upgrade changes it, they
 * fail here rather than the file server silently reading into fresh buffers again (or worse).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { adoptWithReadBuffer } from '../src';

interface Adopted {
  socket: net.Socket;
  reads: Buffer[];
  views: Buffer[];
}

/** A server whose accepted sockets are adopted into `buffer`; each read is copied (the view is reused). */
async function adoptingServer(buffer: Buffer): Promise<{ server: net.Server; port: number; adopted: Promise<Adopted>[] }> {
  const waiting: ((a: Adopted) => void)[] = [];
  const adopted: Promise<Adopted>[] = Array.from({ length: 8 }, () => new Promise<Adopted>((resolve) => waiting.push(resolve)));
  const server = net.createServer({ pauseOnConnect: true }, (accepted) => {
    const reads: Buffer[] = [];
    const views: Buffer[] = [];
    const socket = adoptWithReadBuffer(accepted, buffer, (bytes) => {
      views.push(bytes);
      reads.push(Buffer.from(bytes));
    });
    assert.ok(socket, 'a paused plain TCP socket is adopted');
    socket.on('data', () => assert.fail('an adopted socket emits no data events'));
    waiting.shift()?.({ socket, reads, views });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as net.AddressInfo).port, adopted };
}

async function connect(port: number): Promise<net.Socket> {
  const client = net.connect(port, '127.0.0.1');
  await once(client, 'connect');
  return client;
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(check(), 'condition not reached');
}

const total = (bufs: Buffer[]) => bufs.reduce((n, b) => n + b.length, 0);

describe('adoptWithReadBuffer', () => {
  const servers: net.Server[] = [];
  after(() => {
    for (const s of servers) s.close();
  });

  it('reads into the given buffer, writes, and closes like any socket; the server forgets the accepted wrapper', async () => {
    const buffer = Buffer.alloc(64 * 1024);
    const { server, port, adopted } = await adoptingServer(buffer);
    servers.push(server);
    const client = await connect(port);
    const sent = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < sent.length; i++) sent[i] = (i * 7) % 251;
    client.write(sent);
    const a = await (adopted[0] as Promise<Adopted>);
    await until(() => total(a.reads) === sent.length);
    assert.deepEqual(Buffer.concat(a.reads), sent);
    // Every read landed in the caller's buffer, none in a fresh one.
    for (const view of a.views) assert.equal(view.buffer, buffer.buffer);
    assert.ok(a.reads.length >= sent.length / buffer.length, 'no read is larger than the buffer');

    const echoed = once(client, 'data');
    a.socket.write('ok');
    assert.equal(String((await echoed)[0]), 'ok');
    assert.equal(a.socket.remoteAddress, '127.0.0.1');
    assert.equal(a.socket.remotePort, client.localPort);

    const closed = once(a.socket, 'close');
    client.end();
    await closed;
    // The accepted wrapper left the server's count, so close() does not wait for it.
    await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    servers.pop();
  });

  it('pause() stops reading and resume() restarts it', async () => {
    const buffer = Buffer.alloc(16 * 1024);
    const { server, port, adopted } = await adoptingServer(buffer);
    servers.push(server);
    const client = await connect(port);
    const a = await (adopted[0] as Promise<Adopted>);
    client.write(Buffer.alloc(1000, 1));
    await until(() => total(a.reads) === 1000);
    a.socket.pause();
    client.write(Buffer.alloc(1000, 2));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(total(a.reads), 1000, 'nothing is read while paused');
    a.socket.resume();
    await until(() => total(a.reads) === 2000);
    client.destroy();
  });

  it('one buffer serves several sockets: each read is delivered before the next one overwrites it', async () => {
    const buffer = Buffer.alloc(8 * 1024);
    const { server, port, adopted } = await adoptingServer(buffer);
    servers.push(server);
    const clients = [await connect(port), await connect(port), await connect(port)];
    const all = await Promise.all(adopted.slice(0, 3));
    const payloads = clients.map((_, i) => Buffer.alloc(300 * 1024, i + 1));
    clients.forEach((c, i) => c.write(payloads[i] as Buffer));
    await until(() => all.every((a, i) => total(a.reads) === (payloads[i] as Buffer).length));
    all.forEach((a, i) => assert.deepEqual(Buffer.concat(a.reads), payloads[i]));
    for (const c of clients) c.destroy();
  });

  it('declines what it cannot adopt: a socket that is already reading, or destroyed', async () => {
    const server = net.createServer((accepted) => {
      assert.equal(adoptWithReadBuffer(accepted, Buffer.alloc(1024), () => undefined), undefined);
      accepted.destroy();
      assert.equal(adoptWithReadBuffer(accepted, Buffer.alloc(1024), () => undefined), undefined);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    await once(client, 'close');
  });
});
