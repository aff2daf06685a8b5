import type { RowDataPacket } from 'mysql2/promise';
import type { ChatMessage, ChatMessageType } from '@parley/protocol';

/** A row of `messages` as mysql2 returns it. */
export interface MessageRow extends RowDataPacket {
  conversation_id: number;
  seq: number;
  sender_uid: number;
  client_msg_id: string;
  type: ChatMessageType;
  body: string;
  created_at: Date;
}

export const MESSAGE_COLUMNS = 'conversation_id, seq, sender_uid, client_msg_id, type, body, created_at';

export function toMessage(row: MessageRow): ChatMessage {
  return {
    conversationId: Number(row.conversation_id),
    seq: Number(row.seq),
    senderUid: Number(row.sender_uid),
    clientMsgId: String(row.client_msg_id),
    type: row.type,
    body: String(row.body),
    serverTime: row.created_at.getTime(),
  };
}
