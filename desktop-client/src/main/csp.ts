/**
 * The renderer's Content-Security-Policy, sent as a header with every app:// response. Only the app's
 * own scripts and styles run; images may be blob:/data: (previews of downloaded files); the page
 * connects nowhere but its own origin (the core's network traffic is in the main process).
 */
const DIRECTIVES: readonly (readonly [string, string])[] = [
  ['default-src', "'none'"],
  ['script-src', "'self'"],
  ['style-src', "'self'"],
  ['img-src', "'self' blob: data:"],
  ['media-src', "'self' blob:"],
  ['font-src', "'self'"],
  ['connect-src', "'self'"],
  ['worker-src', "'self'"],
  ['manifest-src', "'self'"],
  ['object-src', "'none'"],
  ['frame-src', "'none'"],
  ['base-uri', "'none'"],
  ['form-action', "'none'"],
  ['frame-ancestors', "'none'"],
];

export function csp(): string {
  return DIRECTIVES.map(([name, value]) => `${name} ${value}`).join('; ');
}
