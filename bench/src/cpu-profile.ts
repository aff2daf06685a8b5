/**
 * Reads a V8 .cpuprofile (what `node --cpu-prof` writes) and sums self time per function and per
 * area (our packages, node internals, each dependency, GC, idle), optionally only for samples
 * inside a window of the monotonic clock (V8's profile timestamps and process.hrtime share it).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTimeRow {
  function: string;
  url: string;
  location: string;
  area: string;
  selfMs: number;
  /** Percent of the busy (non-idle) samples. */
  pct: number;
}

export interface ProfileSummary {
  file: string;
  /** Samples in the window / in the whole profile. */
  samples: number;
  totalSamples: number;
  windowed: boolean;
  wallMs: number;
  busyMs: number;
  idleMs: number;
  top: SelfTimeRow[];
  areas: { area: string; selfMs: number; pct: number }[];
  /**
   * Busy time charged to the nearest package frame on the stack (our code or a dependency), so
   * node internals, native code and syscalls count for whoever called them. GC and (program) stay apart.
   */
  attributed: { area: string; ms: number; pct: number }[];
  /** For the heaviest native / node-internal functions: which package functions called them. */
  callers: { function: string; selfMs: number; from: { caller: string; ms: number }[] }[];
}

/** Where a function lives: one of our packages, a dependency, node itself, or a V8 pseudo-node. */
export function areaOf(url: string, functionName: string): string {
  if (url === '') {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)') return 'V8/native (program)';
    return 'native / generated code';
  }
  if (url.startsWith('node:')) return 'node internals';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1] as string;
  const ours = /\/(chat-server|gate-server|status-server|verify-server|protocol|common)\/dist\//.exec(url);
  if (ours) return `@parley/${ours[1] as string}`;
  return 'other';
}

function shortUrl(url: string): string {
  const i = url.search(/(node_modules|chat-server|gate-server|status-server|verify-server|protocol|common)\//);
  return (i >= 0 ? url.slice(i) : url).replace(/^file:\/\//, '');
}

/** Summarises a profile; with a window [fromUs, toUs] on the monotonic clock, only samples inside it. */
export function summariseProfile(file: string, window?: { fromUs: number; toUs: number }, topN = 20): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const counts = new Map<number, number>();
  const times = new Map<number, number>();
  let t = profile.startTime;
  let inWindow = 0;
  const tally = (useWindow: boolean) => {
    counts.clear();
    times.clear();
    t = profile.startTime;
    inWindow = 0;
    for (let i = 0; i < profile.samples.length; i++) {
      const dt = profile.timeDeltas[i] ?? 0;
      t += dt;
      if (useWindow && window && (t < window.fromUs || t > window.toUs)) continue;
      const id = profile.samples[i] as number;
      counts.set(id, (counts.get(id) ?? 0) + 1);
      // The time a sample stands for is the gap to the next one.
      const next = profile.timeDeltas[i + 1] ?? dt;
      times.set(id, (times.get(id) ?? 0) + Math.max(0, next) / 1000);
      inWindow++;
    }
  };
  let windowed = window !== undefined;
  tally(windowed);
  // A window that catches (almost) nothing means the clocks did not line up: use the whole profile.
  if (windowed && inWindow < profile.samples.length * 0.05) {
    windowed = false;
    tally(false);
  }

  const rows = new Map<string, SelfTimeRow>();
  const areas = new Map<string, number>();
  let busyMs = 0;
  let idleMs = 0;
  let wallMs = 0;
  for (const [id, ms] of times) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const area = areaOf(url, functionName);
    wallMs += ms;
    if (area === 'idle') {
      idleMs += ms;
      continue;
    }
    busyMs += ms;
    areas.set(area, (areas.get(area) ?? 0) + ms);
    const name = functionName || '(anonymous)';
    const location = url ? `${shortUrl(url)}:${lineNumber + 1}` : '';
    const key = `${name}@${location}`;
    const row = rows.get(key) ?? { function: name, url, location, area, selfMs: 0, pct: 0 };
    row.selfMs += ms;
    rows.set(key, row);
  }
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
  /** The nearest frame (itself included) that belongs to a package, not node or native code. */
  const packageFrame = (id: number): ProfileNode | undefined => {
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur);
      if (n && n.callFrame.url && !n.callFrame.url.startsWith('node:')) return n;
    }
    return undefined;
  };
  const attributed = new Map<string, number>();
  const callerMs = new Map<string, Map<string, number>>();
  for (const [id, ms] of times) {
    const node = byId.get(id);
    if (!node) continue;
    const area = areaOf(node.callFrame.url, node.callFrame.functionName);
    if (area === 'idle') continue;
    if (area === 'GC' || area === 'V8/native (program)') {
      attributed.set(area, (attributed.get(area) ?? 0) + ms);
      continue;
    }
    const owner = packageFrame(id);
    const ownerArea = owner ? areaOf(owner.callFrame.url, owner.callFrame.functionName) : 'node internals (no package caller)';
    attributed.set(ownerArea, (attributed.get(ownerArea) ?? 0) + ms);
    if (owner && owner !== node) {
      const key = `${node.callFrame.functionName || '(anonymous)'}@${node.callFrame.url}`;
      const from = callerMs.get(key) ?? new Map<string, number>();
      const caller = `${owner.callFrame.functionName || '(anonymous)'} (${shortUrl(owner.callFrame.url)}:${owner.callFrame.lineNumber + 1})`;
      from.set(caller, (from.get(caller) ?? 0) + ms);
      callerMs.set(key, from);
    }
  }
  const pct = (ms: number) => Math.round((ms / Math.max(busyMs, 1e-9)) * 1000) / 10;
  const r1 = (x: number) => Math.round(x * 10) / 10;
  const top = [...rows.values()]
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, topN)
    .map((r) => ({ ...r, selfMs: r1(r.selfMs), pct: pct(r.selfMs) }));
  return {
    file,
    samples: inWindow,
    totalSamples: profile.samples.length,
    windowed,
    wallMs: r1(wallMs),
    busyMs: r1(busyMs),
    idleMs: r1(idleMs),
    top,
    areas: [...areas.entries()].sort((a, b) => b[1] - a[1]).map(([area, ms]) => ({ area, selfMs: r1(ms), pct: pct(ms) })),
    attributed: [...attributed.entries()].sort((a, b) => b[1] - a[1]).map(([area, ms]) => ({ area, ms: r1(ms), pct: pct(ms) })),
    callers: top
      .filter((r) => r.area === 'node internals' || r.area.startsWith('native'))
      .slice(0, 4)
      .map((r) => {
        const from = [...(callerMs.get(`${r.function}@${r.url}`) ?? new Map<string, number>()).entries()];
        return { function: r.function, selfMs: r.selfMs, from: from.sort((a, b) => b[1] - a[1]).slice(0, 5).map(([caller, ms]) => ({ caller, ms: r1(ms) })) };
      }),
  };
}
