/**
 * A square avatar with rounded corners: the uploaded image when `avatar` names one (`file:<id>`), else
 * the person's or group's initial on a colour derived from its name.
 */
import { useAvatarUrl } from '../lib/avatar-url';

const COLORS = ['#07c160', '#10aeff', '#fa9d3b', '#7d90a9', '#e65a6e', '#6467f0', '#2bad9f', '#b07ad8'];

function colorOf(seed: string): string {
  let h = 0;
  for (let i = 0; i < seed.length; i++) h = (h * 31 + seed.charCodeAt(i)) | 0;
  return COLORS[Math.abs(h) % COLORS.length] ?? '#07c160';
}

export function Avatar({ name, avatar, size = 40, online }: { name: string; avatar?: string; size?: number; online?: boolean }) {
  const initial = [...(name.trim() || '?')][0]?.toUpperCase() ?? '?';
  const url = useAvatarUrl(avatar);
  return (
    <span className={`avatar avatar-${size}`} aria-hidden="true" style={{ backgroundColor: colorOf(name) }}>
      {url ? <img className="avatar-img" src={url} alt="" /> : initial}
      {online !== undefined && <span className={online ? 'dot dot-on' : 'dot dot-off'} />}
    </span>
  );
}
