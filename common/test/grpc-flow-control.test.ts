import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:http2';
import { describe, it } from 'node:test';
import { Server } from '@grpc/grpc-js';
import { bindServer, shutdownServer, widenServerFlowControl } from '../src';
import { testClusterCredentials, testClusterTls } from '../src/testing';

describe('widenServerFlowControl', () => {
  it('gives a grpc-js server larger HTTP/2 receive windows, per stream and per connection', async () => {
    const windowBytes = 8 * 1024 * 1024;
    const server = new Server();
    // False would mean grpc-js moved its internals: the window is the default again, fix the helper.
    assert.equal(widenServerFlowControl(server, windowBytes), true);
    const port = await bindServer(server, '127.0.0.1', 0, testClusterCredentials());
    // The server is mutual TLS like every internal one: speak HTTP/2 over TLS with the cluster certificate.
    const tls = testClusterTls();
    const session = connect(`https://127.0.0.1:${port}`, { ca: readFileSync(tls.caFile), cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) });
    try {
      await new Promise<void>((resolve, reject) => {
        session.once('remoteSettings', () => resolve());
        session.once('error', reject);
      });
      assert.equal(session.remoteSettings.initialWindowSize, windowBytes);
      // The connection window arrives as a WINDOW_UPDATE right after the settings.
      const deadline = Date.now() + 2000;
      while ((session.state.remoteWindowSize ?? 0) < windowBytes && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.ok((session.state.remoteWindowSize ?? 0) >= windowBytes, `connection window ${session.state.remoteWindowSize}`);
    } finally {
      session.destroy();
      await shutdownServer(server);
    }
  });
});
