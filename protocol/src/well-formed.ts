/**
 * Lone surrogates: JSON may spell half a surrogate pair as an escape (`"\uD800"`), which valid UTF-8
 * on the wire cannot carry. JSON.parse turns it into a string that MySQL (utf8mb4) and every UTF-8
 * encoder would store or send altered (as U+FFFD or `?`), so such input is refused wherever a
 * string arrives.
 */

/** In a `u` regex, \p{Cs} matches only surrogates that are not part of a pair. */
const LONE_SURROGATE = /\p{Cs}/u;
const BACKSLASH_U = Buffer.from('\\u');

/** True when this JSON text (as bytes) might hold a surrogate escape: only then is a walk needed. */
export function mayHoldSurrogateEscape(json: Buffer | string): boolean {
  return typeof json === 'string' ? json.includes('\\u') : json.includes(BACKSLASH_U);
}

export function hasLoneSurrogate(s: string): boolean {
  return LONE_SURROGATE.test(s);
}

/**
 * The path (`a.b.0`, or `(key)` for an object key) of the first string in a parsed JSON value that
 * holds a lone surrogate; undefined when none does. Iterative, so a deeply nested body cannot
 * overflow the stack.
 */
export function findLoneSurrogate(value: unknown): string | undefined {
  const stack: [unknown, string][] = [[value, '']];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [v, path] = next;
    if (typeof v === 'string') {
      if (LONE_SURROGATE.test(v)) return path;
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], path === '' ? String(i) : `${path}.${i}`]);
    } else if (typeof v === 'object' && v !== null) {
      for (const [k, item] of Object.entries(v)) {
        const p = path === '' ? k : `${path}.${k}`;
        if (LONE_SURROGATE.test(k)) return `${path === '' ? '' : `${path}.`}(key)`;
        stack.push([item, p]);
      }
    }
  }
  return undefined;
}

export const LONE_SURROGATE_MESSAGE = 'must not contain a lone surrogate (an unpaired \\uD800–\\uDFFF escape)';
