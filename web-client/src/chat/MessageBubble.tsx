/** One message: system lines centred; bubbles with my own on the right, time and delivery state under them. */
import { memo } from 'react';
import type { MessageView } from '@parley/client';
import { Avatar } from '../common/Avatar';
import { useApi } from '../lib/api-context';
import { clock, fileRefOf, systemText } from '../lib/format';
import { FileMessage } from './FileMessage';

function Delivery({ m }: { m: MessageView }) {
  const api = useApi();
  if (m.delivery === 'sending') return <span className="delivery sending" aria-label="Sending" />;
  if (m.delivery === 'failed') {
    return (
      <button type="button" className="delivery failed" title={m.error ? `Not sent (${m.error}). Retry` : 'Not sent. Retry'} aria-label={`Not sent${m.error ? ` (${m.error})` : ''}, retry`} onClick={() => api.retry(m.clientMsgId)}>
        !
      </button>
    );
  }
  return null;
}

export const MessageBubble = memo(function MessageBubble({ m, mine, sender, showSender }: { m: MessageView; mine: boolean; sender: string; showSender: boolean }) {
  const api = useApi();
  if (m.type === 'system') return <div className="system-msg">{systemText(m)}</div>;
  const file = fileRefOf(m);
  return (
    <div className={`msg ${mine ? 'mine' : 'theirs'}`} data-delivery={m.delivery}>
      <Avatar name={sender} avatar={api.user(m.senderUid)?.avatar} size={36} />
      <div className="msg-col">
        {!mine && showSender && <span className="msg-sender">{sender}</span>}
        <div className="msg-line">
          {mine && <Delivery m={m} />}
          {m.type === 'text' ? <div className="bubble">{m.body}</div> : file ? <FileMessage file={file} image={m.type === 'image'} /> : <div className="bubble">[attachment]</div>}
        </div>
        <time className="msg-time" dateTime={new Date(m.timeMs).toISOString()}>
          {clock(m.timeMs)}
          {m.delivery === 'sending' ? ' · sending' : m.delivery === 'failed' ? ' · failed' : ''}
        </time>
      </div>
    </div>
  );
});
