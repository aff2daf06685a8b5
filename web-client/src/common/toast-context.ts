/** Error toasts: a stable code and a human sentence; any component can raise one. */
import { createContext, useContext } from 'react';
import type { UiError } from '../lib/errors';

export type ShowToast = (error: UiError) => void;

export const ToastContext = createContext<ShowToast>(() => undefined);

export function useToast(): ShowToast {
  return useContext(ToastContext);
}
