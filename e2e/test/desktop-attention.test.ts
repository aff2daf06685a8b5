/**
 * The desktop app's attention logic (createAttentionController: window title, badge, notifications)
 * fed by the REAL core's events from a real cluster, as electron-main wires it: a message that arrives
 * while the window is unfocused raises one notification with the sender's name and a preview; the
 * unread total is the title and the badge; reading clears them; group system events stay silent.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { ParleyClient } from '@parley/client';
import { createAttentionController } from '@parley/desktop/dist/src/main/attention-controller';
import type { NotificationContent } from '@parley/desktop/dist/src/main/attention';
import { Cluster } from '../src/cluster';
import { waitFor } from './support/chat-fixtures';
import { befriend, desktopCore, plainCore, signUp, type Account } from './support/desktop-fixtures';

let cluster: Cluster;
let dataDir: string;
let core: ParleyClient;
let bob: ParleyClient;
let a: Account;
let b: Account;
let conv = 0;
let stop: () => void = () => undefined;

/** What electron-main hands the controller: the window's focus and title, the app badge, Notification. */
const target = {
  focused: true,
  titles: [] as string[],
  badges: [] as number[],
  notifications: [] as NotificationContent[],
  isFocused: () => target.focused,
  setTitle: (title: string) => void target.titles.push(title),
  setBadgeCount: (count: number) => void target.badges.push(count),
  notify: (content: NotificationContent) => void target.notifications.push(content),
};

before(async () => {
  cluster = await Cluster.start({
    chatServers: 1,
    kinds: ['verify', 'status', 'gate', 'chat'],
    sections: { cluster: { log_level: 'info' }, verify: { resend_interval_sec: 0, hourly_limit_per_ip: 100000 } },
  });
  dataDir = mkdtempSync(join(tmpdir(), 'parley-desktop-userdata-'));
  core = await desktopCore(cluster, dataDir);
  stop = createAttentionController(core, target);
  bob = plainCore(cluster);
  a = await signUp(cluster, core, 'aa');
  b = await signUp(cluster, bob, 'ab');
  conv = await befriend(core, a.uid, bob, b.uid);
});

after(async () => {
  stop();
  await core?.close();
  await bob?.close();
  await cluster?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const settleMs = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('focused: the unread total becomes the title and the badge, and nothing is notified', async () => {
  assert.equal(target.titles[0], 'Parley', 'the title starts plain');
  bob.sendText(conv, 'seen while focused');
  await waitFor(() => target.titles.at(-1) === '(1) Parley' || undefined, 10000, 'the unread title');
  assert.equal(target.badges.at(-1), 1);
  await settleMs(200);
  assert.deepEqual(target.notifications, []);
});

test('unfocused: one notification titled with the sender\'s name, with a preview of the text', async () => {
  target.focused = false;
  const long = `${'x'.repeat(120)} and more`;
  bob.sendText(conv, 'are you there?');
  bob.sendText(conv, long);
  await waitFor(() => target.notifications.length === 2 || undefined, 10000, 'two notifications');
  assert.deepEqual(target.notifications[0], { title: b.name, body: 'are you there?', conversationId: conv });
  assert.equal(target.notifications[1]?.body, `${'x'.repeat(99)}…`, 'a long text is cut to a preview');
  assert.equal(target.titles.at(-1), '(3) Parley');
  assert.equal(target.badges.at(-1), 3);
  await settleMs(300);
  assert.equal(target.notifications.length, 2, 'one notification per message, however the core learned of it');
});

test('reading the conversation clears the title and the badge', async () => {
  core.markRead(conv);
  await waitFor(() => target.titles.at(-1) === 'Parley' || undefined, 5000, 'the plain title');
  assert.equal(target.badges.at(-1), 0);
});

test('in a group the title is the group\'s name and the sender\'s name leads the text; its system events are silent', async () => {
  const before = target.notifications.length;
  const group = await core.createGroup('Desk team', [b.uid]);
  await waitFor(() => bob.groups().find((g) => g.groupId === group.groupId), 10000, 'bob in the group');
  bob.sendText(group.conversationId, 'hi team');
  await waitFor(() => target.notifications.length > before || undefined, 10000, 'the group notification');
  await settleMs(300);
  assert.deepEqual(target.notifications.slice(before), [{ title: 'Desk team', body: `${b.name}: hi team`, conversationId: group.conversationId }]);
  assert.equal(target.titles.at(-1), '(1) Parley');
});
