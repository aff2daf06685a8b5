/**
 * How the app asks for the user's attention: the unread total in the window title and the app badge,
 * and a native notification for a message that arrives while the window is not focused.
 */
import type { ContactView, ConversationView, MessageView } from '@parley/client';

export const APP_TITLE = 'Parley';
const MAX_PREVIEW_CHARS = 100;

export function totalUnread(conversations: readonly ConversationView[]): number {
  let total = 0;
  for (const c of conversations) if (!c.left && Number.isFinite(c.unread) && c.unread > 0) total += c.unread;
  return total;
}

export function unreadTitle(unread: number): string {
  if (!Number.isFinite(unread) || unread <= 0) return APP_TITLE;
  return `(${unread > 999 ? '999+' : Math.floor(unread)}) ${APP_TITLE}`;
}

/** The dock/taskbar badge count (Electron's app.setBadgeCount; 0 clears it). */
export function badgeCount(unread: number): number {
  return Number.isFinite(unread) && unread > 0 ? Math.floor(unread) : 0;
}

export interface NotificationContent {
  title: string;
  body: string;
  conversationId: number;
}

function fileName(body: string): string | undefined {
  try {
    const ref = JSON.parse(body) as { name?: unknown };
    return typeof ref.name === 'string' ? ref.name : undefined;
  } catch {
    return undefined;
  }
}

function preview(message: MessageView): string {
  switch (message.type) {
    case 'text':
      return message.body.length > MAX_PREVIEW_CHARS ? `${message.body.slice(0, MAX_PREVIEW_CHARS - 1)}…` : message.body;
    case 'image':
      return '[Image]';
    case 'file': {
      const name = fileName(message.body);
      return name ? `[File] ${name}` : '[File]';
    }
    default:
      return '';
  }
}

/**
 * What to show for an incoming message, or undefined when nothing should be shown (system events,
 * a left group). The title is the conversation's; in a group the sender's name leads the body.
 */
export function notificationFor(message: MessageView, conversations: readonly ConversationView[], contacts: readonly ContactView[]): NotificationContent | undefined {
  const body = preview(message);
  if (body === '') return undefined;
  const conversation = conversations.find((c) => c.conversationId === message.conversationId);
  if (conversation?.left) return undefined;
  const title = conversation?.title || APP_TITLE;
  if (conversation?.kind !== 'group') return { title, body, conversationId: message.conversationId };
  const sender = contacts.find((c) => c.uid === message.senderUid);
  return { title, body: sender ? `${sender.nickname || sender.name}: ${body}` : body, conversationId: message.conversationId };
}
