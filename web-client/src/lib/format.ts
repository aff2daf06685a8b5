/** Dates, sizes and message previews as the lists and bubbles show them. */
import type { FileRef, MessageView } from '@parley/client';

const pad = (n: number) => String(n).padStart(2, '0');

export function clock(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function dayKey(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

/** "Today", "Yesterday", or a date — for day separators. */
export function dayLabel(ms: number, now = Date.now()): string {
  if (dayKey(ms) === dayKey(now)) return 'Today';
  if (dayKey(ms) === dayKey(now - 86_400_000)) return 'Yesterday';
  return new Date(ms).toLocaleDateString(undefined, { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric' });
}

/** Conversation list time: the clock today, the weekday this week, a short date before. */
export function listTime(ms: number, now = Date.now()): string {
  if (ms <= 0) return '';
  if (dayKey(ms) === dayKey(now)) return clock(ms);
  if (now - ms < 6 * 86_400_000) return new Date(ms).toLocaleDateString(undefined, { weekday: 'short' });
  return new Date(ms).toLocaleDateString(undefined, { month: 'numeric', day: 'numeric', year: '2-digit' });
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** The FileRef an image/file message names, or undefined when its body is not one. */
export function fileRefOf(m: MessageView): FileRef | undefined {
  if (m.type !== 'image' && m.type !== 'file') return undefined;
  try {
    // The body's fileId is a number on the wire (docs/protocol.md FileMessageBody); FileRef names it as a string.
    const v = JSON.parse(m.body) as Omit<Partial<FileRef>, 'fileId'> & { fileId?: unknown };
    const fileId = typeof v.fileId === 'number' && Number.isSafeInteger(v.fileId) && v.fileId > 0 ? String(v.fileId) : typeof v.fileId === 'string' && /^[1-9]\d*$/.test(v.fileId) ? v.fileId : undefined;
    if (fileId !== undefined && typeof v.name === 'string' && typeof v.size === 'number') {
      return { fileId, name: v.name, size: v.size, sha256: String(v.sha256 ?? ''), mime: String(v.mime ?? 'application/octet-stream') };
    }
  } catch {
    // Not JSON: shown as an unreadable attachment below.
  }
  return undefined;
}

/** One line for the conversation list and notifications. */
export function preview(m: MessageView | undefined): string {
  if (!m) return '';
  switch (m.type) {
    case 'text':
      return m.body.replace(/\s+/g, ' ').slice(0, 120);
    case 'image':
      return '[Image]';
    case 'file':
      return `[File] ${fileRefOf(m)?.name ?? ''}`.trim();
    default:
      return systemText(m);
  }
}

/** A readable line for a system message (group events are JSON; unknown ones get a neutral text). */
export function systemText(m: MessageView): string {
  try {
    const e = JSON.parse(m.body) as { type?: string; event?: string; name?: string };
    const kind = e.type ?? e.event ?? '';
    if (kind.includes('rename') && e.name) return `Group renamed to “${e.name}”`;
    if (kind.includes('join') || kind.includes('invite')) return 'New members joined the group';
    if (kind.includes('leave') || kind.includes('left')) return 'A member left the group';
    if (kind.includes('remove') || kind.includes('kick')) return 'A member was removed';
    if (kind.includes('create')) return 'Group created';
  } catch {
    // Plain-text system line.
    return m.body.slice(0, 200);
  }
  return 'Group updated';
}
