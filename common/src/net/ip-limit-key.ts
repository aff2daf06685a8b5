/**
 * The bucket a client address is counted in by per-IP limits. An IPv4 address, or an IPv4-mapped IPv6
 * address (`::ffff:1.2.3.4`, in any spelling), is its own bucket. Any other IPv6 address is bucketed by
 * its /64: a subscriber is usually given a whole /64, so keying the exact address would let one client
 * rotate through 2^64 addresses and never meet a limit.
 */
import { isIP } from 'node:net';

/** Longest key kept for a value that is not an address at all (it still counts, under its own name). */
const MAX_OTHER_LENGTH = 64;

/** The eight 16-bit groups of an IPv6 address, or undefined when `ip` is not one. */
function ipv6Groups(ip: string): number[] | undefined {
  if (isIP(ip) !== 6) return undefined;
  // An embedded IPv4 address (::ffff:1.2.3.4) is spelled as the two groups it stands for.
  const text = ip.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_m, a: string, b: string, c: string, d: string) =>
    `${((Number(a) << 8) | Number(b)).toString(16)}:${((Number(c) << 8) | Number(d)).toString(16)}`,
  );
  const [head = '', rest] = text.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = parse(head);
  const right = rest === undefined ? [] : parse(rest);
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/** The per-IP limit key of a client address (see the file comment); '' when no address is known. */
export function ipLimitKey(raw: string): string {
  let ip = raw.trim().toLowerCase();
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  const zone = ip.indexOf('%');
  if (zone >= 0) ip = ip.slice(0, zone);
  if (isIP(ip) === 4) return ip;
  const groups = ipv6Groups(ip);
  if (!groups || groups.length !== 8) return ip.slice(0, MAX_OTHER_LENGTH);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi = 0, lo = 0] = groups.slice(6);
    return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  }
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
}
