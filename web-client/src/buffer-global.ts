/**
 * The protocol codec (inside the client core) uses the global `Buffer`; the page has none. This module
 * must be the first import of the web entry so the polyfill is in place before the core is evaluated.
 */
import { Buffer } from 'buffer';

(globalThis as { Buffer?: unknown }).Buffer ??= Buffer;
