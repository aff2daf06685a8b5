/**
 * The pieces of `parts` that remain once its first `n` bytes are dropped: views, nothing copied
 * (a piece cut in two keeps its tail).
 */
export function dropBytes(parts: readonly Buffer[], n: number): Buffer[] {
  const rest: Buffer[] = [];
  let skip = n;
  for (const p of parts) {
    if (skip >= p.length) {
      skip -= p.length;
      continue;
    }
    rest.push(skip > 0 ? p.subarray(skip) : p);
    skip = 0;
  }
  return rest;
}

/** The first `n` bytes of `parts` (all of them when shorter) as views, nothing copied. */
export function takeBytes(parts: readonly Buffer[], n: number): Buffer[] {
  const head: Buffer[] = [];
  let left = n;
  for (const p of parts) {
    if (left <= 0) break;
    head.push(p.length <= left ? p : p.subarray(0, left));
    left -= p.length;
  }
  return head;
}
