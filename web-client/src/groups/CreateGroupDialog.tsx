/** New group: a name and friends to add. */
import { useState, type FormEvent } from 'react';
import { Dialog } from '../common/Dialog';
import { useToast } from '../common/toast-context';
import { useApi } from '../lib/api-context';
import { toUiError } from '../lib/errors';
import { FriendPicker, toggled } from './FriendPicker';

export function CreateGroupDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (conversationId: number) => void }) {
  const api = useApi();
  const toast = useToast();
  const [name, setName] = useState('');
  const [chosen, setChosen] = useState<ReadonlySet<number>>(new Set());
  const [busy, setBusy] = useState(false);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    api
      .createGroup(name.trim(), [...chosen])
      .then((g) => onCreated(g.conversationId))
      .catch((err: unknown) => toast(toUiError(err)))
      .finally(() => setBusy(false));
  };
  return (
    <Dialog title="New group" onClose={onClose}>
      <form onSubmit={submit} className="stack">
        <label className="field">
          <span>Group name</span>
          <input required maxLength={64} value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <FriendPicker friends={api.contacts()} chosen={chosen} onToggle={(uid) => setChosen((s) => toggled(s, uid))} />
        <button type="submit" className="primary wide" disabled={busy || name.trim() === ''}>
          Create group{chosen.size > 0 ? ` with ${chosen.size}` : ''}
        </button>
      </form>
    </Dialog>
  );
}
