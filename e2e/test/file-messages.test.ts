import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RowDataPacket } from 'mysql2/promise';
import { FileClient, FileTransfers, MsgId, type ChatClient, type ChatMessage, type FileMessageBody, type ProtocolError } from '@parley/protocol';
import { Cluster } from '../src/cluster';
import { befriend, createUser, login, waitFor, type TestUser } from './support/chat-fixtures';

// Files in the chat: file and image messages in direct chats and groups (the chat server checks the
// file; the message is what lets the recipients download it), forwarding, refusals, and avatars.
let cluster: Cluster;
let work: string;
let n = 0;

before(async () => {
  cluster = await Cluster.start({ chatServers: 2, fileServers: 1, kinds: ['chat', 'file'], sections: { cluster: { log_level: 'info' }, file: { min_free_bytes: 0 } } });
  work = mkdtempSync(join(tmpdir(), 'parley-e2e-msg-'));
});

after(async () => {
  await cluster?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

function transfers(user: TestUser): FileTransfers {
  const f = cluster.fileEndpoint('file1');
  return new FileTransfers({ endpoint: { host: f.host, port: f.tcpPort }, uid: user.uid, token: user.token, attempts: 1 });
}

/** Uploads random bytes as `user` and returns the message body naming the file. */
async function upload(user: TestUser, mime: string, size = 200_000): Promise<FileMessageBody & { bytes: Buffer }> {
  const bytes = randomBytes(size);
  const path = join(work, `u${++n}`);
  writeFileSync(path, bytes);
  const t = transfers(user);
  const r = await t.upload(path, { mime, name: `file-${n}` });
  await t.close();
  return { fileId: r.fileId, name: r.name, size: r.size, sha256: r.sha256, mime, bytes };
}

const bodyOf = ({ fileId, name, size, sha256, mime }: FileMessageBody) => JSON.stringify({ fileId, name, size, sha256, mime });

/** Downloads as `user`; resolves the bytes or the error code. */
async function download(user: TestUser, fileId: number): Promise<Buffer | string> {
  const t = transfers(user);
  const path = join(work, `d${++n}`);
  try {
    await t.download(fileId, path);
    return readFileSync(path);
  } catch (err) {
    return (err as ProtocolError).code;
  } finally {
    await t.close();
  }
}

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return (err as ProtocolError).code;
  }
}

function pushes(client: ChatClient): ChatMessage[] {
  const got: ChatMessage[] = [];
  client.on('push', (id, msg) => {
    if (id === MsgId.MessagePush) got.push(msg as ChatMessage);
  });
  return got;
}

const endpoint = (i: number) => cluster.chatEndpoint(i % 2 === 0 ? 'chat1' : 'chat2');

