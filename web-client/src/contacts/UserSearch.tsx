/** Find people by name or email and send them a friend request. */
import { useState, type FormEvent } from 'react';
import type { PublicUserView } from '@parley/client';
import { Avatar } from '../common/Avatar';
import { useToast } from '../common/toast-context';
import { useApi } from '../lib/api-context';
import { toUiError } from '../lib/errors';

export function UserSearch() {
  const api = useApi();
  const toast = useToast();
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<PublicUserView[] | undefined>(undefined);
  const [sent, setSent] = useState(() => new Set<number>());

  const search = (e: FormEvent) => {
    e.preventDefault();
    if (query.trim() === '') return;
    api
      .searchUsers(query.trim())
      .then(setResults)
      .catch((err: unknown) => toast(toUiError(err)));
  };
  const add = (uid: number) => {
    api
      .requestFriend(uid)
      .then(() => setSent((s) => new Set(s).add(uid)))
      .catch((err: unknown) => toast(toUiError(err)));
  };
  return (
    <div className="search">
      <form role="search" onSubmit={search} className="search-form">
        <input type="search" aria-label="Search users" placeholder="Search users" value={query} onChange={(e) => setQuery(e.target.value)} />
        <button type="submit" className="secondary small">
          Search
        </button>
      </form>
      {results !== undefined &&
        (results.length === 0 ? (
          <p className="empty">Nobody found.</p>
        ) : (
          <ul className="people" aria-label="Search results">
            {results.map((u) => (
              <li key={u.uid} className="person">
                <Avatar name={u.nickname || u.name} avatar={u.avatar} size={36} />
                <span className="person-name">{u.nickname || u.name}</span>
                <span className="person-sub">@{u.name}</span>
                <button type="button" className="primary small" disabled={sent.has(u.uid)} onClick={() => add(u.uid)} aria-label={`Add ${u.nickname || u.name} as a friend`}>
                  {sent.has(u.uid) ? 'Sent' : 'Add'}
                </button>
              </li>
            ))}
          </ul>
        ))}
    </div>
  );
}
