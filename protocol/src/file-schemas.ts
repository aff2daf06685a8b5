import { z } from 'zod';
import { ConversationIdSchema, ReqIdSchema } from './entity-schemas';
import { ErrorMsgSchema, LoginReqSchema, LoginRespSchema, PingSchema, PongSchema, ReconnectSchema } from './message-schemas';
import { MsgId } from './message-ids';
import { MAX_FILE_NAME_CHARS, MAX_MIME_CHARS } from './protocol-limits';

/* File transfer: the file server's messages (ids 100–110, docs/protocol.md "File transfer"). */

export const FileIdSchema = z.int().positive();
/** Bytes; `z.int()` keeps it within the safe-integer range. */
export const FileSizeSchema = z.int().nonnegative();
export const FileOffsetSchema = z.int().nonnegative();
export const Sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits');

/** Control and format characters would let a name pretend to be another (or break a terminal). */
const FORMAT_CHARS = /[\p{Cc}\p{Cf}]/u;

/** A display name: 1–255 characters, no control or format characters. Never used as a path. */
export const FileNameSchema = z
  .string()
  .min(1)
  .max(MAX_FILE_NAME_CHARS)
  .refine((s) => !FORMAT_CHARS.test(s), { message: 'must not contain control or format characters' });

/** type/subtype (RFC 6838 characters), stored lower-case. */
export const MimeSchema = z
  .string()
  .max(MAX_MIME_CHARS)
  .regex(/^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$/, 'must be a type/subtype')
  .transform((s) => s.toLowerCase());

export function isImageMime(mime: string): boolean {
  return mime.toLowerCase().startsWith('image/');
}

/** The body (a JSON string) of a chat message of type `file` or `image`. */
export const FileMessageBodySchema = z.object({
  fileId: FileIdSchema,
  name: FileNameSchema,
  size: FileSizeSchema,
  sha256: Sha256Schema,
  mime: MimeSchema,
});
export type FileMessageBody = z.infer<typeof FileMessageBodySchema>;

/** How a user's or group's avatar names an uploaded image: `file:<fileId>`. */
const FILE_REF = /^file:([1-9][0-9]{0,15})$/;

export function fileRef(fileId: number): string {
  return `file:${fileId}`;
}

/** The fileId of a `file:<fileId>` reference; undefined for anything else (a URL, ''). */
export function parseFileRef(value: string): number | undefined {
  const m = FILE_REF.exec(value);
  const id = m ? Number(m[1]) : undefined;
  return id !== undefined && Number.isSafeInteger(id) ? id : undefined;
}

// Upload

export const UploadInitReqSchema = z.object({
  reqId: ReqIdSchema,
  name: FileNameSchema,
  size: FileSizeSchema,
  sha256: Sha256Schema,
  mime: MimeSchema,
  /** The conversation the file is for (the uploader must be a member); informational. */
  conversationId: ConversationIdSchema.optional(),
});
export type UploadInitReq = z.infer<typeof UploadInitReqSchema>;

/** `offset`: where to go on (0 new, the durable offset on resume, `size` when complete at once). */
export const UploadInitRespSchema = z.object({
  reqId: ReqIdSchema,
  fileId: FileIdSchema,
  offset: FileOffsetSchema,
  size: FileSizeSchema,
  complete: z.boolean(),
  /** Most data bytes one UploadChunk may carry. */
  chunkBytes: z.int().positive(),
});
export type UploadInitResp = z.infer<typeof UploadInitRespSchema>;

/** The JSON header of an UploadChunk (binary body); the data follows it. */
export const UploadChunkHeaderSchema = z.object({ fileId: FileIdSchema, offset: FileOffsetSchema });
export type UploadChunkHeader = z.infer<typeof UploadChunkHeaderSchema>;

/** The chunk is written (not yet durable): `offset` is the next one the server expects. */
export const UploadChunkAckSchema = z.object({ fileId: FileIdSchema, offset: FileOffsetSchema });
export type UploadChunkAck = z.infer<typeof UploadChunkAckSchema>;

export const UploadStatusReqSchema = z.object({ reqId: ReqIdSchema, fileId: FileIdSchema });
export type UploadStatusReq = z.infer<typeof UploadStatusReqSchema>;

