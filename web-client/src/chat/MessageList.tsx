/** The conversation's messages as rows (day separators between days) in the virtualised list. */
import { useCallback, useMemo } from 'react';
import type { Me, MessageView } from '@parley/client';
import { dayKey, dayLabel } from '../lib/format';
import { MessageBubble } from './MessageBubble';
import { VirtualList } from './VirtualList';

type Row = { kind: 'day'; key: string; label: string } | { kind: 'msg'; key: string; m: MessageView };

export function MessageList({ messages, me, names, showSenders, loading, hasMore, onNearTop }: { messages: MessageView[]; me: Me; names: ReadonlyMap<number, string>; showSenders: boolean; loading: boolean; hasMore: boolean; onNearTop: () => void }) {
  const rows = useMemo(() => {
    const out: Row[] = [];
    if (!loading && !hasMore && messages.length > 0) out.push({ kind: 'day', key: 'start', label: 'Beginning of the conversation' });
    let day = '';
    for (const m of messages) {
      const k = dayKey(m.timeMs);
      if (k !== day) {
        day = k;
        out.push({ kind: 'day', key: `day-${k}`, label: dayLabel(m.timeMs) });
      }
      out.push({ kind: 'msg', key: m.clientMsgId, m });
    }
    return out;
  }, [messages, loading, hasMore]);
  const keyOf = useCallback((r: Row) => r.key, []);
  const estimate = useCallback((r: Row) => (r.kind === 'day' ? 36 : r.m.type === 'image' ? 220 : 64), []);
  const render = useCallback((r: Row) => (r.kind === 'day' ? <div className="day-sep">{r.label}</div> : <MessageBubble m={r.m} mine={r.m.senderUid === me.uid} sender={names.get(r.m.senderUid) ?? `User ${r.m.senderUid}`} showSender={showSenders} />), [me.uid, names, showSenders]);

  if (loading && messages.length === 0) return <div className="vlist loading" role="status" aria-label="Loading messages" />;
  return <VirtualList items={rows} keyOf={keyOf} render={render} estimate={estimate} onNearTop={onNearTop} label="Messages" />;
}
