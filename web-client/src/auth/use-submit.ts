/** Runs a form action once at a time, turning a rejection into a toast. */
import { useState } from 'react';
import { useToast } from '../common/toast-context';
import { toUiError } from '../lib/errors';

export function useSubmit(): [boolean, (action: () => Promise<void>) => Promise<void>] {
  const toast = useToast();
  const [busy, setBusy] = useState(false);
  const run = async (action: () => Promise<void>) => {
    if (busy) return;
    setBusy(true);
    try {
      await action();
    } catch (err) {
      toast(toUiError(err));
    } finally {
      setBusy(false);
    }
  };
  return [busy, run];
}

/** The toast for a page that has no client core behind it. */
export const NO_CORE = { code: 'NO_CLIENT_CORE', message: 'This build has no client core yet, so nothing can be sent.' };
