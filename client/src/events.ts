import type { ParleyEvents, Unsubscribe } from './client-api';

type Listener<K extends keyof ParleyEvents> = (value: ParleyEvents[K]) => void;

/** A typed emitter without node:events (the core runs in the browser too). A throwing listener does not stop the others. */
export class Emitter {
  private readonly listeners = new Map<keyof ParleyEvents, Set<(value: never) => void>>();

  on<K extends keyof ParleyEvents>(event: K, listener: Listener<K>): Unsubscribe {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as (value: never) => void);
    return () => set.delete(listener as (value: never) => void);
  }

  emit<K extends keyof ParleyEvents>(event: K, value: ParleyEvents[K]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      try {
        (listener as Listener<K>)(value);
      } catch {
        // A UI bug must not break the core's bookkeeping.
      }
    }
  }
}
