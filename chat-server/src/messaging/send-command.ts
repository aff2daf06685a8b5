import type { ParleyError } from '@parley/common';
import type { ChatMessage, ChatMessageType } from '@parley/protocol';

/** One message to store, as the sender addressed it (exactly one of `to` / `conversationId`). */
export interface SendCommand {
  senderUid: number;
  to?: number;
  conversationId?: number;
  clientMsgId: string;
  type: ChatMessageType;
  body: string;
  /** The file a `file` or `image` message carries (checked before it was submitted): messages.file_id. */
  fileId?: number;
}

export interface SendResult {
  message: ChatMessage;
  /** True when this (sender, clientMsgId) was already stored: nothing new was written. */
  duplicate: boolean;
  /**
   * Who should get a push: the conversation's members except the sender, as they were at this
   * message's seq (empty for duplicates). Shared by every message of a batch to the same group.
   */
  recipients: readonly number[];
}

/** What a send resolves to: its result, or the refusal it gets. */
export type Outcome = SendResult | ParleyError;

/**
 * Where an authorized send goes. `direct` names the peer; a group's recipients are read in the
 * write itself, under the conversation's row lock, so they match the seq exactly. `epoch` is the
 * conversation's post_epoch read together with what authorized the send (db/post-epoch.ts): the
 * write stores the send only while it is unchanged.
 */
export type Target = { conversationId: number; epoch: number } & ({ kind: 'direct'; peer: number } | { kind: 'group' });

/** How a send is addressed: `sender>to` or `sender@conversation` (the key of remembered targets). */
export function addressKey(cmd: SendCommand): string {
  return cmd.to !== undefined ? `${cmd.senderUid}>${cmd.to}` : `${cmd.senderUid}@${cmd.conversationId}`;
}

/** The unique key (sender_uid, client_msg_id); the column is ascii_bin, so string equality is its equality. */
export function idempotencyKey(cmd: SendCommand): string {
  return `${cmd.senderUid}\u0000${cmd.clientMsgId}`;
}