/** `offset` is durable: it survives a file-server crash. */
export const UploadStatusRespSchema = z.object({
  reqId: ReqIdSchema,
  fileId: FileIdSchema,
  offset: FileOffsetSchema,
  size: FileSizeSchema,
  complete: z.boolean(),
});
export type UploadStatusResp = z.infer<typeof UploadStatusRespSchema>;

/** Sent after the last chunk's ack once size and sha256 are verified and the file is stored. */
export const UploadDoneSchema = z.object({ fileId: FileIdSchema, size: FileSizeSchema, sha256: Sha256Schema });
export type UploadDone = z.infer<typeof UploadDoneSchema>;

// Download

export const DownloadReqSchema = z.object({ reqId: ReqIdSchema, fileId: FileIdSchema, offset: FileOffsetSchema.default(0) });
export type DownloadReq = z.infer<typeof DownloadReqSchema>;

/** DownloadChunk frames from `offset` to `size` follow it. */
export const DownloadRespSchema = z.object({
  reqId: ReqIdSchema,
  fileId: FileIdSchema,
  name: z.string(),
  mime: z.string(),
  size: FileSizeSchema,
  sha256: Sha256Schema,
  offset: FileOffsetSchema,
});
export type DownloadResp = z.infer<typeof DownloadRespSchema>;

export const DownloadChunkHeaderSchema = z.object({ fileId: FileIdSchema, offset: FileOffsetSchema });
export type DownloadChunkHeader = z.infer<typeof DownloadChunkHeaderSchema>;

/** Stops a download of this connection; chunks already sent may still arrive. No answer. */
export const DownloadCancelSchema = z.object({ fileId: FileIdSchema });
export type DownloadCancel = z.infer<typeof DownloadCancelSchema>;

// Direction maps of a file connection. Binary ids map to the schema of their JSON header.

export const FileClientMessageSchemas = {
  [MsgId.Ping]: PingSchema,
  [MsgId.LoginReq]: LoginReqSchema,
  [MsgId.UploadInitReq]: UploadInitReqSchema,
  [MsgId.UploadChunk]: UploadChunkHeaderSchema,
  [MsgId.UploadStatusReq]: UploadStatusReqSchema,
  [MsgId.DownloadReq]: DownloadReqSchema,
  [MsgId.DownloadCancel]: DownloadCancelSchema,
} as const;

export const FileServerMessageSchemas = {
  [MsgId.Error]: ErrorMsgSchema,
  [MsgId.Pong]: PongSchema,
  [MsgId.LoginResp]: LoginRespSchema,
  [MsgId.Reconnect]: ReconnectSchema,
  [MsgId.UploadInitResp]: UploadInitRespSchema,
  [MsgId.UploadChunkAck]: UploadChunkAckSchema,
  [MsgId.UploadStatusResp]: UploadStatusRespSchema,
  [MsgId.UploadDone]: UploadDoneSchema,
  [MsgId.DownloadResp]: DownloadRespSchema,
  [MsgId.DownloadChunk]: DownloadChunkHeaderSchema,
} as const;

/** Ids whose body is binary (header length, JSON header, data). */
export const BinaryMsgIds: ReadonlySet<number> = new Set([MsgId.UploadChunk, MsgId.DownloadChunk]);

export type FileClientFrameId = keyof typeof FileClientMessageSchemas;
export type FileServerFrameId = keyof typeof FileServerMessageSchemas;
export type FileClientMessageOf<I extends FileClientFrameId> = z.infer<(typeof FileClientMessageSchemas)[I]>;
export type FileServerMessageOf<I extends FileServerFrameId> = z.infer<(typeof FileServerMessageSchemas)[I]>;

/** `parts`: the data in pieces when the frame was gathered (TlvDecoder `gather`); `data` is then empty. */
type DataOf<I> = I extends typeof MsgId.UploadChunk | typeof MsgId.DownloadChunk ? { data: Buffer; parts?: Buffer[] } : unknown;

/** A decoded message of a file connection; binary ids carry their `data` (a view of the frame). */
export type FileClientMessage = { [I in FileClientFrameId]: { id: I; msg: FileClientMessageOf<I> } & DataOf<I> }[FileClientFrameId];
export type FileServerMessage = { [I in FileServerFrameId]: { id: I; msg: FileServerMessageOf<I> } & DataOf<I> }[FileServerFrameId];
