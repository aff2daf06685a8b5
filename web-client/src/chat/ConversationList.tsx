/** Chats by last activity: avatar, title, last message, time and unread badge. */
import type { ConversationView } from '@parley/client';
import { Avatar } from '../common/Avatar';
import { listTime, preview } from '../lib/format';
import { NotificationPrompt } from './NotificationPrompt';

export function ConversationList({ conversations, openId, onOpen }: { conversations: ConversationView[]; openId: number | undefined; onOpen: (id: number) => void }) {
  return (
    <>
      <header className="pane-head">
        <h2>Chats</h2>
      </header>
      <NotificationPrompt />
      {conversations.length === 0 ? (
        <p className="empty">No chats yet. Add a friend under Contacts.</p>
      ) : (
        <ul className="conv-list" aria-label="Conversations">
          {conversations.map((c) => (
            <li key={c.conversationId}>
              <button type="button" className={`conv ${c.conversationId === openId ? 'active' : ''}`} aria-current={c.conversationId === openId ? 'true' : undefined} onClick={() => onOpen(c.conversationId)}>
                <Avatar name={c.title} avatar={c.avatar} size={44} />
                <span className="conv-main">
                  <span className="conv-top">
                    <span className="conv-title">
                      {c.title}
                      {c.kind === 'group' && <span className="tag">group</span>}
                    </span>
                    <span className="conv-time">{listTime(c.lastActivityMs)}</span>
                  </span>
                  <span className="conv-last">{c.left ? 'You are no longer in this group' : preview(c.lastMessage)}</span>
                </span>
                {c.unread > 0 && (
                  <span className="badge" aria-label={`${c.unread} unread`}>
                    {c.unread > 99 ? '99+' : c.unread}
                  </span>
                )}
              </button>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
