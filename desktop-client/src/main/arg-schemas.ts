/**
 * One argument schema per allow-listed method: the renderer is untrusted, so every argument is
 * checked for type, range and length before anything reaches the core. Limits come from
 * @parley/protocol so they match what the servers accept.
 */
import {
  MAX_CLIENT_MSG_ID_CHARS,
  MAX_FILE_NAME_CHARS,
  MAX_FRIEND_NOTE_CHARS,
  MAX_GROUP_INVITE_UIDS,
  MAX_GROUP_NAME_CHARS,
  MAX_HISTORY_LIMIT,
  MAX_MESSAGE_BODY_BYTES,
  MAX_MIME_CHARS,
  MAX_NICKNAME_CHARS,
  MAX_SEARCH_QUERY_CHARS,
} from '@parley/protocol';
import { z } from 'zod';
import type { RouterMethod } from '../shared/channels';

/** One upload read answer may carry at most this many bytes (the core reads file chunks of 256 KiB by default). */
export const MAX_UPLOAD_READ_BYTES = 4 * 1024 * 1024;
/** Ids minted by the preload (clientMsgId, upload ids, download tags) and transfer ids minted by the core. */
const TOKEN = /^[A-Za-z0-9._:-]+$/;
const MAX_TOKEN_CHARS = 128;
const MAX_EMAIL_CHARS = 254;
const MAX_PASSWORD_CHARS = 1024;
const MAX_CODE_CHARS = 16;
const MAX_FILE_ID_CHARS = 64;
const MAX_ERROR_CODE_CHARS = 64;
/** docs/protocol.md: an avatar string is at most 512 characters. */
const MAX_AVATAR_CHARS = 512;

const id = z.int().positive();
const token = (max: number) => z.string().min(1).max(max).regex(TOKEN);
const text = (min: number, max: number) => z.string().min(min).max(max);
const utf8Bytes = (s: string) => new TextEncoder().encode(s).length;
const messageText = z
  .string()
  .min(1)
  .refine((s) => s.length <= MAX_MESSAGE_BODY_BYTES && utf8Bytes(s) <= MAX_MESSAGE_BODY_BYTES, { message: `at most ${MAX_MESSAGE_BODY_BYTES} UTF-8 bytes` });
const uids = z.array(id).max(MAX_GROUP_INVITE_UIDS);

const uploadMeta = z.strictObject({
  uploadId: token(MAX_TOKEN_CHARS),
  name: text(1, MAX_FILE_NAME_CHARS),
  mime: text(0, MAX_MIME_CHARS),
  size: z.int().nonnegative(),
});

const fileRef = z.strictObject({
  fileId: text(1, MAX_FILE_ID_CHARS),
  name: text(1, MAX_FILE_NAME_CHARS),
  size: z.int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  mime: text(0, MAX_MIME_CHARS),
});

const accountForm = {
  email: text(3, MAX_EMAIL_CHARS),
  code: text(1, MAX_CODE_CHARS),
  password: text(1, MAX_PASSWORD_CHARS),
};

/** Argument tuples, exactly as the preload sends them (optional arguments travel as undefined). */
export const ARG_SCHEMAS = {
  sendCode: z.tuple([text(3, MAX_EMAIL_CHARS), z.enum(['register', 'reset'])]),
  register: z.tuple([z.strictObject({ ...accountForm, name: text(1, MAX_NICKNAME_CHARS) })]),
  resetPassword: z.tuple([z.strictObject(accountForm)]),
  login: z.tuple([text(1, MAX_EMAIL_CHARS), text(1, MAX_PASSWORD_CHARS)]),
  resume: z.tuple([]),
  logout: z.tuple([]),
  history: z.tuple([id, id.optional(), z.int().min(1).max(MAX_HISTORY_LIMIT).optional()]),
  sendText: z.tuple([id, messageText, token(MAX_CLIENT_MSG_ID_CHARS)]),
  retry: z.tuple([token(MAX_CLIENT_MSG_ID_CHARS)]),
  markRead: z.tuple([id]),
  searchUsers: z.tuple([text(1, MAX_SEARCH_QUERY_CHARS)]),
  requestFriend: z.tuple([id, text(0, MAX_FRIEND_NOTE_CHARS).optional()]),
  answerFriendRequest: z.tuple([id, z.boolean()]),
  updateProfile: z.tuple([z.strictObject({ nickname: text(1, MAX_NICKNAME_CHARS).optional(), avatarFileId: text(1, MAX_FILE_ID_CHARS).nullable().optional() })]),
  createGroup: z.tuple([text(1, MAX_GROUP_NAME_CHARS), uids]),
  groupMembers: z.tuple([id]),
  invite: z.tuple([id, uids]),
  removeMember: z.tuple([id, id]),
  leaveGroup: z.tuple([id]),
  renameGroup: z.tuple([id, text(1, MAX_GROUP_NAME_CHARS)]),
  sendFile: z.tuple([id, uploadMeta]),
  uploadFile: z.tuple([uploadMeta]),
  download: z.tuple([fileRef, token(MAX_TOKEN_CHARS)]),
  pauseTransfer: z.tuple([token(MAX_TOKEN_CHARS)]),
  resumeTransfer: z.tuple([token(MAX_TOKEN_CHARS)]),
  cancelTransfer: z.tuple([token(MAX_TOKEN_CHARS)]),
  avatarImage: z.tuple([text(0, MAX_AVATAR_CHARS)]),
  snapshot: z.tuple([]),
  uploadData: z.union([
    z.tuple([z.int().positive(), z.instanceof(Uint8Array).refine((b) => b.byteLength <= MAX_UPLOAD_READ_BYTES, { message: 'too many bytes' })]),
    z.tuple([z.int().positive(), z.null(), token(MAX_ERROR_CODE_CHARS)]),
  ]),
} as const satisfies Record<RouterMethod, z.ZodType<unknown[]>>;

export type RouterArgs = { [M in RouterMethod]: z.output<(typeof ARG_SCHEMAS)[M]> };

/** The arguments parsed against the method's schema, or a short reason (never echoing the input). */
export function parseArgs<M extends RouterMethod>(method: M, args: unknown[]): { ok: true; args: RouterArgs[M] } | { ok: false; reason: string } {
  const result = (ARG_SCHEMAS[method] as unknown as z.ZodType<RouterArgs[M]>).safeParse(args);
  if (result.success) return { ok: true, args: result.data };
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? `argument ${issue.path.join('.')}` : 'arguments';
  return { ok: false, reason: `${method}: ${where}: ${issue?.message ?? 'invalid'}` };
}
