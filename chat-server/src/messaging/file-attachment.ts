import { findReadableFile, ParleyError, type MysqlPool } from '@parley/common';
import { FileMessageBodySchema, isImageMime, summariseIssues, type ChatMessageType } from '@parley/protocol';

/**
 * The file a `file` or `image` message carries (docs/protocol.md, "File and image messages"): the
 * body must be the JSON of { fileId, name, size, sha256, mime } naming a complete file the sender
 * may read — their own, or one they received (forwarding) — with that size and sha256, and for
 * `image` a stored mime type of image/*. Resolves the fileId to store in messages.file_id;
 * undefined for other types.
 *
 * Checked before the send is submitted: a file never becomes unreadable to its owner and never
 * stops being complete, so the check holds at commit; a forwarder removed from the conversation
 * in between is the one case it misses, and that sender could have read the file a moment ago.
 */
export async function checkAttachment(pool: MysqlPool, uid: number, type: ChatMessageType, body: string): Promise<number | undefined> {
  if (type !== 'file' && type !== 'image') return undefined;
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new ParleyError('VALIDATION_FAILED', `A ${type} message's body is the JSON of { fileId, name, size, sha256, mime }`, { details: [{ path: 'body', message: 'not JSON' }] });
  }
  const parsed = FileMessageBodySchema.safeParse(json);
  if (!parsed.success) {
    throw new ParleyError('VALIDATION_FAILED', `Invalid ${type} message body`, { details: summariseIssues(parsed.error.issues).map((i) => ({ ...i, path: `body.${i.path}` })) });
  }
  const { fileId, size, sha256 } = parsed.data;
  const file = await findReadableFile(pool, uid, fileId);
  if (!file) throw new ParleyError('FILE_NOT_FOUND', undefined, { details: { fileId } });
  if (file.state !== 'complete') throw new ParleyError('FILE_INCOMPLETE', undefined, { details: { fileId } });
  if (file.size !== size || file.sha256 !== sha256) {
    throw new ParleyError('VALIDATION_FAILED', 'size and sha256 must be those of the file', { details: [{ path: 'body.size', message: `the file has ${file.size} bytes and sha256 ${file.sha256}` }] });
  }
  if (type === 'image' && !isImageMime(file.mime)) {
    throw new ParleyError('VALIDATION_FAILED', 'An image message needs an image/* file', { details: [{ path: 'type', message: `the file is ${file.mime}` }] });
  }
  return fileId;
}
