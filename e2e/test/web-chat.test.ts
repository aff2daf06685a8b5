/**
 * The web app as a product, in Debian's Chromium against a real cluster (2 chat servers, 1 file server;
 * the gate serves the built app): people register with mailed codes, become friends, chat both ways,
 * come back after being away, keep their history across a reload, chat in a group, and send files and
 * images. One cluster, one browser, a context per person. Each test builds on the ones before it.
 * PARLEY_SCREENSHOTS=1 writes the screenshots to docs/screenshots/ (to commit); otherwise to a temp dir.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../src/browser';
import { Cluster, REPO_ROOT } from '../src/cluster';
import { WebUser } from './support/web-users';

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const shotDir = process.env.PARLEY_SCREENSHOTS ? join(REPO_ROOT, 'docs', 'screenshots') : mkdtempSync(join(tmpdir(), 'parley-shots-'));

let cluster: Cluster;
let browser: Browser;
let alice: WebUser;
let bob: WebUser;
let carol: WebUser;
const run = Date.now().toString(36).slice(-5);

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(shotDir, { recursive: true });
  const path = join(shotDir, `${name}.png`);
  await page.screenshot({ path, animations: 'disabled' });
  assert.deepEqual(readFileSync(path).subarray(0, 8), PNG_MAGIC, `${name}.png is a PNG`);
}

/** A real PNG (1×1 would do, but a visible one makes the screenshot useful): 48×48, solid green, built by hand. */
function greenPng(): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type), data])) >>> 0);
    return Buffer.concat([len, Buffer.from(type), data, crc]);
  };
  const size = 48;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.writeUInt8(8, 8); // bit depth
  ihdr.writeUInt8(2, 9); // RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(size * 3, Buffer.from([0x07, 0xc1, 0x60]))]);
  const raw = Buffer.concat(Array.from({ length: size }, () => row));
  return Buffer.concat([PNG_MAGIC, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

before(async () => {
  [cluster, browser] = await Promise.all([Cluster.start({ chatServers: 2, fileServers: 1 }), launchBrowser()]);
  [alice, bob, carol] = await Promise.all([WebUser.open(browser, cluster, `alice${run}`), WebUser.open(browser, cluster, `bob${run}`), WebUser.open(browser, cluster, `carol${run}`)]);
});

after(async () => {
  await browser?.close();
  await cluster?.stop();
  if (!process.env.PARLEY_SCREENSHOTS) rmSync(shotDir, { recursive: true, force: true });
});

describe('the web app with its client core, in Chromium, against a real cluster', () => {
  test('three people register with mailed codes (the send-code countdown runs) and are signed in', async () => {
    await Promise.all([alice, bob, carol].map((u) => u.register(cluster)));
    for (const u of [alice, bob, carol]) {
      await u.tab('Me');
      await u.page.getByText(`@${u.name}`).first().waitFor();
      await u.assertClean();
    }
  });

  test('search, friend request and accept: both see each other as friends', async () => {
    await alice.requestFriend(bob.name);
    await alice.requestFriend(carol.name);
    await Promise.all([bob.acceptFriend(alice.name), carol.acceptFriend(alice.name)]);
    await alice.tab('Contacts');
    await alice.friend(bob.name).waitFor();
    await alice.friend(carol.name).waitFor();
  });

  test('chat both ways: bubbles on the right for mine, delivery turns sent, unread badge for the other', async () => {
    await alice.openChatWith(bob.name);
    await alice.send('Hello Bob, this is Parley in a browser');
    await bob.tab('Chats');
    await bob.conversation(alice.name).getByLabel('1 unread').waitFor();
    await bob.openConversation(alice.name);
    await bob.bubble('Hello Bob, this is Parley in a browser', 'theirs').waitFor();
    await bob.send('Hi Alice! Shift+Enter\nbreaks the line');
    await alice.bubble('breaks the line', 'theirs').waitFor();
    const mine = await alice.bubble('Hello Bob', 'mine').boundingBox();
    const theirs = await alice.bubble('breaks the line', 'theirs').locator('.bubble').boundingBox();
    assert.ok(mine && theirs && mine.x + mine.width > theirs.x + theirs.width, 'my bubble is right of theirs');
    // Reading it cleared bob's unread badge.
    await bob.tab('Chats');
    assert.equal(await bob.conversation(alice.name).getByLabel(/unread/).count(), 0);
    await screenshot(alice.page, 'chat');
    await alice.tab('Chats');
    await screenshot(alice.page, 'conversations');
    await alice.assertClean();
    await bob.assertClean();
  });

  test('the unread total is in the title, and a message arriving while the window is not focused notifies once', async () => {
    // Playwright reports every page as focused: carol's page is told it is not, and its Notification
    // constructor records what the app shows (the real one still runs: permission is granted).
    await carol.context.grantPermissions(['notifications']);
    // A string script: e2e compiles without the DOM library (CDP-injected scripts are not bound by the page's CSP).
    await carol.page.addInitScript(`
      const shown = [];
      const Real = window.Notification;
      class Recording extends Real {
        constructor(title, options) { super(title, options); shown.push({ title, body: (options && options.body) || '' }); }
      }
      Object.defineProperty(window, 'Notification', { value: Recording, configurable: true });
      Object.defineProperty(window, 'parleyShown', { value: shown });
      document.hasFocus = () => false;
    `);
    await carol.page.reload({ waitUntil: 'load' });
    await carol.signedIn();
    await carol.tab('Chats');
    assert.equal(await carol.page.title(), 'Parley');
    await alice.openChatWith(carol.name);
    await alice.send('Carol, a notification for you');
    await carol.conversation(alice.name).getByLabel('1 unread').waitFor();
    type Recorded = { parleyShown: { title: string; body: string }[] };
    await carol.page.waitForFunction(() => (globalThis as unknown as Recorded).parleyShown.length > 0);
    const shown = await carol.page.evaluate(() => (globalThis as unknown as Recorded).parleyShown);
    assert.equal(shown.length, 1, JSON.stringify(shown));
    assert.equal(shown[0]?.title, alice.name);
    assert.match(shown[0]?.body ?? '', /a notification for you/);
    assert.equal(await carol.page.title(), '(1) Parley');
  });

  test('one goes offline (page closed) and comes back to find the messages sent meanwhile', async () => {
    await bob.page.close();
    await alice.openConversation(bob.name);
    for (let i = 1; i <= 3; i++) await alice.send(`While you were away ${i}`);
    await bob.newPage();
    await bob.signedIn();
    await bob.conversation(alice.name).getByLabel('3 unread').waitFor();
    await bob.openConversation(alice.name);
    for (let i = 1; i <= 3; i++) await bob.bubble(`While you were away ${i}`, 'theirs').waitFor();
    await bob.bubble('Hello Bob, this is Parley in a browser', 'theirs').waitFor();
  });

  test('a reload keeps the history: the messages are in IndexedDB and shown again', async () => {
    await alice.page.reload({ waitUntil: 'load' });
    await alice.signedIn();
    const stored = await alice.page.evaluate<number>(`new Promise((resolve, reject) => {
      const open = indexedDB.open('parley');
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        const req = open.result.transaction('messages').objectStore('messages').count();
        req.onsuccess = () => resolve(req.result);
      };
    })`);
    assert.ok(stored >= 5, `messages held in IndexedDB: ${stored}`);
    await alice.openConversation(bob.name);
    await alice.bubble('While you were away 3', 'mine').waitFor();
    await alice.bubble('breaks the line', 'theirs').waitFor();
  });

  test('three people chat in a group created from friends; the member panel lists them', async () => {
    await alice.tab('Contacts');
    await alice.page.getByRole('button', { name: 'New group' }).click();
    const dialog = alice.page.getByRole('dialog', { name: 'New group' });
    await dialog.getByLabel('Group name').fill(`Trio ${run}`);
    await dialog.getByRole('checkbox', { name: bob.name }).check();
    await dialog.getByRole('checkbox', { name: carol.name }).check();
    await dialog.getByRole('button', { name: 'Create group with 2' }).click();
    await alice.page.getByRole('heading', { name: `Trio ${run}`, level: 2 }).waitFor();
    await alice.send('Welcome to the trio');
    for (const u of [bob, carol]) {
      await u.openConversation(`Trio ${run}`);
      await u.bubble('Welcome to the trio', 'theirs').waitFor();
    }
    await bob.send('Bob here');
    await carol.send('Carol here');
    await alice.bubble('Bob here', 'theirs').waitFor();
    await alice.bubble('Carol here', 'theirs').waitFor();
    // In a group the sender's name is shown above their bubble.
    assert.equal(await alice.bubble('Carol here', 'theirs').locator('.msg-sender').innerText(), carol.name);
    await alice.page.getByRole('button', { name: 'Group members and settings' }).click();
    const members = alice.page.getByRole('list', { name: 'Members' });
    for (const u of [alice, bob, carol]) await members.locator('.person-name', { hasText: new RegExp(`^${u.name}( \\(you\\))?$`) }).waitFor();
    await screenshot(alice.page, 'group');
    await alice.page.getByRole('button', { name: 'Close group panel' }).click();
  });

  test('a file is sent with its progress bar shown, and downloaded intact', async () => {
    await bob.openConversation(alice.name);
    const content = randomBytes(6 * 1024 * 1024);
    const bar = alice.page.getByRole('progressbar', { name: 'Uploading report.bin' });
    // The page's link to the file server goes through a relay that stops forwarding the page's frames
    // after the first 12 (login, init, ten chunks), so the upload is caught part way however fast loopback is;
    // the test then pauses it (which closes that link) and resumes on a fresh, unheld link.
    let hold = true;
    await alice.page.routeWebSocket(new RegExp(`:${cluster.file[0]!.wsPort}/?$`), (ws) => {
      const server = ws.connectToServer();
      let forwarded = 0;
      ws.onMessage((message) => {
        if (!hold || ++forwarded <= 12) server.send(message);
      });
    });
    // The relay replaces the page's WebSocket from an init script: it applies from the next load on.
    await alice.page.reload({ waitUntil: 'load' });
    await alice.signedIn();
    await alice.openConversation(bob.name);
    await alice.page.locator('input[type=file]').setInputFiles({ name: 'report.bin', mimeType: 'application/octet-stream', buffer: content });
    await alice.page.locator('[role=progressbar][aria-label="Uploading report.bin"]:not([aria-valuenow="0"])').waitFor();
    await alice.page.getByRole('button', { name: 'Pause report.bin' }).click();
    hold = false;
    await bar.waitFor();
    await alice.page.getByRole('button', { name: 'Resume report.bin' }).waitFor();
    await screenshot(alice.page, 'file-transfer');
    await alice.page.getByRole('button', { name: 'Resume report.bin' }).click();
    await alice.page.locator('.msg.mine[data-delivery="sent"] .file-name', { hasText: 'report.bin' }).waitFor({ timeout: 30_000 }).catch(async (err: unknown) => {
      await alice.page.screenshot({ path: '/tmp/fail-file.png' });
      throw new Error(`no sent file bubble; toasts: ${(await alice.toasts()).join(' | ')}`, { cause: err });
    });
    await bob.page.locator('.msg.theirs .file-name', { hasText: 'report.bin' }).waitFor();
    const [download] = await Promise.all([bob.page.waitForEvent('download'), bob.page.getByRole('button', { name: 'Download report.bin' }).click()]);
    const saved = await download.path();
    assert.ok(saved);
    assert.equal(createHash('sha256').update(readFileSync(saved)).digest('hex'), createHash('sha256').update(content).digest('hex'));
    assert.equal(download.suggestedFilename(), 'report.bin');
  });

  test('an image shows inline for both', async () => {
    const png = greenPng();
    await alice.page.locator('input[type=file]').setInputFiles({ name: 'green.png', mimeType: 'image/png', buffer: png });
    for (const u of [alice, bob]) {
      const img = u.page.locator('img.bubble-img[alt="green.png"]');
      await img.waitFor();
      // Decoded from its blob: URL at its real size (decode() settles once the image has loaded).
      assert.equal(await img.evaluate((el: { decode(): Promise<void>; naturalWidth: number }) => el.decode().then(() => el.naturalWidth)), 48);
    }
    await alice.assertClean();
    await bob.assertClean();
  });

  test('an uploaded avatar replaces the initial (avatarImage: downloaded by file id, shown from a blob: URL)', async () => {
    await alice.tab('Me');
    await alice.page.locator('input[type=file][accept="image/*"]').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: greenPng() });
    for (const where of ['.rail-me', '.profile-card']) {
      const img = alice.page.locator(`${where} img.avatar-img`);
      await img.waitFor();
      assert.equal(await img.evaluate((el: { decode(): Promise<void>; naturalWidth: number }) => el.decode().then(() => el.naturalWidth)), 48);
    }
    await alice.assertClean();
    await alice.tab('Chats');
  });

  test('usable at 420 px: the chat fills the width with a back button, no horizontal scrolling', async () => {
    // The chat with bob is open: at 420 px it takes the whole width, the rail gives way to it.
    await alice.page.setViewportSize({ width: 420, height: 800 });
    await alice.page.getByRole('heading', { name: bob.name, level: 2 }).waitFor();
    assert.ok((await alice.page.evaluate<number>('document.documentElement.scrollWidth')) <= 420);
    await alice.page.getByRole('button', { name: 'Back to chats' }).waitFor();
    await screenshot(alice.page, 'chat-narrow');
    await alice.page.getByRole('button', { name: 'Back to chats' }).click();
    await alice.conversation(bob.name).waitFor();
    await screenshot(alice.page, 'conversations-narrow');
    await alice.page.setViewportSize({ width: 1280, height: 800 });
  });
});
