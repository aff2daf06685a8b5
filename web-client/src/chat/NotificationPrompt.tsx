/** Asks once (on a click, as browsers require) whether new messages may show desktop notifications. */
import { useState } from 'react';
import { askNotificationPermission, notificationsSupported } from '../lib/notify';

export function NotificationPrompt() {
  const [permission, setPermission] = useState(() => (notificationsSupported() ? Notification.permission : 'denied'));
  if (permission !== 'default') return null;
  return (
    <div className="hint">
      <span>Get notified of new messages?</span>
      <button type="button" className="link" onClick={() => void askNotificationPermission().then(setPermission)}>
        Turn on
      </button>
    </div>
  );
}
