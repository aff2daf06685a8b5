import type { Prng } from './prng';

/** Strings that have broken parsers, databases and renderers before. */
export const ODD_STRINGS: readonly string[] = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u202e\u0645\u0631\u062d\u0628\u0627', // right-to-left override + Arabic
  '\u200b\u200c\u200d\u2060',
  '\ufeffBOM',
  '\uffff\ufffe',
  '\ud800', // lone high surrogate
  '\udfff', // lone low surrogate
  'x\udc00y',
  '\ud83d\ude00\ud83c\udff3\ufe0f\u200d\ud83c\udf08', // emoji with ZWJ
  'e\u0301\u0301\u0301\u0301\u0301\u0301',
  'Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319',
  '\u{10ffff}',
  '\u00ad\u034f\u115f',
  '%s%n%x',
  "'; DROP TABLE users; --",
  '../../etc/passwd',
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
  'null',
  '\\u0000',
  '\r\n\t\b\f',
  '𝕬𝖑𝖎𝖈𝖊',
  'ＡＬＩＣＥ',
  'ß'.repeat(40),
];

/** Numbers at and past the edges of every range the schemas use. */
export const ODD_NUMBERS: readonly number[] = [
  0, -0, -1, 1, 0.5, -0.5, 1e-320, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1e21, 1e308, -1e308, Number.MAX_VALUE, Number.MIN_VALUE,
];

/** Number spellings JSON allows but JavaScript cannot hold exactly (placed into JSON text as is). */
export const ODD_NUMBER_TEXT: readonly string[] = ['1e999', '-1e999', '123456789012345678901234567890', '0.00000000000000000000000000001', '1E+400', '-0.0', '4294967296.0', '9007199254740993'];

/** A random JSON value of any type, `depth` levels deep at most. */
export function randomJson(prng: Prng, depth = 3): unknown {
  const roll = prng.int(0, depth > 0 ? 9 : 6);
  switch (roll) {
    case 0:
      return null;
    case 1:
      return prng.chance(0.5);
    case 2:
      return prng.pick(ODD_NUMBERS);
    case 3:
      return prng.int(-1000, 1_000_000);
    case 4:
      return prng.pick(ODD_STRINGS);
    case 5:
      return randomString(prng, prng.int(0, 40));
    case 6:
      return prng.chance(0.1) ? 'x'.repeat(prng.int(1000, 70_000)) : randomString(prng, 8);
    case 7:
    case 8:
      return Array.from({ length: prng.int(0, 5) }, () => randomJson(prng, depth - 1));
    default: {
      const out: Record<string, unknown> = {};
      for (let i = prng.int(0, 5); i > 0; i--) out[prng.chance(0.2) ? prng.pick(ODD_STRINGS) : randomString(prng, 6)] = randomJson(prng, depth - 1);
      return out;
    }
  }
}

/** Code points from every plane and category, surrogates included. */
export function randomString(prng: Prng, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) {
    const band = prng.int(0, 9);
    const cp =
      band < 5 ? prng.int(0x20, 0x7e) : band < 6 ? prng.int(0, 0x1f) : band < 7 ? prng.int(0x80, 0x7ff) : band < 8 ? prng.int(0xd800, 0xdfff) : band < 9 ? prng.int(0x800, 0xfffd) : prng.int(0x10000, 0x10ffff);
    s += String.fromCodePoint(cp);
  }
  return s;
}

/** JSON text nested `depth` levels deep (arrays or objects), optionally with a payload at the bottom. */
export function deepNesting(prng: Prng, depth: number, inner = '1'): string {
  if (prng.chance(0.5)) return '['.repeat(depth) + inner + ']'.repeat(depth);
  return '{"a":'.repeat(depth) + inner + '}'.repeat(depth);
}
