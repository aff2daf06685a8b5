/** The rail: my avatar, then Chats (with the unread total), Contacts and Me. A bottom bar on narrow screens. */
import type { Me } from '@parley/client';
import { Avatar } from '../common/Avatar';

export type Tab = 'chats' | 'contacts' | 'me';

const TABS: { tab: Tab; label: string; icon: string }[] = [
  { tab: 'chats', label: 'Chats', icon: '💬' },
  { tab: 'contacts', label: 'Contacts', icon: '👥' },
  { tab: 'me', label: 'Me', icon: '👤' },
];

export function NavRail({ tab, me, unread, onTab }: { tab: Tab; me: Me; unread: number; onTab: (t: Tab) => void }) {
  return (
    <nav className="rail" aria-label="Main">
      <span className="rail-me">
        <Avatar name={me.nickname || me.name} size={36} />
      </span>
      {TABS.map((t) => (
        <button key={t.tab} type="button" className={`rail-btn ${tab === t.tab ? 'active' : ''}`} aria-current={tab === t.tab ? 'page' : undefined} aria-label={t.tab === 'chats' && unread > 0 ? `${t.label}, ${unread} unread` : t.label} onClick={() => onTab(t.tab)}>
          <span className="rail-icon" aria-hidden="true">
            {t.icon}
          </span>
          <span className="rail-label">{t.label}</span>
          {t.tab === 'chats' && unread > 0 && (
            <span className="badge" aria-hidden="true">
              {unread > 99 ? '99+' : unread}
            </span>
          )}
        </button>
      ))}
    </nav>
  );
}
