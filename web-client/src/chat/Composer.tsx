/** The message box: Enter sends, Shift+Enter breaks the line; the clip button sends a file or image. */
import { useRef, useState, type KeyboardEvent } from 'react';
import { Icon } from '../common/Icon';
import { useApi } from '../lib/api-context';
import { uploadSourceOf } from '../lib/upload-source';

export function Composer({ conversationId }: { conversationId: number }) {
  const api = useApi();
  const [text, setText] = useState('');
  const fileInput = useRef<HTMLInputElement>(null);

  const send = () => {
    if (text.trim() === '') return;
    api.sendText(conversationId, text);
    setText('');
  };
  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    // Not while an input method is composing (Enter then picks a candidate).
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      send();
    }
  };
  return (
    <div className="composer">
      <button type="button" className="icon-btn" aria-label="Send a file or image" onClick={() => fileInput.current?.click()}>
        <Icon name="clip" />
      </button>
      <input
        ref={fileInput}
        type="file"
        hidden
        multiple
        onChange={(e) => {
          for (const f of e.target.files ?? []) api.sendFile(conversationId, uploadSourceOf(f));
          e.target.value = '';
        }}
      />
      <textarea aria-label="Message" placeholder="Type a message" rows={1} value={text} onChange={(e) => setText(e.target.value)} onKeyDown={onKey} />
      <button type="button" className="primary" onClick={send} disabled={text.trim() === ''}>
        Send
      </button>
    </div>
  );
}
