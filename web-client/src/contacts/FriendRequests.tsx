/** Friend requests: incoming ones with Accept / Decline, my pending outgoing ones as "waiting". */
import { Avatar } from '../common/Avatar';
import { useToast } from '../common/toast-context';
import { useApi, useApiValue } from '../lib/api-context';
import { toUiError } from '../lib/errors';

export function FriendRequests() {
  const api = useApi();
  const toast = useToast();
  const requests = useApiValue(api, 'friendRequests', () => api.friendRequests());
  const pending = requests.filter((r) => r.status === 'pending');
  if (pending.length === 0) return null;
  const answer = (id: number, accept: boolean) => api.answerFriendRequest(id, accept).catch((err: unknown) => toast(toUiError(err)));
  return (
    <section aria-labelledby="requests-title">
      <h3 className="section-title" id="requests-title">
        Friend requests ({pending.length})
      </h3>
      <ul className="people">
        {pending.map((r) => {
          const who = r.incoming ? r.from : r.to;
          const name = who.nickname || who.name;
          return (
            <li key={r.requestId} className="person request">
              <Avatar name={name} size={36} />
              <span className="person-name">{name}</span>
              <span className="person-sub">{r.note || (r.incoming ? 'wants to be your friend' : 'waiting for an answer')}</span>
              {r.incoming && (
                <span className="actions">
                  <button type="button" className="primary small" onClick={() => void answer(r.requestId, true)} aria-label={`Accept ${name}`}>
                    Accept
                  </button>
                  <button type="button" className="secondary small" onClick={() => void answer(r.requestId, false)} aria-label={`Decline ${name}`}>
                    Decline
                  </button>
                </span>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
