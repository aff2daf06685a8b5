/** Which frames may talk to the bridge: only the app's own top-level page, served from app://parley. */
import { isAppUrl } from './app-origin';
import type { IpcInvokeEventLike } from './ipc-types';

export function isTrustedSender(event: IpcInvokeEventLike): boolean {
  const frame = event.senderFrame;
  // A null frame means it navigated away or was destroyed while the request was in flight.
  if (!frame) return false;
  if (frame.parent !== null && frame.parent !== undefined) return false;
  return isAppUrl(frame.url);
}
