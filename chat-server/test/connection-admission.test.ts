import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConnectionAdmission } from '../src/session/connection-admission';

describe('ConnectionAdmission', () => {
  it('counts IPv6 clients by /64 and IPv4 (also IPv4-mapped) by address, until they log in or close', () => {
    const admission = new ConnectionAdmission({ maxConnections: 100, maxUnauthenticatedPerIp: 2 });
    const admit = (ip: string): object => {
      const verdict = admission.check(0, ip);
      assert.ok('key' in verdict, `${ip} admitted`);
      const conn = {};
      admission.enter(conn, verdict.key);
      return conn;
    };
    const first = admit('2001:db8:1:2::1');
    admit('2001:db8:1:2:ffff::9');
    assert.deepEqual(admission.check(0, '2001:db8:1:2:abcd::1'), { refusal: { code: 'TOO_MANY_CONNECTIONS', message: 'Too many connections from this address are not logged in yet' } });
    admit('2001:db8:1:3::1'); // another /64
    admission.leave(first); // logged in
    admission.leave(first); // and later closed: counted once
    admit('2001:db8:1:2::7');
    admit('192.0.2.1');
    admit('::ffff:192.0.2.1');
    assert.ok('refusal' in admission.check(0, '::ffff:c000:201'), 'the same IPv4 address, another spelling');
    assert.ok('key' in admission.check(0, '192.0.2.2'));
    assert.deepEqual(admission.check(100, '192.0.2.2'), { refusal: { code: 'SERVER_FULL', message: 'This chat server is full; log in again at the gate' } });
  });
});
