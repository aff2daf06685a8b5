import type { RowDataPacket } from 'mysql2/promise';
import { ParleyError, type MysqlPool } from '@parley/common';
import { MsgId } from '@parley/protocol';
import type { RequestHandlers } from '../session/request-router';
import { avatarFromFile, publishAvatar } from './avatar-files';

export type ProfileHandlers = Required<Pick<RequestHandlers, typeof MsgId.ProfileUpdateReq>>;

/**
 * ProfileUpdateReq: a new nickname and/or avatar for the caller. `avatar: { fileId }` must name
 * the caller's own complete image (it becomes public, users.avatar = `file:<fileId>`); `null`
 * clears it. Others see the change wherever a PublicUser is sent (friend lists, search, groups);
 * nothing is pushed.
 */
export function createProfileHandlers({ pool }: { pool: MysqlPool }): ProfileHandlers {
  return {
    [MsgId.ProfileUpdateReq]: async (ctx, req) => {
      const sets: string[] = [];
      const args: unknown[] = [];
      if (req.nickname !== undefined) {
        sets.push('nickname = ?');
        args.push(req.nickname);
      }
      const avatar = req.avatar === undefined ? undefined : req.avatar === null ? { value: '' } : await avatarFromFile(pool, ctx.uid, req.avatar.fileId);
      if (avatar) {
        sets.push('avatar = ?');
        args.push(avatar.value);
        // Public before anyone can see the reference, so nobody is refused a download of it.
        await publishAvatar(pool, avatar);
      }
      await pool.query(`UPDATE users SET ${sets.join(', ')} WHERE id = ?`, [...args, ctx.uid]);
      const [rows] = await pool.query<RowDataPacket[]>('SELECT id, name, nickname, avatar FROM users WHERE id = ?', [ctx.uid]);
      const row = rows[0];
      if (!row) throw new ParleyError('NOT_FOUND', 'Your account no longer exists');
      return { user: { uid: Number(row.id), name: String(row.name), nickname: String(row.nickname), avatar: String(row.avatar) } };
    },
  };
}
