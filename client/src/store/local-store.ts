import type { ChatMessage, ChatMessageType } from '@parley/protocol/codec';
import type { Me } from '../client-api';

/** What survives a restart to resume without the password (never the password itself). */
export interface SavedSession {
  uid: number;
  token: string;
  gateUrl: string;
  me?: Me;
}

/** One conversation as this device knows it. */
export interface StoredConversation {
  conversationId: number;
  kind: 'direct' | 'group';
  peerUid?: number;
  groupId?: number;
  /** Highest seq the server has (from SyncResp, pushes and acks). */
  maxSeq: number;
  /** What this user has read (DeliveredAck sent); unread = maxSeq − readSeq. */
  readSeq: number;
  left?: boolean;
  lastActivityMs: number;
}

/** A message waiting for its SendAck; `clientMsgId` is made once and reused for every resend. */
export interface OutboxEntry {
  clientMsgId: string;
  conversationId: number;
  type: ChatMessageType;
  body: string;
  createdAtMs: number;
  state: 'sending' | 'failed';
  error?: string;
}

/**
 * The device's copy of the user's data. Every method may be asynchronous (IndexedDB is); the core
 * keeps what the UI reads synchronously in memory and writes through to the store.
 * Messages are keyed by (conversationId, seq): putting the same seq twice keeps one.
 */
export interface LocalStore {
  loadSession(): Promise<SavedSession | undefined>;
  saveSession(session: SavedSession | undefined): Promise<void>;

  loadConversations(): Promise<StoredConversation[]>;
  putConversation(conversation: StoredConversation): Promise<void>;

  /** Highest gap-free seq held per conversation (the sync positions). */
  loadPositions(): Promise<Map<number, number>>;
  putPosition(conversationId: number, seq: number): Promise<void>;

  putMessages(messages: ChatMessage[]): Promise<void>;
  /** Up to `limit` messages with seq < beforeSeq (all when undefined), the newest ones, ascending. */
  loadMessages(conversationId: number, beforeSeq: number | undefined, limit: number): Promise<ChatMessage[]>;

  loadOutbox(): Promise<OutboxEntry[]>;
  putOutbox(entry: OutboxEntry): Promise<void>;
  deleteOutbox(clientMsgId: string): Promise<void>;

  /** Forgets everything (log out). */
  clear(): Promise<void>;
}
