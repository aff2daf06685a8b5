import { z } from 'zod';
import { PublicUserSchema, ReqIdSchema } from './entity-schemas';
import { MAX_NICKNAME_CHARS } from './protocol-limits';

/* The user's own profile (ids 90–91, docs/protocol.md). */

/** Control and format characters would let a nickname pretend to be someone else's. */
const FORMAT_CHARS = /[\p{Cc}\p{Cf}]/u;

/** 1–64 characters once trimmed, no control or format characters; stored trimmed. */
export const NicknameSchema = z
  .string()
  .trim()
  .min(1)
  .max(MAX_NICKNAME_CHARS)
  .refine((s) => !FORMAT_CHARS.test(s), { message: 'must not contain control or format characters' });

/**
 * At least one field. `avatar: { fileId }` names a complete image the user uploaded (it becomes
 * public and `users.avatar` becomes `file:<fileId>`); `avatar: null` removes the avatar.
 */
export const ProfileUpdateReqSchema = z
  .object({
    reqId: ReqIdSchema,
    nickname: NicknameSchema.optional(),
    avatar: z.object({ fileId: z.int().positive() }).nullable().optional(),
  })
  .refine((m) => m.nickname !== undefined || m.avatar !== undefined, { message: 'Give at least one of nickname and avatar', path: ['nickname'] });
export type ProfileUpdateReq = z.infer<typeof ProfileUpdateReqSchema>;

/** The profile as others now see it. */
export const ProfileUpdateRespSchema = z.object({ reqId: ReqIdSchema, user: PublicUserSchema });
export type ProfileUpdateResp = z.infer<typeof ProfileUpdateRespSchema>;
