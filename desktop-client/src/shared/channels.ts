/**
 * The allow-list of IPC channels between the preload and the main process. Nothing else crosses:
 * the preload only invokes these, the main process only handles these, and both sides derive their
 * tables from the constants below so a channel cannot exist on one side only.
 */
import type { ParleyEvents } from '@parley/client';

/** ParleyApi methods that cross as one `invoke` each (the synchronous getters are served by the preload's cache). */
export const INVOKE_METHODS = [
  'sendCode',
  'register',
  'resetPassword',
  'login',
  'resume',
  'logout',
  'history',
  'sendText',
  'retry',
  'markRead',
  'searchUsers',
  'requestFriend',
  'answerFriendRequest',
  'updateProfile',
  'createGroup',
  'groupMembers',
  'invite',
  'removeMember',
  'leaveGroup',
  'renameGroup',
  'sendFile',
  'uploadFile',
  'download',
  'pauseTransfer',
  'resumeTransfer',
  'cancelTransfer',
  'avatarImage',
] as const;
export type InvokeMethod = (typeof INVOKE_METHODS)[number];

/** Bridge-only requests: the first state the preload caches, and the renderer's answer to an upload read. */
export const BRIDGE_METHODS = ['snapshot', 'uploadData'] as const;
export type BridgeMethod = (typeof BRIDGE_METHODS)[number];

export type RouterMethod = InvokeMethod | BridgeMethod;

export const EVENT_NAMES = [
  'connection',
  'me',
  'conversations',
  'messages',
  'contacts',
  'friendRequests',
  'groups',
  'transfer',
  'incoming',
  'error',
] as const satisfies readonly (keyof ParleyEvents)[];
export type EventName = (typeof EVENT_NAMES)[number];

/** Events that carry the whole current value of a piece of state: the preload caches and replays them. */
export const STATE_EVENTS = ['connection', 'me', 'conversations', 'contacts', 'friendRequests', 'groups'] as const satisfies readonly EventName[];
export type StateEvent = (typeof STATE_EVENTS)[number];

/** Main → renderer requests that are not ParleyApi events. */
export const UPLOAD_READ_CHANNEL = 'parley:upload-read';
export const TRANSFER_STARTED_CHANNEL = 'parley:transfer-started';

export function invokeChannel(method: RouterMethod): string {
  return `parley:${method}`;
}

export function eventChannel(name: EventName): string {
  return `parley:event:${name}`;
}

const METHOD_BY_CHANNEL = new Map<string, RouterMethod>([...INVOKE_METHODS, ...BRIDGE_METHODS].map((m) => [invokeChannel(m), m]));

/** The method an invoke channel names, or undefined for anything not on the allow-list. */
export function methodOfChannel(channel: string): RouterMethod | undefined {
  return METHOD_BY_CHANNEL.get(channel);
}

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && (EVENT_NAMES as readonly string[]).includes(name);
}

export function isStateEvent(name: EventName): name is StateEvent {
  return (STATE_EVENTS as readonly string[]).includes(name);
}
