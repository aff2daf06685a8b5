/** Per-IP limit buckets: IPv4 (and IPv4-mapped) per address, other IPv6 per /64, whatever the spelling. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ipLimitKey } from '../src';

const hex = (g: number) => g.toString(16);

/** Spellings of one address: full with leading zeros, minimal, compressed at its longest zero run, upper case. */
function spellings(groups: number[]): string[] {
  const full = groups.map((g) => g.toString(16).padStart(4, '0')).join(':');
  const minimal = groups.map(hex).join(':');
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  const compressed = best.len >= 2 ? `${groups.slice(0, best.at).map(hex).join(':')}::${groups.slice(best.at + best.len).map(hex).join(':')}` : minimal;
  return [full, minimal, compressed, compressed.toUpperCase(), `[${compressed}]`, ` ${full} `];
}

const group = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
const isMapped = (g: number[]) => g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff;
const v6 = fc.array(group, { minLength: 8, maxLength: 8 }).filter((g) => !isMapped(g));

describe('ipLimitKey', () => {
  it('keeps IPv4 addresses and folds IPv4-mapped IPv6 in every spelling', () => {
    assert.equal(ipLimitKey('203.0.113.7'), '203.0.113.7');
    for (const mapped of ['::ffff:203.0.113.7', '::FFFF:203.0.113.7', '0:0:0:0:0:ffff:203.0.113.7', '::ffff:cb00:7107', '[::ffff:203.0.113.7]']) {
      assert.equal(ipLimitKey(mapped), '203.0.113.7', mapped);
    }
  });

  it('groups IPv6 by /64', () => {
    assert.equal(ipLimitKey('2001:db8:1:2::1'), '2001:db8:1:2::/64');
    assert.equal(ipLimitKey('2001:0DB8:0001:0002:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64');
    assert.equal(ipLimitKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
    assert.equal(ipLimitKey('::1'), '0:0:0:0::/64');
    assert.notEqual(ipLimitKey('2001:db8:1:2::1'), ipLimitKey('2001:db8:1:3::1'));
    // An IPv4 address embedded in a non-mapped IPv6 address is just IPv6.
    assert.equal(ipLimitKey('64:ff9b::192.0.2.1'), '64:ff9b:0:0::/64');
  });

  it('leaves no address unbucketed: empty stays empty, anything else is kept short', () => {
    assert.equal(ipLimitKey(''), '');
    assert.equal(ipLimitKey('not-an-ip'), 'not-an-ip');
    assert.ok(ipLimitKey('x'.repeat(500)).length <= 64);
  });

  it('every spelling of one address, and every address of one /64, share a key; other /64s do not', () => {
    fc.assert(
      fc.property(v6, v6, (a, b) => {
        const keys = new Set(spellings(a).map(ipLimitKey));
        assert.equal(keys.size, 1, spellings(a).join(' | '));
        const sameNet = [...a.slice(0, 4), ...b.slice(4)];
        // Spliced halves can spell an IPv4-mapped address (::ffff:0:0), which is its own bucket by design.
        fc.pre(!isMapped(sameNet));
        assert.equal(ipLimitKey(spellings(sameNet)[2] ?? ''), [...keys][0]);
        const samePrefix = a.slice(0, 4).every((g, i) => g === b[i]);
        assert.equal(ipLimitKey(spellings(b)[1] ?? '') === [...keys][0], samePrefix);
      }),
      { numRuns: 3000 },
    );
  });

  it('IPv4 addresses are their own keys', () => {
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        assert.equal(ipLimitKey(ip), ip);
        assert.equal(ipLimitKey(`::ffff:${ip}`), ip);
      }),
    );
  });
});
