/**
 * The app's own origin. The web UI is served from a privileged `app://` scheme (standard, secure)
 * rather than file://, so it has a real origin for the CSP's 'self', absolute asset paths work, and
 * no other local file is reachable from the page.
 */
export const APP_SCHEME = 'app';
export const APP_HOST = 'parley';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_INDEX_URL = `${APP_ORIGIN}/index.html`;

export function isAppUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && u.username === '' && u.password === '';
  } catch {
    return false;
  }
}
