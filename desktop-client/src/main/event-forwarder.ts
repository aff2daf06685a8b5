/**
 * Forwards the core's events to the renderer on their allow-listed channels, each stamped with a
 * sequence number, and answers the preload's snapshot request with the current state and the seq it
 * was taken at — so the preload can tell whether an event it already holds is newer than the snapshot.
 */
import type { ParleyEvents } from '@parley/client';
import { EVENT_NAMES, eventChannel, isStateEvent, type EventName } from '../shared/channels';
import type { EventEnvelope, Snapshot, StateValues } from '../shared/wire';
import type { DesktopCore } from './desktop-core';

export interface EventForwarder {
  snapshot(): Snapshot;
  dispose(): void;
}

/** `send` delivers to the current window, if any (a page that is reloading simply misses events and re-snapshots). */
export function createEventForwarder(core: DesktopCore, send: (channel: string, envelope: EventEnvelope) => void): EventForwarder {
  let seq = 0;
  // connection and me have no getter on ParleyApi: the last value seen is the current one.
  const seen: StateValues = {};
  const unsubscribes = EVENT_NAMES.map((name) =>
    core.on(name, (value: ParleyEvents[EventName]) => {
      seq += 1;
      if (isStateEvent(name)) (seen as Record<string, unknown>)[name] = value;
      send(eventChannel(name), { seq, value });
    }),
  );

  return {
    snapshot() {
      const state: StateValues = {
        conversations: core.conversations(),
        contacts: core.contacts(),
        friendRequests: core.friendRequests(),
        groups: core.groups(),
      };
      if ('connection' in seen) state.connection = seen.connection;
      if ('me' in seen) state.me = seen.me;
      return { seq, state };
    },
    dispose() {
      for (const off of unsubscribes) off();
    },
  };
}
