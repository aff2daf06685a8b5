/**
 * What the client core needs from the page before it is evaluated; the web entry imports this module
 * first (ES modules evaluate in import order):
 * - the global `Buffer` the protocol codec uses (the `buffer` package; the page has none);
 * - zod without its JIT: zod probes `new Function` once, which the page's CSP (script-src 'self', no
 *   'unsafe-eval') blocks and reports as a violation; jitless mode never tries.
 */
import { Buffer } from 'buffer';
import { config } from 'zod';

(globalThis as { Buffer?: unknown }).Buffer ??= Buffer;
config({ jitless: true });
