import { z } from 'zod';
import { ErrorCodes } from './error-codes';
import type { ErrorCode } from './error-codes';
import { MAX_CLIENT_MSG_ID_CHARS, MAX_MESSAGE_BODY_BYTES, MAX_REQ_ID } from './protocol-limits';

/*
 * Building blocks shared by several messages. Objects are plain `z.object` so unknown keys
 * are stripped, not rejected: an older peer must accept fields a newer one adds.
 * Every schema is built once at module load; parsing is on the hot path.
 */

/** `z.int()` is already limited to the safe-integer range. */
export const UidSchema = z.int().positive();
export const ReqIdSchema = z.int().min(0).max(MAX_REQ_ID);
export const ConversationIdSchema = z.int().positive();
/** Seqs start at 1 per conversation; 0 means "nothing yet" where a cursor is allowed. */
export const SeqSchema = z.int().positive();
export const SeqCursorSchema = z.int().nonnegative();
/** Milliseconds since the Unix epoch, as the server's clock saw it. */
export const TimestampSchema = z.int().nonnegative();

export const ErrorCodeSchema = z.enum(Object.keys(ErrorCodes) as [ErrorCode, ...ErrorCode[]]);

export const ChatMessageTypeSchema = z.enum(['text', 'image', 'file', 'system']);
export type ChatMessageType = z.infer<typeof ChatMessageTypeSchema>;

// Printable ASCII without spaces, compared byte for byte (the column is ascii_bin), so the server and the
// database agree exactly on which ids are the same.
export const ClientMsgIdSchema = z
  .string()
  .min(1)
  .max(MAX_CLIENT_MSG_ID_CHARS)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

// Three UTF-8 bytes per UTF-16 unit is the worst case, so short strings skip the byte count.
function fitsBodyLimit(s: string): boolean {
  if (s.length * 3 <= MAX_MESSAGE_BODY_BYTES) return true;
  return s.length <= MAX_MESSAGE_BODY_BYTES && Buffer.byteLength(s, 'utf8') <= MAX_MESSAGE_BODY_BYTES;
}

export const MessageBodySchema = z
  .string()
  .refine(fitsBodyLimit, { message: `Too big: body must be at most ${MAX_MESSAGE_BODY_BYTES} UTF-8 bytes` });

export const PublicUserSchema = z.object({
  uid: UidSchema,
  name: z.string(),
  nickname: z.string(),
  avatar: z.string(),
});
export type PublicUser = z.infer<typeof PublicUserSchema>;

export const FriendRequestStatusSchema = z.enum(['pending', 'accepted', 'declined']);
export type FriendRequestStatus = z.infer<typeof FriendRequestStatusSchema>;

export const FriendRequestInfoSchema = z.object({
  requestId: z.int().positive(),
  from: PublicUserSchema,
  to: PublicUserSchema,
  note: z.string(),
  status: FriendRequestStatusSchema,
  createdAt: TimestampSchema,
});
export type FriendRequestInfo = z.infer<typeof FriendRequestInfoSchema>;

export const FriendInfoSchema = z.object({
  ...PublicUserSchema.shape,
  online: z.boolean(),
  conversationId: ConversationIdSchema,
});
export type FriendInfo = z.infer<typeof FriendInfoSchema>;

/** One stored message as the server hands it out (push, pull and history alike). */
export const ChatMessageSchema = z.object({
  conversationId: ConversationIdSchema,
  seq: SeqSchema,
  senderUid: UidSchema,
  clientMsgId: ClientMsgIdSchema,
  type: ChatMessageTypeSchema,
  body: MessageBodySchema,
  serverTime: TimestampSchema,
});
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

export const ConversationKindSchema = z.enum(['direct', 'group']);
export type ConversationKind = z.infer<typeof ConversationKindSchema>;

/** Where a client's copy of a conversation stands; sent in SyncReq.have. */
export const ConversationCursorSchema = z.object({
  conversationId: ConversationIdSchema,
  seq: SeqCursorSchema,
});
export type ConversationCursor = z.infer<typeof ConversationCursorSchema>;

/** The server's view of one conversation in SyncResp. */
export const ConversationStateSchema = z.object({
  conversationId: ConversationIdSchema,
  kind: ConversationKindSchema,
  peerUid: UidSchema.optional(),
  /** For group conversations: the group's id (GroupInfoReq and the other group requests take it). */
  groupId: z.int().positive().optional(),
  maxSeq: SeqCursorSchema,
  ackedSeq: SeqCursorSchema,
  /** Set when the user left or was removed: maxSeq stops at that seq, nothing later can be read. */
  left: z.boolean().optional(),
});
export type ConversationState = z.infer<typeof ConversationStateSchema>;
