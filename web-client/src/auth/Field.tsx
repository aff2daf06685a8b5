/** A labelled input of the account forms. */
import { useId, type InputHTMLAttributes, type ReactNode } from 'react';

export function Field({ label, extra, ...input }: { label: string; extra?: ReactNode } & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <div className="field-row">
        <input id={id} {...input} />
        {extra}
      </div>
    </div>
  );
}
