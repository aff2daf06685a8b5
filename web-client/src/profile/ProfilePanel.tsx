/** Me: avatar (upload), nickname, notifications, log out. */
import { useRef, useState, type FormEvent } from 'react';
import type { Me } from '@parley/client';
import { Avatar } from '../common/Avatar';
import { useToast } from '../common/toast-context';
import { useApi } from '../lib/api-context';
import { toUiError } from '../lib/errors';
import { askNotificationPermission, notificationsSupported } from '../lib/notify';
import { uploadSourceOf } from '../lib/upload-source';

const AVATAR_MAX_BYTES = 5 * 1024 * 1024;

export function ProfilePanel({ me }: { me: Me }) {
  const api = useApi();
  const toast = useToast();
  const [nickname, setNickname] = useState(me.nickname);
  const [busy, setBusy] = useState(false);
  const [permission, setPermission] = useState(() => (notificationsSupported() ? Notification.permission : 'denied'));
  const file = useRef<HTMLInputElement>(null);
  const fail = (err: unknown) => toast(toUiError(err));

  const save = (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    api
      .updateProfile({ nickname: nickname.trim() })
      .catch(fail)
      .finally(() => setBusy(false));
  };
  const upload = (f: File | undefined) => {
    if (!f) return;
    if (!f.type.startsWith('image/') || f.size > AVATAR_MAX_BYTES) return toast({ code: 'BAD_AVATAR', message: 'Choose an image of at most 5 MB.' });
    setBusy(true);
    api
      .uploadFile(uploadSourceOf(f))
      .then((ref) => api.updateProfile({ avatarFileId: ref.fileId }))
      .catch(fail)
      .finally(() => setBusy(false));
  };
  return (
    <>
      <header className="pane-head">
        <h2>Me</h2>
      </header>
      <div className="pane-scroll profile">
        <div className="profile-card">
          <Avatar name={me.nickname || me.name} avatar={me.avatar} size={64} />
          <div>
            <div className="profile-name">{me.nickname || me.name}</div>
            <div className="person-sub">@{me.name}</div>
          </div>
        </div>
        <button type="button" className="secondary" disabled={busy} onClick={() => file.current?.click()}>
          Change avatar
        </button>
        <input ref={file} type="file" accept="image/*" hidden onChange={(e) => upload(e.target.files?.[0])} />
        <form onSubmit={save} className="stack">
          <label className="field">
            <span>Nickname</span>
            <input value={nickname} maxLength={64} onChange={(e) => setNickname(e.target.value)} />
          </label>
          <button type="submit" className="primary" disabled={busy || nickname.trim() === me.nickname}>
            Save
          </button>
        </form>
        {permission === 'default' && (
          <button type="button" className="secondary" onClick={() => void askNotificationPermission().then(setPermission)}>
            Turn on desktop notifications
          </button>
        )}
        <button type="button" className="danger" onClick={() => void api.logout().catch(fail)}>
          Log out
        </button>
      </div>
    </>
  );
}
