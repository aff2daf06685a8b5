import type { ChatMessage, FriendInfo, FriendRequestInfo, GroupSummary } from '@parley/protocol/codec';
import type { ContactView, ConversationView, FriendRequestView, GroupView, MessageView } from './client-api';
import type { OutboxEntry, StoredConversation } from './store/local-store';

/* Plain-data views for the UI, built from stored and wire data. */

export function messageView(m: ChatMessage, myUid: number | undefined): MessageView {
  const view: MessageView = { conversationId: m.conversationId, seq: m.seq, senderUid: m.senderUid, clientMsgId: m.clientMsgId, type: m.type, body: m.body, timeMs: m.serverTime };
  if (m.senderUid === myUid) view.delivery = 'sent';
  return view;
}

export function outboxView(e: OutboxEntry, myUid: number): MessageView {
  const view: MessageView = { conversationId: e.conversationId, senderUid: myUid, clientMsgId: e.clientMsgId, type: e.type, body: e.body, timeMs: e.createdAtMs, delivery: e.state };
  if (e.error !== undefined) view.error = e.error;
  return view;
}

export function contactView(f: FriendInfo): ContactView {
  return { uid: f.uid, name: f.name, nickname: f.nickname, avatar: f.avatar, online: f.online, conversationId: f.conversationId };
}

export function friendRequestView(r: FriendRequestInfo, incoming: boolean): FriendRequestView {
  return { requestId: r.requestId, from: { ...r.from }, to: { ...r.to }, note: r.note, status: r.status, createdAt: r.createdAt, incoming };
}

export function groupView(g: GroupSummary): GroupView {
  return { ...g };
}

export interface ConversationLookups {
  contactByUid(uid: number): ContactView | undefined;
  groupById(groupId: number): GroupView | undefined;
  lastMessage(conversationId: number): MessageView | undefined;
}

export function conversationView(c: StoredConversation, lookups: ConversationLookups): ConversationView {
  const view: ConversationView = { conversationId: c.conversationId, kind: c.kind, title: '', avatar: '', lastActivityMs: c.lastActivityMs, unread: Math.max(0, c.maxSeq - c.readSeq) };
  if (c.kind === 'direct' && c.peerUid !== undefined) {
    view.peerUid = c.peerUid;
    const peer = lookups.contactByUid(c.peerUid);
    view.title = peer?.nickname || peer?.name || `User ${c.peerUid}`;
    view.avatar = peer?.avatar ?? '';
  }
  if (c.kind === 'group' && c.groupId !== undefined) {
    view.groupId = c.groupId;
    const group = lookups.groupById(c.groupId);
    view.title = group?.name ?? `Group ${c.groupId}`;
    view.avatar = group?.avatar ?? '';
  }
  if (view.title === '') view.title = `Conversation ${c.conversationId}`;
  const last = lookups.lastMessage(c.conversationId);
  if (last) view.lastMessage = last;
  if (c.left) view.left = true;
  return view;
}

/** Newest activity first; ties by id so the order is stable. */
export function byLastActivity(a: ConversationView, b: ConversationView): number {
  return b.lastActivityMs - a.lastActivityMs || b.conversationId - a.conversationId;
}
