/**
 * Headers on every answer of the gate, whatever its status. The API serves JSON only, so these are the
 * OWASP REST Security Cheat Sheet's headers for an API: nothing cached, no MIME sniffing, no framing, no
 * content a browser could run, no referrer, no cross-origin embedding.
 * Not helmet: its defaults are for HTML pages (a CSP with script and style sources, COOP,
 * Origin-Agent-Cluster, X-DNS-Prefetch-Control, …) and HSTS belongs to whatever terminates TLS; a fixed
 * set of six headers, checked by a test, needs no dependency. The web app's files at / replace the CSP and
 * Cache-Control with a page's (web-app.ts).
 */
import type { RequestHandler } from 'express';

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export const securityHeaders: RequestHandler = (_req, res, next) => {
  res.set(SECURITY_HEADERS);
  next();
};