describe('files in the chat', () => {
  it('sends a file in a direct chat: the recipient gets the message and may download the file; strangers may not', async () => {
    const [a, b, stranger] = [await createUser(cluster), await createUser(cluster), await createUser(cluster)];
    await befriend(cluster, a.uid, b.uid);
    const [ca, cb] = [await login(endpoint(0), a), await login(endpoint(1), b)];
    const got = pushes(cb);
    const file = await upload(a, 'application/pdf');
    const ack = await ca.sendMessage({ to: b.uid }, bodyOf(file), { type: 'file' });
    const [row] = (await cluster.env.pool.query<RowDataPacket[]>('SELECT file_id FROM messages WHERE conversation_id = ? AND seq = ?', [ack.conversationId, ack.seq]))[0];
    assert.equal(Number(row?.file_id), file.fileId, 'messages.file_id records the file');
    const [carried] = await cluster.env.pool.query<RowDataPacket[]>('SELECT conversation_id, seq FROM message_files WHERE file_id = ?', [file.fileId]);
    assert.deepEqual(carried.map((r) => [Number(r.conversation_id), Number(r.seq)]), [[ack.conversationId, ack.seq]], 'message_files records who may download it');
    await waitFor(() => got.find((m) => m.seq === ack.seq), 5000, 'the push');
    assert.deepEqual(JSON.parse(got[0]?.body ?? '{}'), JSON.parse(bodyOf(file)));
    assert.ok((await download(b, file.fileId) as Buffer).equals(file.bytes), 'the recipient downloads it');
    assert.equal(await download(stranger, file.fileId), 'FILE_NOT_FOUND');
    await Promise.all([ca.close(), cb.close()]);
  });

  it('sends an image in a group: members read it, a member who joined later and non-members do not; forwarding works', async () => {
    const [owner, member, late, outsider, friendOfMember] = [await createUser(cluster), await createUser(cluster), await createUser(cluster), await createUser(cluster), await createUser(cluster)];
    for (const u of [member, late]) await befriend(cluster, owner.uid, u.uid);
    await befriend(cluster, member.uid, friendOfMember.uid);
    const [co, cm] = [await login(endpoint(0), owner), await login(endpoint(1), member)];
    const { group } = await co.request(MsgId.GroupCreateReq, { name: 'Photos', members: [member.uid] });
    const image = await upload(owner, 'image/png');
    const ack = await co.sendMessage({ conversationId: group.conversationId }, bodyOf(image), { type: 'image' });
    assert.ok(ack.seq > 1);
    await co.request(MsgId.GroupInviteReq, { groupId: group.groupId, uids: [late.uid] });
    assert.ok((await download(member, image.fileId) as Buffer).equals(image.bytes));
    assert.equal(await download(late, image.fileId), 'FILE_NOT_FOUND', 'joined after the message');
    assert.equal(await download(outsider, image.fileId), 'FILE_NOT_FOUND');
    // The member forwards what they received to a friend of theirs, who may then read it too.
    const fwd = await cm.sendMessage({ to: friendOfMember.uid }, bodyOf({ ...image, name: 'renamed.png' }), { type: 'image' });
    assert.ok(fwd.seq >= 1);
    assert.ok((await download(friendOfMember, image.fileId) as Buffer).equals(image.bytes));
    await Promise.all([co.close(), cm.close()]);
  });

  it('refuses file messages for an incomplete, foreign or mismatched file, and a malformed body', async () => {
    const [a, b, c] = [await createUser(cluster), await createUser(cluster), await createUser(cluster)];
    await befriend(cluster, a.uid, b.uid);
    const ca = await login(endpoint(0), a);
    const mine = await upload(a, 'text/plain');
    const foreign = await upload(c, 'image/png');
    const fc = new FileClient();
    await fc.connect(cluster.fileEndpoint('file1').host, cluster.fileEndpoint('file1').tcpPort);
    await fc.login(a.uid, a.token);
    const unfinished = await fc.request(MsgId.UploadInitReq, { name: 'u', size: 100, sha256: 'c'.repeat(64), mime: 'image/png' });
    await fc.close();
    const send = (body: string, type: 'file' | 'image' = 'file') => refusal(ca.sendMessage({ to: b.uid }, body, { type }));
    assert.equal(await send(bodyOf({ fileId: unfinished.fileId, name: 'u', size: 100, sha256: 'c'.repeat(64), mime: 'image/png' })), 'FILE_INCOMPLETE');
    assert.equal(await send(bodyOf(foreign)), 'FILE_NOT_FOUND', "someone else's file");
    assert.equal(await send(bodyOf({ ...mine, fileId: 999_999_999 })), 'FILE_NOT_FOUND');
    assert.equal(await send(bodyOf({ ...mine, size: mine.size + 1 })), 'VALIDATION_FAILED');
    assert.equal(await send(bodyOf(mine), 'image'), 'VALIDATION_FAILED', 'text/plain is not an image');
    assert.equal(await send('not json'), 'VALIDATION_FAILED');
    assert.equal(await send(JSON.stringify({ fileId: mine.fileId })), 'VALIDATION_FAILED');
    assert.equal(await send(bodyOf(mine)), 'ok');
    await ca.close();
  });

  it('sets an uploaded image as the avatar; others see file:<id> and download it', async () => {
    const [a, b, stranger] = [await createUser(cluster), await createUser(cluster), await createUser(cluster)];
    await befriend(cluster, a.uid, b.uid);
    const [ca, cb] = [await login(endpoint(0), a), await login(endpoint(1), b)];
    const image = await upload(a, 'image/jpeg', 50_000);
    const notImage = await upload(a, 'application/zip', 1000);
    const foreign = await upload(b, 'image/png', 1000);
    assert.equal(await refusal(ca.request(MsgId.ProfileUpdateReq, { avatar: { fileId: notImage.fileId } })), 'VALIDATION_FAILED');
    assert.equal(await refusal(ca.request(MsgId.ProfileUpdateReq, { avatar: { fileId: foreign.fileId } })), 'FILE_NOT_FOUND');
    assert.equal(await download(stranger, image.fileId), 'FILE_NOT_FOUND', 'private before it is an avatar');

    const resp = await ca.request(MsgId.ProfileUpdateReq, { nickname: ' Ada ', avatar: { fileId: image.fileId } });
    assert.deepEqual([resp.user.uid, resp.user.nickname, resp.user.avatar], [a.uid, 'Ada', `file:${image.fileId}`]);
    const friends = await cb.request(MsgId.FriendListReq, {});
    assert.equal(friends.friends.find((f) => f.uid === a.uid)?.avatar, `file:${image.fileId}`);
    assert.ok((await download(stranger, image.fileId) as Buffer).equals(image.bytes), 'anyone may fetch an avatar');
    assert.equal((await ca.request(MsgId.ProfileUpdateReq, { avatar: null })).user.avatar, '');

    // A group avatar: the owner's image, public once set; a member may not set one.
    const { group } = await ca.request(MsgId.GroupCreateReq, { name: 'G', members: [b.uid] });
    const groupImage = await upload(a, 'image/png', 2000);
    const bImage = await upload(b, 'image/png', 2000);
    assert.equal(await refusal(cb.request(MsgId.GroupUpdateReq, { groupId: group.groupId, avatar: `file:${bImage.fileId}` })), 'FORBIDDEN');
    assert.equal(await download(stranger, bImage.fileId), 'FILE_NOT_FOUND', 'a refused change publishes nothing');
    const updated = await ca.request(MsgId.GroupUpdateReq, { groupId: group.groupId, avatar: `file:${groupImage.fileId}` });
    assert.equal(updated.group.avatar, `file:${groupImage.fileId}`);
    assert.ok((await download(stranger, groupImage.fileId) as Buffer).equals(groupImage.bytes));
    assert.equal(await refusal(ca.request(MsgId.GroupUpdateReq, { groupId: group.groupId, avatar: 'file:abc' })), 'VALIDATION_FAILED');
    assert.equal((await ca.request(MsgId.GroupUpdateReq, { groupId: group.groupId, avatar: 'https://example.test/a.png' })).group.avatar, 'https://example.test/a.png');
    await Promise.all([ca.close(), cb.close()]);
  });
});
