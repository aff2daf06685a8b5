/**
 * Browser users for the web app tests: one browser context (its own IndexedDB) and page per person,
 * driven through the UI only — registering with the code from the SMTP sink, logging in, finding each
 * other, opening chats. Waits are on conditions in the page, never on time.
 */
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { extractCode } from '@parley/common/testing';
import { cspViolations, watchProblems, type PageProblems } from '../../src/browser';
import type { Cluster } from '../../src/cluster';

export const PASSWORD = 'correct horse battery';

export class WebUser {
  page!: Page;

  private constructor(
    readonly name: string,
    readonly email: string,
    readonly context: BrowserContext,
    readonly problems: PageProblems,
    private readonly gateUrl: string,
  ) {}

  static async open(browser: Browser, cluster: Cluster, name: string, viewport = { width: 1280, height: 800 }): Promise<WebUser> {
    const context = await browser.newContext({ viewport, acceptDownloads: true });
    // Every step waits for a condition; one that is not met within 10 s is a failure, not slowness.
    context.setDefaultTimeout(10_000);
    const problems = await watchProblems(context);
    const user = new WebUser(name, `${name}@mail.example.test`, context, problems, cluster.gateUrl);
    await user.newPage();
    return user;
  }

  /** A new page on the app (after the old one was closed: the user comes back). */
  async newPage(): Promise<Page> {
    this.page = await this.context.newPage();
    await this.page.goto(`${this.gateUrl}/`, { waitUntil: 'load' });
    return this.page;
  }

  /** Registers through the register page: Send code (the countdown starts), the mailed code, then logs in. */
  async register(cluster: Cluster): Promise<void> {
    const page = this.page;
    await page.getByRole('button', { name: 'Create an account' }).click();
    await page.getByLabel('Email', { exact: true }).fill(this.email);
    const since = cluster.smtp.messages.length;
    await page.getByRole('button', { name: 'Send code' }).click();
    // The countdown replaces the button's label and disables it until another code may be asked for.
    const countdown = page.getByRole('button', { name: /^Resend in \d+s$/ });
    await countdown.waitFor();
    assert.ok(await countdown.isDisabled(), 'the send-code button is disabled during the countdown');
    const first = Number(/\d+/.exec(await countdown.innerText())?.[0]);
    // It counts down: the next second's label appears.
    await page.getByRole('button', { name: `Resend in ${first - 1}s` }).waitFor();
    const mail = await cluster.smtp.waitForMail(this.email, 10_000, since);
    await page.getByLabel('Verification code').fill(extractCode(mail.raw) ?? '');
    await page.getByLabel('User name').fill(this.name);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Register' }).click();
    await page.getByRole('status').filter({ hasText: 'Account created' }).waitFor();
    await this.login();
  }

  async login(): Promise<void> {
    await this.page.getByLabel('Email or user name').fill(this.name);
    await this.page.getByLabel('Password').fill(PASSWORD);
    await this.page.getByRole('button', { name: 'Log in' }).click();
    await this.signedIn();
  }

  /** The main layout is shown and the connection is up (no reconnect banner). */
  async signedIn(): Promise<void> {
    await this.page.getByRole('navigation', { name: 'Main' }).waitFor();
  }

  tab(name: 'Chats' | 'Contacts' | 'Me'): Promise<void> {
    return this.page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: new RegExp(`^${name}`) }).click();
  }

  /** Searches for `other` under Contacts and sends a friend request. */
  async requestFriend(other: string): Promise<void> {
    await this.tab('Contacts');
    await this.page.getByRole('searchbox', { name: 'Search users' }).fill(other);
    await this.page.getByRole('button', { name: 'Search', exact: true }).click();
    await this.page.getByRole('button', { name: `Add ${other} as a friend` }).click({ timeout: 5000 }).catch(async (err: unknown) => {
      throw new Error(`${this.name} found no ${other} to add; toasts: ${(await this.toasts()).join(' | ')}; results: ${await this.page.locator('.search').innerText()}`, { cause: err });
    });
    // Sent: the button says so and is disabled; the request waits under "Friend requests".
    await this.page.getByRole('list', { name: 'Search results' }).getByRole('button', { name: `Add ${other} as a friend`, disabled: true }).filter({ hasText: 'Sent' }).waitFor();
    await this.page.locator('.request', { hasText: other }).filter({ hasText: 'waiting for an answer' }).waitFor();
  }

  async acceptFriend(other: string): Promise<void> {
    await this.tab('Contacts');
    await this.page.getByRole('button', { name: `Accept ${other}` }).click();
    await this.friend(other).waitFor();
  }

  friend(other: string) {
    return this.page.getByRole('list', { name: 'Friends' }).getByRole('button', { name: new RegExp(`^${other}, (online|offline): open chat$`) });
  }

  /** Opens the chat with a friend from Contacts. */
  async openChatWith(other: string): Promise<void> {
    await this.tab('Contacts');
    await this.friend(other).click();
    await this.page.getByRole('heading', { name: other, level: 2 }).waitFor().catch(async (err: unknown) => {
      await this.page.screenshot({ path: `/tmp/fail-${this.name}.png` });
      throw new Error(`${this.name}: no chat with ${other}; toasts: ${(await this.toasts()).join(' | ')}`, { cause: err });
    });
  }

  /** Opens a conversation from the Chats list by its title. */
  async openConversation(title: string): Promise<void> {
    await this.tab('Chats');
    await this.conversation(title).click();
    await this.page.getByRole('heading', { name: title, level: 2 }).waitFor();
  }

  conversation(title: string) {
    return this.page.getByRole('list', { name: 'Conversations' }).getByRole('button', { name: new RegExp(`^${title}`) });
  }

  /** Types a message and presses Enter; resolves once its bubble shows as sent. */
  async send(text: string): Promise<void> {
    await this.page.getByRole('textbox', { name: 'Message' }).fill(text);
    await this.page.getByRole('textbox', { name: 'Message' }).press('Enter');
    await this.bubble(text, 'mine').and(this.page.locator('[data-delivery="sent"]')).waitFor();
  }

  bubble(text: string, side: 'mine' | 'theirs') {
    return this.page.locator(`.msg.${side}`).filter({ has: this.page.locator('.bubble', { hasText: text }) });
  }

  /** The toasts on screen (code and sentence), for failure messages. */
  toasts(): Promise<string[]> {
    return this.page.getByRole('alert').allInnerTexts();
  }

  async assertClean(): Promise<void> {
    assert.deepEqual(await cspViolations(this.page), [], `${this.name}: no CSP violation`);
    assert.deepEqual(this.problems.pageErrors, [], `${this.name}: no uncaught exception`);
    assert.deepEqual(this.problems.consoleErrors, [], `${this.name}: no console error`);
  }
}
