import type { ContactView, FriendRequestView, GroupMemberView, GroupView, PublicUserView } from './client-api';
import { plainErrors } from './client-error';
import type { Directory } from './directory';

/**
 * ParleyApi's people and group calls, answered by the Directory (lists from the last refresh; calls
 * reject with plain ApiError data). ParleyClient extends it, which keeps that file to the session.
 */
export abstract class DirectoryApi {
  /** Set by the subclass's constructor (its callbacks need the subclass). */
  protected directory!: Directory;

  contacts(): ContactView[] {
    return this.directory.contacts();
  }

  searchUsers(query: string): Promise<PublicUserView[]> {
    return plainErrors(this.directory.searchUsers(query));
  }

  requestFriend(uid: number, note?: string): Promise<void> {
    return plainErrors(this.directory.requestFriend(uid, note));
  }

  answerFriendRequest(requestId: number, accept: boolean): Promise<void> {
    return plainErrors(this.directory.answerFriendRequest(requestId, accept));
  }

  friendRequests(): FriendRequestView[] {
    return this.directory.friendRequests();
  }

  groups(): GroupView[] {
    return this.directory.groups();
  }

  createGroup(name: string, memberUids: number[]): Promise<GroupView> {
    return plainErrors(this.directory.createGroup(name, memberUids));
  }

  groupMembers(groupId: number): Promise<GroupMemberView[]> {
    return plainErrors(this.directory.groupMembers(groupId));
  }

  invite(groupId: number, uids: number[]): Promise<void> {
    return plainErrors(this.directory.invite(groupId, uids));
  }

  removeMember(groupId: number, uid: number): Promise<void> {
    return plainErrors(this.directory.removeMember(groupId, uid));
  }

  leaveGroup(groupId: number): Promise<void> {
    return plainErrors(this.directory.leaveGroup(groupId));
  }

  renameGroup(groupId: number, name: string): Promise<void> {
    return plainErrors(this.directory.renameGroup(groupId, name));
  }
}
