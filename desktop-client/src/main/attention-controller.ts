/**
 * Keeps the title and badge in step with the unread total and raises notifications, through small
 * interfaces so it runs under Node; electron-main.ts passes the real window, app and Notification.
 */
import type { ContactView, ConversationView, ParleyApi } from '@parley/client';
import { badgeCount, notificationFor, totalUnread, unreadTitle, type NotificationContent } from './attention';

export interface AttentionTarget {
  isFocused(): boolean;
  setTitle(title: string): void;
  setBadgeCount(count: number): void;
  notify(content: NotificationContent): void;
}

export function createAttentionController(core: Pick<ParleyApi, 'on' | 'conversations' | 'contacts'>, target: AttentionTarget): () => void {
  let conversations: ConversationView[] = core.conversations();
  let contacts: ContactView[] = core.contacts();
  let shown = -1;

  function render(): void {
    const unread = totalUnread(conversations);
    if (unread === shown) return;
    shown = unread;
    target.setTitle(unreadTitle(unread));
    target.setBadgeCount(badgeCount(unread));
  }

  const offs = [
    core.on('conversations', (value) => {
      conversations = value;
      render();
    }),
    core.on('contacts', (value) => {
      contacts = value;
    }),
    core.on('incoming', (message) => {
      if (target.isFocused()) return;
      const content = notificationFor(message, conversations, contacts);
      if (content) target.notify(content);
    }),
  ];
  render();
  return () => {
    for (const off of offs) off();
  };
}
