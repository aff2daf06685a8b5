/**
 * One conversation: header, the virtualised message list, running uploads and the composer. Loads the
 * newest page, merges `messages` events by clientMsgId, loads older pages on scroll-back and marks the
 * conversation read while it is open and the window focused.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ConversationView, Me, MessageView } from '@parley/client';
import { Icon } from '../common/Icon';
import { useToast } from '../common/toast-context';
import { GroupPanel } from '../groups/GroupPanel';
import { useApi } from '../lib/api-context';
import { toUiError } from '../lib/errors';
import { useTransfers } from '../lib/use-transfers';
import { Composer } from './Composer';
import { MessageList } from './MessageList';
import { TransferBar } from './TransferBar';

const PAGE = 50;

/** Stored messages by seq, then the outbox by send time. */
function order(a: MessageView, b: MessageView): number {
  if (a.seq !== undefined && b.seq !== undefined) return a.seq - b.seq;
  if (a.seq !== undefined) return -1;
  if (b.seq !== undefined) return 1;
  return a.timeMs - b.timeMs;
}

function merge(current: MessageView[], incoming: MessageView[]): MessageView[] {
  const byId = new Map(current.map((m) => [m.clientMsgId, m]));
  for (const m of incoming) byId.set(m.clientMsgId, m);
  return [...byId.values()].sort(order);
}

export function ChatView({ conversation, me, onBack }: { conversation: ConversationView; me: Me; onBack: () => void }) {
  const api = useApi();
  const toast = useToast();
  const id = conversation.conversationId;
  const [messages, setMessages] = useState<MessageView[]>([]);
  const [hasMore, setHasMore] = useState(false);
  const [loaded, setLoaded] = useState(false);
  const [showGroup, setShowGroup] = useState(false);
  const loadingOlder = useRef(false);
  const transfers = useTransfers(api);
  const uploads = useMemo(() => [...transfers.values()].filter((t) => t.direction === 'upload' && t.conversationId === id), [transfers, id]);

  useEffect(() => {
    let live = true;
    const off = api.on('messages', (e) => {
      if (e.conversationId === id) setMessages((cur) => merge(cur, e.messages));
    });
    api
      .history(id, undefined, PAGE)
      .then((page) => {
        if (!live) return;
        setMessages((cur) => merge(cur, page.messages));
        setHasMore(page.hasMore);
      })
      .catch((err: unknown) => live && toast(toUiError(err)))
      .finally(() => live && setLoaded(true));
    return () => {
      live = false;
      off();
    };
  }, [api, id, toast]);

  // Read while visible: on open, on new messages, and when the window regains focus.
  useEffect(() => {
    const read = () => {
      if (document.hasFocus()) api.markRead(id);
    };
    read();
    window.addEventListener('focus', read);
    return () => window.removeEventListener('focus', read);
  }, [api, id, messages.length]);

  const loadOlder = useCallback(() => {
    const oldest = messages.find((m) => m.seq !== undefined)?.seq;
    if (!hasMore || loadingOlder.current || oldest === undefined) return;
    loadingOlder.current = true;
    api
      .history(id, oldest, PAGE)
      .then((page) => {
        setMessages((cur) => merge(cur, page.messages));
        setHasMore(page.hasMore);
      })
      .catch((err: unknown) => toast(toUiError(err)))
      .finally(() => (loadingOlder.current = false));
  }, [api, id, messages, hasMore, toast]);

  const isGroup = conversation.kind === 'group';
  // Sender names come from what the core knows (friends, requests, searches, members fetched); in a
  // group, its members are fetched once on opening so strangers' names show too.
  const [membersLoaded, setMembersLoaded] = useState(0);
  useEffect(() => {
    if (conversation.groupId === undefined) return undefined;
    let live = true;
    api
      .groupMembers(conversation.groupId)
      .then(() => live && setMembersLoaded((n) => n + 1))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [api, conversation.groupId]);
  const names = useMemo(() => {
    const map = new Map<number, string>([[me.uid, me.nickname || me.name]]);
    for (const m of messages) {
      const u = map.has(m.senderUid) ? undefined : api.user(m.senderUid);
      if (u) map.set(u.uid, u.nickname || u.name);
    }
    return map;
    // membersLoaded: re-read once the members are known.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, me, messages, membersLoaded]);
  return (
    <div className="chat">
      <header className="chat-head">
        <button type="button" className="icon-btn back" aria-label="Back to chats" onClick={onBack}>
          <Icon name="back" size={24} />
        </button>
        <h2 className="chat-title">{conversation.title}</h2>
        {isGroup && conversation.groupId !== undefined && (
          <button type="button" className="icon-btn" aria-label="Group members and settings" aria-expanded={showGroup} onClick={() => setShowGroup((v) => !v)}>
            <Icon name="more" size={22} />
          </button>
        )}
      </header>
      <div className="chat-body">
        <div className="chat-col">
          <MessageList messages={messages} me={me} names={names} showSenders={isGroup} loading={!loaded} hasMore={hasMore} onNearTop={loadOlder} />
          {uploads.map((t) => (
            <TransferBar key={t.transferId} transfer={t} />
          ))}
          {conversation.left ? <p className="left-note">You are no longer a member of this group.</p> : <Composer conversationId={id} />}
        </div>
        {showGroup && conversation.groupId !== undefined && <GroupPanel groupId={conversation.groupId} me={me} onClose={() => setShowGroup(false)} />}
      </div>
    </div>
  );
}
