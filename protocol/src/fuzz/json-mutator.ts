import { deepNesting, ODD_NUMBER_TEXT, ODD_NUMBERS, ODD_STRINGS, randomJson, randomString } from './odd-values';
import type { Prng } from './prng';

// Mutations of JSON bodies, shared by the frame fuzzer and the gate's HTTP fuzzing.

/** Body mutations on the parsed value: the frame stays well-formed JSON. */
export function mutateJsonValue(prng: Prng, body: Record<string, unknown>): [string, unknown] {
  const copy: Record<string, unknown> = { ...body };
  const keys = Object.keys(copy);
  switch (prng.int(0, 7)) {
    case 0: {
      if (keys.length === 0) return ['value:scalar-body', randomJson(prng, 0)];
      const k = prng.pick(keys);
      copy[k] = randomJson(prng, 2);
      return ['value:wrong-type', copy];
    }
    case 1: {
      if (keys.length === 0) return ['value:empty', copy];
      delete copy[prng.pick(keys)];
      return ['value:missing-field', copy];
    }
    case 2:
      copy[prng.chance(0.5) ? prng.pick(ODD_STRINGS) : randomString(prng, 5)] = randomJson(prng, 2);
      return ['value:extra-field', copy];
    case 3: {
      const k = keys.length ? prng.pick(keys) : 'reqId';
      copy[k] = prng.pick(ODD_NUMBERS);
      return ['value:edge-number', copy];
    }
    case 4: {
      const k = keys.length ? prng.pick(keys) : 'x';
      copy[k] = prng.chance(0.5) ? prng.pick(ODD_STRINGS) : randomString(prng, prng.int(1, 80));
      return ['value:odd-unicode', copy];
    }
    case 5:
      return ['value:array-body', [copy]];
    case 6: {
      const k = keys.length ? prng.pick(keys) : 'x';
      copy[k] = Array.from({ length: prng.int(0, 2000) }, () => prng.int(-5, 1_000_000));
      return ['value:long-array', copy];
    }
    default: {
      const k = keys.length ? prng.pick(keys) : 'x';
      copy[k] = 'y'.repeat(prng.int(16_000, 20_000));
      return ['value:long-string', copy];
    }
  }
}

/** Text mutations: the body may stop being JSON or UTF-8. */
export function mutateJsonText(prng: Prng, text: string): [string, Buffer] {
  switch (prng.int(0, 7)) {
    case 0: {
      // A huge or unrepresentable number spliced in place of the first number.
      return ['text:huge-number', Buffer.from(text.replace(/-?\d+(\.\d+)?/, prng.pick(ODD_NUMBER_TEXT)))];
    }
    case 1: {
      // Mostly moderate depths; now and then one that fills most of a 1 MiB frame.
      const depth = prng.chance(0.05) ? 100_000 : prng.pick([10, 100, 1000, 10_000]);
      const inner = prng.chance(0.3) ? '"\\ud800"' : '1';
      return [`text:deep-nesting`, Buffer.from(text.replace(/}$/, `,"deep":${deepNesting(prng, depth, inner)}}`))];
    }
    case 2:
      return ['text:lone-surrogate-escape', Buffer.from(text.replace(/"([^"]*)"(?=[,}])/, `"$1${prng.pick(['\\ud800', '\\udfff', '\\uDBFF', '\\ud83d'])}"`))];
    case 3: {
      // Raw bytes that are not UTF-8: a CESU-8 surrogate, an overlong slash, a lone continuation byte.
      const bad = prng.pick([Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xc0, 0xaf]), Buffer.from([0x80]), Buffer.from([0xff, 0xfe]), Buffer.from([0xf4, 0x90, 0x80, 0x80])]);
      const at = prng.int(0, text.length);
      return ['text:invalid-utf8', Buffer.concat([Buffer.from(text.slice(0, at)), bad, Buffer.from(text.slice(at))])];
    }
    case 4:
      return ['text:truncated-json', Buffer.from(text.slice(0, prng.int(0, Math.max(0, text.length - 1))))];
    case 5:
      return ['text:duplicate-keys', Buffer.from(text.replace(/^{/, '{"reqId":"dup","__proto__":{"admin":true},'))];
    case 6:
      return ['text:bom-and-garbage', Buffer.from(`\ufeff${text}${prng.pick(['', ' x', '}', ',', '\u0000'])}`)];
    default:
      return ['text:random-bytes', prng.bytes(prng.int(0, 64))];
  }
}
