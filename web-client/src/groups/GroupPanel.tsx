/** The group's side panel: rename (owner/admin), members with remove, invite friends, leave. */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { GroupMemberView, Me } from '@parley/client';
import { Avatar } from '../common/Avatar';
import { Dialog } from '../common/Dialog';
import { useToast } from '../common/toast-context';
import { useApi, useApiValue } from '../lib/api-context';
import { toUiError } from '../lib/errors';
import { FriendPicker, toggled } from './FriendPicker';

export function GroupPanel({ groupId, me, onClose }: { groupId: number; me: Me; onClose: () => void }) {
  const api = useApi();
  const toast = useToast();
  const groups = useApiValue(api, 'groups', () => api.groups());
  const group = groups.find((g) => g.groupId === groupId);
  const [members, setMembers] = useState<GroupMemberView[]>([]);
  const [name, setName] = useState(group?.name ?? '');
  const [inviting, setInviting] = useState(false);
  const [chosen, setChosen] = useState<ReadonlySet<number>>(new Set());
  const fail = useCallback((err: unknown) => toast(toUiError(err)), [toast]);
  const reload = useCallback(() => void api.groupMembers(groupId).then(setMembers).catch(fail), [api, groupId, fail]);

  useEffect(reload, [reload, group?.memberCount]);
  const canManage = group?.myRole === 'owner' || group?.myRole === 'admin';

  const rename = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim() && name.trim() !== group?.name) api.renameGroup(groupId, name.trim()).catch(fail);
  };
  const invite = () => {
    api
      .invite(groupId, [...chosen])
      .then(() => {
        setInviting(false);
        setChosen(new Set());
        reload();
      })
      .catch(fail);
  };
  const memberUids = new Set(members.map((m) => m.uid));
  return (
    <aside className="group-panel" aria-label="Group">
      <header className="pane-head">
        <h3>Group · {members.length || group?.memberCount || 0} members</h3>
        <button type="button" className="icon-btn" aria-label="Close group panel" onClick={onClose}>
          ×
        </button>
      </header>
      <div className="pane-scroll">
        <form onSubmit={rename} className="stack">
          <label className="field">
            <span>Group name</span>
            <input value={name} maxLength={64} disabled={!canManage} onChange={(e) => setName(e.target.value)} />
          </label>
          {canManage && (
            <button type="submit" className="secondary small">
              Rename
            </button>
          )}
        </form>
        <h4 className="section-title">Members</h4>
        <ul className="people" aria-label="Members">
          {members.map((m) => (
            <li key={m.uid} className="person">
              <Avatar name={m.nickname || m.name} avatar={m.avatar} size={32} />
              <span className="person-name">
                {m.nickname || m.name}
                {m.uid === me.uid ? ' (you)' : ''}
              </span>
              <span className="person-sub">{m.role}</span>
              {canManage && m.uid !== me.uid && m.role !== 'owner' && (
                <button type="button" className="secondary small" aria-label={`Remove ${m.nickname || m.name}`} onClick={() => void api.removeMember(groupId, m.uid).then(reload).catch(fail)}>
                  Remove
                </button>
              )}
            </li>
          ))}
        </ul>
        <div className="stack">
          <button type="button" className="secondary" onClick={() => setInviting(true)}>
            Invite friends
          </button>
          <button type="button" className="danger" onClick={() => void api.leaveGroup(groupId).then(onClose).catch(fail)}>
            Leave group
          </button>
        </div>
      </div>
      {inviting && (
        <Dialog title="Invite to the group" onClose={() => setInviting(false)}>
          <div className="stack">
            <FriendPicker friends={api.contacts().filter((c) => !memberUids.has(c.uid))} chosen={chosen} onToggle={(uid) => setChosen((s) => toggled(s, uid))} />
            <button type="button" className="primary wide" disabled={chosen.size === 0} onClick={invite}>
              Invite {chosen.size || ''}
            </button>
          </div>
        </Dialog>
      )}
    </aside>
  );
}
