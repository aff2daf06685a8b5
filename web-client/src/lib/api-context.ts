/** The ParleyApi the signed-in screens work with, and a hook that follows one of its events. */
import { createContext, useContext, useEffect, useState } from 'react';
import type { ParleyApi, ParleyEvents } from '@parley/client';

export const ApiContext = createContext<ParleyApi | undefined>(undefined);

/** Only under the signed-in layout, where an api always exists. */
export function useApi(): ParleyApi {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi outside ApiContext');
  return api;
}

/** The latest value of an event that carries the full current value (conversations, contacts, …). */
export function useApiValue<K extends keyof ParleyEvents>(api: ParleyApi | undefined, event: K, initial: () => ParleyEvents[K]): ParleyEvents[K] {
  const [value, setValue] = useState<ParleyEvents[K]>(initial);
  useEffect(() => {
    if (!api) return undefined;
    return api.on(event, setValue);
  }, [api, event]);
  return value;
}
