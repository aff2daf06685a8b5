/**
 * How feature services reach users without knowing where they are connected: the session layer
 * implements it (local sockets, or ChatPeer.Deliver to the server in the user's Redis route).
 */
export interface UserNotifier {
  /** Pushes one server frame to every live session of `uid` in the cluster; an offline user is skipped. */
  push(uid: number, msgId: number, body: object): Promise<void>;
  /** Pushes one frame, serialised once, to every live session of each uid. */
  pushMany(uids: readonly number[], msgId: number, body: object): Promise<void>;
  /** Whether each uid has a live session somewhere in the cluster. */
  onlineState(uids: readonly number[]): Promise<Map<number, boolean>>;
}
