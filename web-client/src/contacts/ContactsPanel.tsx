/** Contacts: user search, friend requests, "new group", and friends with online dots (click to chat). */
import { useState } from 'react';
import { Avatar } from '../common/Avatar';
import { useToast } from '../common/toast-context';
import { CreateGroupDialog } from '../groups/CreateGroupDialog';
import { useApi, useApiValue } from '../lib/api-context';
import { FriendRequests } from './FriendRequests';
import { UserSearch } from './UserSearch';

export function ContactsPanel({ onOpenConversation }: { onOpenConversation: (id: number) => void }) {
  const api = useApi();
  const toast = useToast();
  const contacts = useApiValue(api, 'contacts', () => api.contacts());
  const [creating, setCreating] = useState(false);
  const sorted = [...contacts].sort((a, b) => Number(b.online) - Number(a.online) || (a.nickname || a.name).localeCompare(b.nickname || b.name));

  const openChat = (uid: number) => {
    const id = api.directConversation(uid);
    if (id === undefined) toast({ code: 'NOT_FOUND', message: 'No conversation with this contact yet.' });
    else onOpenConversation(id);
  };
  return (
    <>
      <header className="pane-head">
        <h2>Contacts</h2>
        <button type="button" className="secondary small" onClick={() => setCreating(true)}>
          New group
        </button>
      </header>
      <div className="pane-scroll">
        <UserSearch />
        <FriendRequests />
        <h3 className="section-title">Friends ({contacts.length})</h3>
        {sorted.length === 0 ? (
          <p className="empty">No friends yet. Search for someone above.</p>
        ) : (
          <ul className="people" aria-label="Friends">
            {sorted.map((c) => (
              <li key={c.uid}>
                <button type="button" className="person" onClick={() => openChat(c.uid)} aria-label={`${c.nickname || c.name}, ${c.online ? 'online' : 'offline'}: open chat`}>
                  <Avatar name={c.nickname || c.name} avatar={c.avatar} size={40} online={c.online} />
                  <span className="person-name">{c.nickname || c.name}</span>
                  <span className="person-sub">@{c.name}</span>
                </button>
              </li>
            ))}
          </ul>
        )}
      </div>
      {creating && (
        <CreateGroupDialog
          onClose={() => setCreating(false)}
          onCreated={(conversationId) => {
            setCreating(false);
            onOpenConversation(conversationId);
          }}
        />
      )}
    </>
  );
}
