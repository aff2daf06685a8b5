export { createFriendHandlers, type FriendHandlerDeps, type FriendHandlers } from './friend-handlers';
export { FriendService, MAX_LISTED_REQUESTS, directKey, escapeLike, type SendRequestResult, type ReplyResult, type StoredFriend, type Befriended } from './friend-service';
export { lockUserPair } from './friend-transaction';
export { withTransaction, ER_LOCK_DEADLOCK, type TransactionOptions } from '../db/transaction';
