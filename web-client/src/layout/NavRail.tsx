/** The rail: my avatar, then Chats (with the unread total), Contacts and Me. A bottom bar on narrow screens. */
import type { Me } from '@parley/client';
import { Avatar } from '../common/Avatar';
import { Icon, type IconName } from '../common/Icon';

export type Tab = 'chats' | 'contacts' | 'me';

const TABS: { tab: Tab; label: string; icon: IconName }[] = [
  { tab: 'chats', label: 'Chats', icon: 'chat' },
  { tab: 'contacts', label: 'Contacts', icon: 'contacts' },
  { tab: 'me', label: 'Me', icon: 'me' },
];

export function NavRail({ tab, me, unread, onTab }: { tab: Tab; me: Me; unread: number; onTab: (t: Tab) => void }) {
  return (
    <nav className="rail" aria-label="Main">
      <span className="rail-me">
        <Avatar name={me.nickname || me.name} avatar={me.avatar} size={36} />
      </span>
      {TABS.map((t) => (
        <button key={t.tab} type="button" className={`rail-btn ${tab === t.tab ? 'active' : ''}`} aria-current={tab === t.tab ? 'page' : undefined} aria-label={t.tab === 'chats' && unread > 0 ? `${t.label}, ${unread} unread` : t.label} onClick={() => onTab(t.tab)}>
          <Icon name={t.icon} size={24} />
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
