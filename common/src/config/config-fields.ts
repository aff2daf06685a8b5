/** Typed descriptions of config keys: kind, default, range and a line of documentation. */

export type FieldKind = 'string' | 'int' | 'bool' | 'enum';

export interface Field<T> {
  readonly kind: FieldKind;
  readonly doc: string;
  /** Absent means the key is required. */
  readonly default?: T;
  readonly min?: number;
  readonly max?: number;
  readonly values?: readonly string[];
  readonly secret?: boolean;
}

export type FieldValue<F> = F extends Field<infer T> ? T : never;
export type SectionSpec = Record<string, Field<unknown>>;
export type SectionValues<S extends SectionSpec> = { readonly [K in keyof S]: FieldValue<S[K]> };

export function str(doc: string, opts: { default?: string; secret?: boolean } = {}): Field<string> {
  return { kind: 'string', doc, ...opts };
}

export function int(doc: string, opts: { default?: number; min?: number; max?: number } = {}): Field<number> {
  return { kind: 'int', doc, ...opts };
}

export function port(doc: string, def?: number): Field<number> {
  return { kind: 'int', doc, min: 0, max: 65535, ...(def === undefined ? {} : { default: def }) };
}

export function bool(doc: string, def?: boolean): Field<boolean> {
  return { kind: 'bool', doc, ...(def === undefined ? {} : { default: def }) };
}

export function oneOf<const V extends readonly string[]>(doc: string, values: V, def?: V[number]): Field<V[number]> {
  return { kind: 'enum', doc, values, ...(def === undefined ? {} : { default: def }) };
}

/** camelCase spec key → snake_case ini key. */
export function iniKey(specKey: string): string {
  return specKey.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** Parses one raw string; returns an error sentence (without location) or the value. */
export function parseField(field: Field<unknown>, raw: string): { ok: true; value: unknown } | { ok: false; error: string } {
  switch (field.kind) {
    case 'string':
      return { ok: true, value: raw };
    case 'bool': {
      const v = raw.toLowerCase();
      if (['true', 'yes', 'on', '1'].includes(v)) return { ok: true, value: true };
      if (['false', 'no', 'off', '0'].includes(v)) return { ok: true, value: false };
      return { ok: false, error: `"${raw}" is not a boolean (use true or false)` };
    }
    case 'enum':
      if (field.values?.includes(raw)) return { ok: true, value: raw };
      return { ok: false, error: `"${raw}" is not one of ${field.values?.join(', ')}` };
    case 'int': {
      if (!/^-?\d+$/.test(raw)) return { ok: false, error: `"${raw}" is not an integer` };
      const n = Number(raw);
      if (!Number.isSafeInteger(n)) return { ok: false, error: `"${raw}" is out of range` };
      if (field.min !== undefined && n < field.min) return { ok: false, error: `${n} is below the minimum ${field.min}` };
      if (field.max !== undefined && n > field.max) return { ok: false, error: `${n} is above the maximum ${field.max}` };
      return { ok: true, value: n };
    }
  }
}
