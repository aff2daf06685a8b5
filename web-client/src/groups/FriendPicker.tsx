/** A checklist of friends (for creating a group or inviting to one). */
import type { ContactView } from '@parley/client';
import { Avatar } from '../common/Avatar';

export function FriendPicker({ friends, chosen, onToggle }: { friends: ContactView[]; chosen: ReadonlySet<number>; onToggle: (uid: number) => void }) {
  if (friends.length === 0) return <p className="empty">No friends to choose from.</p>;
  return (
    <ul className="people picker" aria-label="Friends">
      {friends.map((f) => (
        <li key={f.uid}>
          <label className="person">
            <input type="checkbox" checked={chosen.has(f.uid)} onChange={() => onToggle(f.uid)} />
            <Avatar name={f.nickname || f.name} size={32} />
            <span className="person-name">{f.nickname || f.name}</span>
          </label>
        </li>
      ))}
    </ul>
  );
}

export function toggled(set: ReadonlySet<number>, uid: number): Set<number> {
  const next = new Set(set);
  if (!next.delete(uid)) next.add(uid);
  return next;
}
