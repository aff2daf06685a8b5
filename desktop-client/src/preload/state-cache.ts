/**
 * The preload's copy of the core's state, so ParleyApi's synchronous getters can answer without a
 * round trip. State events carry whole values; each is stamped with the main process's seq, and a
 * snapshot only fills what no newer event has already brought.
 */
import type { ParleyEvents } from '@parley/client';
import { STATE_EVENTS, type StateEvent } from '../shared/channels';
import type { Snapshot, StateValues } from '../shared/wire';

export class StateCache {
  private readonly values: StateValues = {};
  private readonly seqs = new Map<StateEvent, number>();

  /** Applies an event; false when it is older than what is held (it must not be delivered). */
  applyEvent<K extends StateEvent>(name: K, seq: number, value: ParleyEvents[K]): boolean {
    if ((this.seqs.get(name) ?? -1) > seq) return false;
    this.seqs.set(name, seq);
    (this.values as Record<string, unknown>)[name] = value;
    return true;
  }

  /** Applies a snapshot; returns the names it changed (to replay to current listeners). */
  applySnapshot(snapshot: Snapshot): StateEvent[] {
    const changed: StateEvent[] = [];
    for (const name of STATE_EVENTS) {
      if (!(name in snapshot.state)) continue;
      if ((this.seqs.get(name) ?? -1) > snapshot.seq) continue;
      this.seqs.set(name, snapshot.seq);
      (this.values as Record<string, unknown>)[name] = snapshot.state[name];
      changed.push(name);
    }
    return changed;
  }

  has(name: StateEvent): boolean {
    return this.seqs.has(name);
  }

  get<K extends StateEvent>(name: K): ParleyEvents[K] | undefined {
    return this.values[name] as ParleyEvents[K] | undefined;
  }
}
