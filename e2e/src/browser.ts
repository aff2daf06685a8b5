/**
 * Debian's Chromium (/usr/bin/chromium) driven by playwright-core: `npx playwright install` cannot
 * download browsers here, so the system browser is launched directly. Playwright gives every launch a
 * fresh temporary --user-data-dir and removes it on close (it refuses the flag in `args` for that reason).
 * PARLEY_CHROMIUM names another binary.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium';

/** Quiet, reproducible and offline: no GPU, no sandbox (containers), no background fetches or updates. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-dev-shm-usage'];

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`no Chromium at ${CHROMIUM_PATH}: apt-get install -y chromium (or set PARLEY_CHROMIUM)`);
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
}

/** What a page reported that a clean page must not: console errors, uncaught exceptions, CSP violations. */
export interface PageProblems {
  consoleErrors: string[];
  pageErrors: string[];
  /** Read with `cspViolations(page)`: recorded inside the page by an init script. */
}

/**
 * Watches a context's pages for problems. The init script runs before the page's own scripts (and is
 * not subject to its CSP) and records every securitypolicyviolation event.
 */
export async function watchProblems(context: BrowserContext): Promise<PageProblems> {
  const problems: PageProblems = { consoleErrors: [], pageErrors: [] };
  // A string: this package has no DOM types, and the script runs in the page, not here.
  await context.addInitScript({
    content: `window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(e.effectiveDirective + ' blocked ' + (e.blockedURI || 'inline')));`,
  });
  context.on('page', (page) => watchPage(page, problems));
  for (const page of context.pages()) watchPage(page, problems);
  return problems;
}

function watchPage(page: Page, problems: PageProblems): void {
  page.on('console', (m) => {
    if (m.type() === 'error') problems.consoleErrors.push(m.text());
  });
  page.on('pageerror', (err) => problems.pageErrors.push(err.message));
}

export function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate<string[]>('[...(window.__cspViolations ?? [])]');
}
