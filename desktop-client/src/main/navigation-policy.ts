/**
 * Where the window may go. The page stays on the app's origin; http(s) links open in the OS browser;
 * everything else (file:, javascript:, custom schemes, URLs with credentials) is refused.
 */
import { isAppUrl } from './app-origin';

export type NavigationDecision = 'allow' | 'external' | 'deny';

export function navigationPolicy(url: string): NavigationDecision {
  if (isAppUrl(url)) return 'allow';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'deny';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'deny';
  // user:password@host links are a phishing trick; nothing legitimate in a chat needs them.
  if (parsed.username !== '' || parsed.password !== '') return 'deny';
  return 'external';
}

/** window.open and target=_blank never make a window: external http(s) goes to the OS browser. */
export function windowOpenPolicy(url: string): 'external' | 'deny' {
  return navigationPolicy(url) === 'external' ? 'external' : 'deny';
}
