/** A small INI reader that keeps the line of every value, so config errors can point at it. */

export interface IniValue {
  value: string;
  line: number;
}

export type IniSections = Map<string, Map<string, IniValue>>;

export class IniSyntaxError extends Error {
  override name = 'IniSyntaxError';
  constructor(
    message: string,
    readonly file: string,
    readonly line: number,
  ) {
    super(`${file}:${line}: ${message}`);
  }
}

const SECTION = /^\[([A-Za-z0-9_.-]+)\]$/;
const ENTRY = /^([A-Za-z0-9_]+)\s*=\s*(.*)$/;

/** Parses `[section]` headers and `key = value` lines; `;` and `#` start comment lines. */
export function parseIni(text: string, file = 'config.ini'): IniSections {
  const sections: IniSections = new Map();
  let current: Map<string, IniValue> | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = (lines[i] ?? '').trim();
    if (raw === '' || raw.startsWith(';') || raw.startsWith('#')) continue;
    const section = SECTION.exec(raw);
    if (section) {
      const name = section[1] as string;
      if (sections.has(name)) throw new IniSyntaxError(`section [${name}] appears twice`, file, lineNo);
      current = new Map();
      sections.set(name, current);
      continue;
    }
    const entry = ENTRY.exec(raw);
    if (!entry) throw new IniSyntaxError(`cannot read line "${raw}" (expected [section] or key = value)`, file, lineNo);
    if (!current) throw new IniSyntaxError(`key "${entry[1]}" appears before any [section]`, file, lineNo);
    const key = entry[1] as string;
    if (current.has(key)) throw new IniSyntaxError(`key "${key}" appears twice in its section`, file, lineNo);
    current.set(key, { value: unquote(stripInlineComment(entry[2] ?? '')), line: lineNo });
  }
  return sections;
}

function stripInlineComment(value: string): string {
  // Only " ;" / " #" start an inline comment, so values like "a#b" survive.
  const m = /\s[;#]/.exec(value);
  return (m ? value.slice(0, m.index) : value).trim();
}

function unquote(value: string): string {
  if (value.length >= 2 && ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'")))) {
    return value.slice(1, -1);
  }
  return value;
}
