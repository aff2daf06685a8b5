import { MsgId, type FriendNotify, type GroupNotify, type RequestMsgId } from '@parley/protocol/codec';
import type { ContactView, FriendRequestView, GroupMemberView, GroupView, PublicUserView } from './client-api';
import type { RequestBody, ResponseOf } from './connection/chat-connection';
import type { Emitter } from './events';
import { contactView, friendRequestView, groupView } from './views';

export type Requester = <I extends RequestMsgId>(id: I, body: RequestBody<I>) => Promise<ResponseOf<I>>;

/**
 * Friends (with presence), friend requests and groups: the lists the UI shows, refreshed from the
 * server after each (re)connect and on FriendNotify / GroupNotify pushes. The chat server pushes no
 * presence changes, so `online` is as fresh as the last friend list (refreshed every presence interval).
 */
export class Directory {
  private contactList: ContactView[] = [];
  private requestList: FriendRequestView[] = [];
  private groupList: GroupView[] = [];
  private presenceTimer: ReturnType<typeof setInterval> | undefined;
  /** Everyone seen in a friend list, request, member list or search: sender names in group chats. */
  private readonly known = new Map<number, PublicUserView>();

  constructor(
    private readonly request: Requester,
    private readonly emitter: Emitter,
    private readonly onListsChanged: () => void,
  ) {}

  contacts(): ContactView[] {
    return this.contactList.map((c) => ({ ...c }));
  }

  /** What this session has seen of a user (friends, requests, group members, search results). */
  user(uid: number): PublicUserView | undefined {
    const u = this.known.get(uid);
    return u ? { ...u } : undefined;
  }

  private remember(users: Iterable<PublicUserView>): void {
    for (const u of users) this.known.set(u.uid, { uid: u.uid, name: u.name, nickname: u.nickname, avatar: u.avatar });
  }

  contactByUid(uid: number): ContactView | undefined {
    return this.contactList.find((c) => c.uid === uid);
  }

  friendRequests(): FriendRequestView[] {
    return this.requestList.map((r) => ({ ...r }));
  }

  groups(): GroupView[] {
    return this.groupList.map((g) => ({ ...g }));
  }

  groupById(groupId: number): GroupView | undefined {
    return this.groupList.find((g) => g.groupId === groupId);
  }

  /** Refreshes the friend list (and with it `online`) every intervalMs while online. */
  startPresence(intervalMs: number): void {
    this.stopPresence();
    this.presenceTimer = setInterval(() => void this.refreshContacts().catch(() => undefined), intervalMs);
    (this.presenceTimer as { unref?: () => void }).unref?.();
  }

  stopPresence(): void {
    if (this.presenceTimer !== undefined) clearInterval(this.presenceTimer);
    this.presenceTimer = undefined;
  }

  async refresh(): Promise<void> {
    await Promise.all([this.refreshContacts(), this.refreshRequests(), this.refreshGroups()]);
  }

  async refreshContacts(): Promise<void> {
    const resp = await this.request(MsgId.FriendListReq, {});
    this.contactList = resp.friends.map(contactView).sort((a, b) => a.nickname.localeCompare(b.nickname));
    this.remember(this.contactList);
    this.emitter.emit('contacts', this.contacts());
    this.onListsChanged();
  }

  async refreshRequests(): Promise<void> {
    const resp = await this.request(MsgId.FriendRequestListReq, {});
    this.requestList = [...resp.incoming.map((r) => friendRequestView(r, true)), ...resp.outgoing.map((r) => friendRequestView(r, false))];
    this.remember(this.requestList.flatMap((r) => [r.from, r.to]));
    this.emitter.emit('friendRequests', this.friendRequests());
  }

  async refreshGroups(): Promise<void> {
    const resp = await this.request(MsgId.GroupListReq, {});
    this.groupList = resp.groups.map(groupView);
    this.emitter.emit('groups', this.groups());
    this.onListsChanged();
  }

  onFriendNotify(_notify: FriendNotify): Promise<void> {
    return Promise.all([this.refreshContacts(), this.refreshRequests()]).then(() => undefined);
  }

  onGroupNotify(_notify: GroupNotify): Promise<void> {
    return this.refreshGroups();
  }

  async searchUsers(query: string): Promise<PublicUserView[]> {
    const resp = await this.request(MsgId.SearchUserReq, { query });
    this.remember(resp.users);
    return resp.users.map((u) => ({ ...u }));
  }

  async requestFriend(uid: number, note?: string): Promise<void> {
    await this.request(MsgId.FriendRequestReq, note === undefined ? { toUid: uid } : { toUid: uid, note });
    await this.refreshRequests();
  }

  async answerFriendRequest(requestId: number, accept: boolean): Promise<void> {
    await this.request(MsgId.FriendReplyReq, { requestId, accept });
    await Promise.all([this.refreshRequests(), this.refreshContacts()]);
  }

  async createGroup(name: string, memberUids: number[]): Promise<GroupView> {
    const resp = await this.request(MsgId.GroupCreateReq, { name, members: memberUids });
    await this.refreshGroups();
    return groupView(resp.group);
  }

  async groupMembers(groupId: number): Promise<GroupMemberView[]> {
    const members: GroupMemberView[] = [];
    let afterUid: number | undefined = 0;
    while (afterUid !== undefined) {
      const resp: ResponseOf<typeof MsgId.GroupInfoReq> = await this.request(MsgId.GroupInfoReq, { groupId, afterUid });
      members.push(...resp.members.map((m) => ({ ...m })));
      afterUid = resp.nextAfterUid;
    }
    this.remember(members);
    return members;
  }

  async invite(groupId: number, uids: number[]): Promise<void> {
    await this.request(MsgId.GroupInviteReq, { groupId, uids });
    await this.refreshGroups();
  }

  async removeMember(groupId: number, uid: number): Promise<void> {
    await this.request(MsgId.GroupRemoveReq, { groupId, uid });
    await this.refreshGroups();
  }

  async leaveGroup(groupId: number): Promise<void> {
    await this.request(MsgId.GroupLeaveReq, { groupId });
    await this.refreshGroups();
  }

  async renameGroup(groupId: number, name: string): Promise<void> {
    await this.request(MsgId.GroupUpdateReq, { groupId, name });
    await this.refreshGroups();
  }
}
