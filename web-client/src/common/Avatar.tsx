/** A square avatar with rounded corners: the person's or group's initial on a colour derived from its name. */
const COLORS = ['#07c160', '#10aeff', '#fa9d3b', '#7d90a9', '#e65a6e', '#6467f0', '#2bad9f', '#b07ad8'];

function colorOf(seed: string): string {
  let h = 0;
  for (let i = 0; i < seed.length; i++) h = (h * 31 + seed.charCodeAt(i)) | 0;
  return COLORS[Math.abs(h) % COLORS.length] ?? '#07c160';
}

export function Avatar({ name, size = 40, online }: { name: string; size?: number; online?: boolean }) {
  const initial = [...(name.trim() || '?')][0]?.toUpperCase() ?? '?';
  return (
    <span className={`avatar avatar-${size}`} aria-hidden="true" style={{ backgroundColor: colorOf(name) }}>
      {initial}
      {online !== undefined && <span className={online ? 'dot dot-on' : 'dot dot-off'} />}
    </span>
  );
}
