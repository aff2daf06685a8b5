import { z } from 'zod';
import { PublicUserSchema, ReqIdSchema, TimestampSchema, UidSchema } from './entity-schemas';

/*
 * Blocking (ids 33–38, docs/protocol.md "Blocking"). Blocking ends a friendship and pending
 * requests between the two; until unblocked, the blocked user can neither send the blocker a
 * friend request nor a direct message (BLOCKED) and never learns the blocker's online state.
 */

export const BlockReqSchema = z.object({ reqId: ReqIdSchema, uid: UidSchema });
export type BlockReq = z.infer<typeof BlockReqSchema>;

export const BlockRespSchema = z.object({ reqId: ReqIdSchema });
export type BlockResp = z.infer<typeof BlockRespSchema>;

export const UnblockReqSchema = z.object({ reqId: ReqIdSchema, uid: UidSchema });
export type UnblockReq = z.infer<typeof UnblockReqSchema>;

export const UnblockRespSchema = z.object({ reqId: ReqIdSchema });
export type UnblockResp = z.infer<typeof UnblockRespSchema>;

export const BlockListReqSchema = z.object({ reqId: ReqIdSchema });
export type BlockListReq = z.infer<typeof BlockListReqSchema>;

export const BlockedUserSchema = z.object({ user: PublicUserSchema, blockedAt: TimestampSchema });
export type BlockedUser = z.infer<typeof BlockedUserSchema>;

/** Most recent first, at most MAX_LISTED_BLOCKS. */
export const BlockListRespSchema = z.object({ reqId: ReqIdSchema, blocked: z.array(BlockedUserSchema) });
export type BlockListResp = z.infer<typeof BlockListRespSchema>;
