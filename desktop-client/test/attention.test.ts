import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContactView, ConversationView, MessageView } from '@parley/client';
import { badgeCount, notificationFor, totalUnread, unreadTitle, type NotificationContent } from '../src/main/attention';
import { createAttentionController } from '../src/main/attention-controller';
import { FakeCore } from './support/fake-core';

const direct: ConversationView = { conversationId: 1, kind: 'direct', peerUid: 2, title: 'Bob', avatar: '', lastActivityMs: 1, unread: 2 };
const group: ConversationView = { conversationId: 2, kind: 'group', groupId: 5, title: 'Team', avatar: '', lastActivityMs: 2, unread: 5 };
const leftGroup: ConversationView = { ...group, conversationId: 3, unread: 40, left: true };
const carol: ContactView = { uid: 3, name: 'carol', nickname: 'Carol', avatar: '', online: true, conversationId: 9 };
const msg = (over: Partial<MessageView>): MessageView => ({ conversationId: 1, seq: 1, senderUid: 2, clientMsgId: 'c', type: 'text', body: 'hello', timeMs: 1, ...over });

describe('unread title and badge', () => {
  it('the title carries the total, capped for display', () => {
    assert.equal(unreadTitle(0), 'Parley');
    assert.equal(unreadTitle(-3), 'Parley');
    assert.equal(unreadTitle(Number.NaN), 'Parley');
    assert.equal(unreadTitle(7), '(7) Parley');
    assert.equal(unreadTitle(999), '(999) Parley');
    assert.equal(unreadTitle(1000), '(999+) Parley');
  });

  it('the total skips groups I left; the badge is a plain count, 0 to clear', () => {
    assert.equal(totalUnread([direct, group, leftGroup]), 7);
    assert.equal(totalUnread([]), 0);
    assert.equal(badgeCount(7), 7);
    assert.equal(badgeCount(0), 0);
    assert.equal(badgeCount(Number.POSITIVE_INFINITY), 0);
  });
});

describe('notification content', () => {
  it('a direct message: the peer as title, the text as body, long text shortened', () => {
    assert.deepEqual(notificationFor(msg({}), [direct], []), { title: 'Bob', body: 'hello', conversationId: 1 });
    const long = notificationFor(msg({ body: 'x'.repeat(500) }), [direct], []);
    assert.equal(long?.body.length, 100);
    assert.ok(long?.body.endsWith('…'));
  });

  it('a group message leads with the sender; images and files are named, system events are silent', () => {
    assert.deepEqual(notificationFor(msg({ conversationId: 2, senderUid: 3 }), [group], [carol]), { title: 'Team', body: 'Carol: hello', conversationId: 2 });
    assert.equal(notificationFor(msg({ type: 'image', body: '{}' }), [direct], [])?.body, '[Image]');
    assert.equal(notificationFor(msg({ type: 'file', body: JSON.stringify({ name: 'report.pdf' }) }), [direct], [])?.body, '[File] report.pdf');
    assert.equal(notificationFor(msg({ type: 'file', body: 'not json' }), [direct], [])?.body, '[File]');
    assert.equal(notificationFor(msg({ type: 'system', body: '{}' }), [direct], []), undefined);
    assert.equal(notificationFor(msg({ conversationId: 3 }), [leftGroup], []), undefined);
    assert.equal(notificationFor(msg({ conversationId: 42 }), [], [])?.title, 'Parley');
  });
});

describe('attention controller', () => {
  it('keeps title and badge in step with the unread total and notifies only while the window is not focused', () => {
    const core = new FakeCore();
    core.state.conversations = [direct];
    let focused = true;
    const titles: string[] = [];
    const badges: number[] = [];
    const notes: NotificationContent[] = [];
    const stop = createAttentionController(core, {
      isFocused: () => focused,
      setTitle: (t) => titles.push(t),
      setBadgeCount: (n) => badges.push(n),
      notify: (c) => notes.push(c),
    });
    core.emit('conversations', [direct, group]);
    core.emit('conversations', [direct, group]); // unchanged total: nothing new
    core.emit('incoming', msg({}));
    focused = false;
    core.emit('incoming', msg({ body: 'are you there?' }));
    core.emit('conversations', []);
    assert.deepEqual(titles, ['(2) Parley', '(7) Parley', 'Parley']);
    assert.deepEqual(badges, [2, 7, 0]);
    assert.deepEqual(notes, [{ title: 'Bob', body: 'are you there?', conversationId: 1 }]);
    stop();
    core.emit('incoming', msg({ body: 'after stop' }));
    assert.equal(notes.length, 1);
  });
});
