/** Command-line reading shared by the benchmark drivers: `--name value` options, flags, positional words, `--set`. */
import { argValue } from '@parley/common';

/** `--name 1,2,3` as positive numbers; `fallback` when absent. */
export function numbers(name: string, fallback: number[]): number[] {
  const v = argValue(name);
  return v ? v.split(',').map(Number).filter((n) => n > 0) : fallback;
}

/** `--name 5` as a number; `fallback` when absent. */
export function num(name: string, fallback: number): number {
  const v = argValue(name);
  return v === undefined ? fallback : Number(v);
}

/** The words that are neither options nor their values (`flags` take no value). */
export function positional(argv: readonly string[], flags: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a.startsWith('--')) {
      if (!flags.has(a)) i++;
    } else out.push(a);
  }
  return out;
}

/** Applies every `--set section.key=value` of argv to `sections` (config overrides of the benchmark cluster). */
export function applySets(argv: readonly string[], sections: Record<string, Record<string, string | number | boolean>>): void {
  argv.forEach((a, i) => {
    if (a !== '--set') return;
    const m = /^([\w.]+)\.(\w+)=(.*)$/.exec(argv[i + 1] ?? '');
    if (!m) throw new Error(`--set wants section.key=value, got ${argv[i + 1] ?? ''}`);
    const [, section, key, value] = m as unknown as [string, string, string, string];
    sections[section] = { ...sections[section], [key]: value };
  });
}
