/**
 * The signed-in app: a left rail (chats, contacts, me), a list pane and a main pane. Below 720 px the
 * list and the open chat are two screens (the chat has a back button). Owns the title's unread total
 * and the desktop notifications.
 */
import { useEffect, useMemo, useState } from 'react';
import type { ConnectionStatus, Me } from '@parley/client';
import { ChatView } from '../chat/ChatView';
import { ConversationList } from '../chat/ConversationList';
import { ContactsPanel } from '../contacts/ContactsPanel';
import { ProfilePanel } from '../profile/ProfilePanel';
import { useApi, useApiValue } from '../lib/api-context';
import { preview } from '../lib/format';
import { notifyIncoming } from '../lib/notify';
import { NavRail, type Tab } from './NavRail';
import { ReconnectBanner } from './ReconnectBanner';

export function MainLayout({ me, connection }: { me: Me; connection: ConnectionStatus }) {
  const api = useApi();
  const [tab, setTab] = useState<Tab>('chats');
  const [openId, setOpenId] = useState<number | undefined>(undefined);
  const conversations = useApiValue(api, 'conversations', () => api.conversations());
  const sorted = useMemo(() => [...conversations].sort((a, b) => b.lastActivityMs - a.lastActivityMs), [conversations]);
  const unread = sorted.reduce((n, c) => n + (c.left ? 0 : c.unread), 0);

  useEffect(() => {
    document.title = unread > 0 ? `(${unread > 99 ? '99+' : unread}) Parley` : 'Parley';
  }, [unread]);
  useEffect(() => () => void (document.title = 'Parley'), []);

  useEffect(
    () =>
      api.on('incoming', (m) => {
        const conv = api.conversations().find((c) => c.conversationId === m.conversationId);
        notifyIncoming(conv?.title ?? 'Parley', preview(m), m, () => {
          setTab('chats');
          setOpenId(m.conversationId);
        });
      }),
    [api],
  );

  const open = (conversationId: number) => {
    setTab('chats');
    setOpenId(conversationId);
  };
  const current = sorted.find((c) => c.conversationId === openId);
  const showingChat = tab === 'chats' && current !== undefined;

  return (
    <div className={`app ${showingChat ? 'chat-open' : ''}`}>
      <NavRail tab={tab} me={me} unread={unread} onTab={setTab} />
      <section className="list-pane" aria-label={tab === 'chats' ? 'Chats' : tab === 'contacts' ? 'Contacts' : 'Me'}>
        <ReconnectBanner status={connection} />
        {tab === 'chats' && <ConversationList conversations={sorted} openId={openId} onOpen={open} />}
        {tab === 'contacts' && <ContactsPanel onOpenConversation={open} />}
        {tab === 'me' && <ProfilePanel me={me} />}
      </section>
      <section className="main-pane" aria-label="Conversation">
        {showingChat ? (
          <ChatView key={current.conversationId} conversation={current} me={me} onBack={() => setOpenId(undefined)} />
        ) : (
          <div className="empty-main">
            <img src="./favicon.svg" alt="" width={72} height={72} />
            <p>Select a chat to start messaging</p>
          </div>
        )}
      </section>
    </div>
  );
}
