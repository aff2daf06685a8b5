/**
 * Web permissions the page may have: notifications only, and only for the app's own origin. Camera,
 * microphone, geolocation, clipboard-read, MIDI, HID, serial and the rest are denied.
 */
import { isAppUrl } from './app-origin';

export function permissionAllowed(permission: string, requestingUrl: string): boolean {
  return permission === 'notifications' && isAppUrl(requestingUrl);
}
