/** Browser notifications, only after the user allowed them and only while the window is not focused. */
import type { MessageView } from '@parley/client';

export function notificationsSupported(): boolean {
  return typeof Notification !== 'undefined';
}

export async function askNotificationPermission(): Promise<NotificationPermission> {
  if (!notificationsSupported()) return 'denied';
  return Notification.requestPermission();
}

export function notifyIncoming(title: string, text: string, m: MessageView, onClick: () => void): void {
  if (!notificationsSupported() || Notification.permission !== 'granted' || document.hasFocus()) return;
  const n = new Notification(title, { body: text, tag: `conv-${m.conversationId}` });
  n.onclick = () => {
    window.focus();
    onClick();
    n.close();
  };
}
