/**
 * Size and range limits of the chat protocol. Schemas, the codec and docs/protocol.md all use
 * these values, so a limit changes in one place.
 */

/** Message id (uint16 BE) + body length (uint32 BE). */
export const FRAME_HEADER_BYTES = 6;

/** Largest id that fits the uint16 id field. */
export const MAX_MESSAGE_ID = 0xffff;

/** Largest value the uint32 length field can carry; the configured limit is always far lower. */
export const MAX_LENGTH_FIELD = 0xffffffff;

/** Default for `chat.max_frame_bytes`: the largest body a server accepts from a client. */
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;

/**
 * The client-side limit for frames from the server. Larger than the server's inbound limit
 * because Pull/History pages carry many messages; servers trim pages to stay under it.
 */
export const DEFAULT_CLIENT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** reqId is a uint32 so that it fits any client's integer type. */
export const MAX_REQ_ID = 0xffffffff;

/** Limit on a chat message body, counted in UTF-8 bytes (not UTF-16 code units). */
export const MAX_MESSAGE_BODY_BYTES = 16 * 1024;

export const MAX_CLIENT_MSG_ID_CHARS = 64;
export const MAX_SEARCH_QUERY_CHARS = 64;
export const MAX_SEARCH_LIMIT = 50;
export const DEFAULT_SEARCH_LIMIT = 20;
/** Search pages stop here: deep offsets only serve enumerating every user. */
export const MAX_SEARCH_OFFSET = 200;
/** A block list answers at most this many users (most recent first). */
export const MAX_LISTED_BLOCKS = 1000;
export const MAX_FRIEND_NOTE_CHARS = 200;
export const MAX_PULL_LIMIT = 500;
export const DEFAULT_PULL_LIMIT = 100;
export const MAX_HISTORY_LIMIT = 100;
export const DEFAULT_HISTORY_LIMIT = 50;

export const MAX_GROUP_NAME_CHARS = 64;
export const MAX_GROUP_AVATAR_CHARS = 512;
/** Users one GroupCreateReq or GroupInviteReq may name (the member cap itself is server config). */
export const MAX_GROUP_INVITE_UIDS = 500;
export const MAX_GROUP_MEMBER_PAGE = 500;
export const DEFAULT_GROUP_MEMBER_PAGE = 100;

export const MAX_NICKNAME_CHARS = 64;

/* File transfer (docs/protocol.md, "File transfer"). */

export const MAX_FILE_NAME_CHARS = 255;
export const MAX_MIME_CHARS = 127;
/** A binary body starts with the length of its JSON header (uint32 BE). */
export const CHUNK_HEADER_LENGTH_BYTES = 4;
/** Largest JSON header of a binary frame; a longer one is malformed. */
export const MAX_CHUNK_HEADER_BYTES = 1024;
/** Default for `file.chunk_bytes`: the most data bytes in one UploadChunk or DownloadChunk. */
export const DEFAULT_CHUNK_BYTES = 256 * 1024;
/** Default for `file.max_file_bytes`. */
export const DEFAULT_MAX_FILE_BYTES = 2 * 1024 * 1024 * 1024;

/** Largest frame body on a file connection for a given chunk size: data plus the largest header. */
export function fileFrameLimit(chunkBytes: number): number {
  return chunkBytes + CHUNK_HEADER_LENGTH_BYTES + MAX_CHUNK_HEADER_BYTES;
}

/** Caps SyncReq.have so one request cannot make the server do unbounded work. */
export const MAX_SYNC_HAVE_ENTRIES = 10_000;

/** The server closes a connection after this many heartbeat intervals without any frame. */
export const HEARTBEAT_MISSES_BEFORE_CLOSE = 3;
