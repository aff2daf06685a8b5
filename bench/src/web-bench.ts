/**
 * Web app measurements (not a test): `node bench/dist/src/web-bench.js [--messages 10000]`.
 *
 * Needs the web build (`npm run build`). Reports:
 * 1. the bundle: every script and stylesheet under web-client/dist/assets, raw and gzipped (level 9,
 *    as scripts/precompress.mjs writes them);
 * 2. the first load of the page from the gate on loopback, cold cache (navigation timing);
 * 3. a conversation of `--messages` (10 000) messages, seeded through the chat protocol (a friend's
 *    TCP connection with 200 SendReqs in flight): the browser user's login until the list shows it
 *    (the seq sync pulls every message into IndexedDB), the time to open it (click → newest bubble
 *    shown), the same after a reload (from IndexedDB), scrolling back to its first message (history
 *    pages of 50 from the local store), and the page's JS heap (after a forced GC) and DOM size then.
 * Starts its own cluster (1 chat server) with the send limits lifted; writes
 * bench/results/web-<timestamp>.json and .md.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { ResultSetHeader } from 'mysql2/promise';
import { argValue, issueToken } from '@parley/common';
import { extractCode } from '@parley/common/testing';
import { Cluster, REPO_ROOT, launchBrowser, postJson } from '@parley/e2e';
import { ChatClient } from '@parley/protocol';

const PASSWORD = 'correct horse battery';

function log(msg: string): void {
  console.log(`[web-bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

function bundle(): { file: string; bytes: number; gzipBytes: number }[] {
  const dir = join(REPO_ROOT, 'web-client', 'dist', 'assets');
  return readdirSync(dir)
    .filter((f) => /\.(js|css)$/.test(f))
    .map((file) => {
      const data = readFileSync(join(dir, file));
      return { file, bytes: data.length, gzipBytes: gzipSync(data, { level: 9 }).length };
    });
}

async function main(): Promise<void> {
  const count = Number(argValue('messages') ?? 10_000);
  const files = bundle();
  log(`bundle: ${files.map((f) => `${f.file} ${f.bytes} B (${f.gzipBytes} B gzip)`).join(', ')}`);

  const cluster = await Cluster.start({
    chatServers: 1,
    sections: { chat: { send_rate_per_sec: 1_000_000, send_burst: 1_000_000, request_rate_per_sec: 100_000, request_burst: 100_000 } },
  });
  const browser = await launchBrowser();
  try {
    // The browser user registers through the gate (code from the SMTP sink); the friend is a row and a token.
    const name = `webbench${Date.now().toString(36)}`;
    const email = `${name}@bench.local`;
    const since = cluster.smtp.messages.length;
    await postJson(cluster.gateUrl, '/api/verify-code', { email, purpose: 'register' });
    const code = extractCode((await cluster.smtp.waitForMail(email, 10_000, since)).raw) ?? '';
    const reg = await postJson<{ uid: number }>(cluster.gateUrl, '/api/register', { email, code, name, password: PASSWORD });
    const uid = reg.body.uid;
    const pool = cluster.env.pool;
    const [peerRow] = await pool.query<ResultSetHeader>('INSERT INTO users (name, email, password_hash, nickname) VALUES (?, ?, ?, ?)', [`${name}peer`, `${name}peer@bench.local`, '!', 'Peer']);
    const peer = peerRow.insertId;
    const key = uid < peer ? `${uid}:${peer}` : `${peer}:${uid}`;
    const [conv] = await pool.query<ResultSetHeader>("INSERT INTO conversations (kind, direct_key) VALUES ('direct', ?)", [key]);
    const conversationId = conv.insertId;
    await pool.query('INSERT INTO conversation_members (conversation_id, user_id) VALUES (?, ?), (?, ?)', [conversationId, uid, conversationId, peer]);
    await pool.query('INSERT INTO friendships (user_id, friend_id, conversation_id) VALUES (?, ?, ?), (?, ?, ?)', [uid, peer, conversationId, peer, uid, conversationId]);

    const seedStart = Date.now();
    const chat = new ChatClient({ defaultTimeoutMs: 30_000 });
    await chat.connect(cluster.chat[0]!.host, cluster.chat[0]!.tcpPort);
    await chat.login(peer, await issueToken(cluster.env.redis, peer, 3600));
    let next = 1;
    const worker = async () => {
      while (next <= count) {
        const i = next++;
        await chat.sendMessage({ conversationId }, `Message ${i} of ${count}: the quick brown fox jumps over the lazy dog`);
      }
    };
    await Promise.all(Array.from({ length: 200 }, worker));
    await chat.close();
    const seedMs = Date.now() - seedStart;
    log(`seeded ${count} messages in ${seedMs} ms`);

    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(120_000);
    const page = await context.newPage();
    await page.goto(`${cluster.gateUrl}/`, { waitUntil: 'load' });
    const firstLoadMs = await page.evaluate<number>("Math.round(performance.getEntriesByType('navigation')[0].loadEventEnd)");
    const firstLoadBytes = await page.evaluate<number>("performance.getEntriesByType('navigation')[0].transferSize + performance.getEntriesByType('resource').reduce((n, r) => n + r.transferSize, 0)");
    log(`first load ${firstLoadMs} ms, ${firstLoadBytes} bytes`);

    const loginStart = Date.now();
    await page.getByLabel('Email or user name').fill(name);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    const item = page.getByRole('list', { name: 'Conversations' }).getByRole('button', { name: /^Peer/ });
    await item.getByText(`Message ${count} of`).waitFor();
    const loginSyncMs = Date.now() - loginStart;
    log(`login + sync of ${count} messages: ${loginSyncMs} ms`);

    const open = async (): Promise<number> => {
      const t0 = Date.now();
      await item.click();
      await page.locator('.msg .bubble', { hasText: `Message ${count} of` }).waitFor();
      return Date.now() - t0;
    };
    const openMs = await open();
    log(`open: ${openMs} ms`);
    await page.reload({ waitUntil: 'load' });
    await item.waitFor();
    const openAfterReloadMs = await open();
    log(`open after reload (IndexedDB): ${openAfterReloadMs} ms`);

    const scrollStart = Date.now();
    const list = page.locator('.vlist');
    for (;;) {
      if ((await page.getByText('Beginning of the conversation').count()) > 0) break;
      const rows = Number(await list.getAttribute('data-rows'));
      await list.evaluate((el: { scrollTop: number }) => {
        el.scrollTop = 0;
      });
      // More rows (an older page arrived) or the start reached. (No waitForFunction: the CSP forbids its eval.)
      await page.locator(`.vlist:not([data-rows="${rows}"]), .day-sep:text("Beginning of the conversation")`).first().waitFor();
    }
    await page.locator('.msg .bubble', { hasText: `Message 1 of ${count}` }).waitFor();
    const scrollMs = Date.now() - scrollStart;
    const rows = Number(await list.getAttribute('data-rows'));
    const cdp = await context.newCDPSession(page);
    await cdp.send('HeapProfiler.collectGarbage');
    await cdp.send('Performance.enable');
    const metrics = (await cdp.send('Performance.getMetrics')).metrics;
    const metric = (n: string) => metrics.find((m) => m.name === n)?.value ?? 0;
    const heapMiB = metric('JSHeapUsedSize') / 1024 / 1024;
    const domNodes = await page.evaluate<number>("document.getElementsByTagName('*').length");
    const renderedRows = await page.locator('.vrow').count();
    log(`scrolled back to message 1 (${rows} rows) in ${scrollMs} ms; JS heap ${heapMiB.toFixed(1)} MiB after GC; ${domNodes} DOM elements, ${renderedRows} rows rendered`);

    const report = {
      date: new Date().toISOString(),
      bundle: files,
      bundleGzipBytes: files.reduce((n, f) => n + f.gzipBytes, 0),
      firstLoadMs,
      firstLoadBytes,
      messages: count,
      seedMs,
      loginSyncMs,
      openMs,
      openAfterReloadMs,
      scrollBackMs: scrollMs,
      heapUsedMiB: Number(heapMiB.toFixed(1)),
      domElements: domNodes,
      renderedRows,
    };
    const stamp = report.date.slice(0, 19).replace(/:/g, '-');
    const out = join(REPO_ROOT, 'bench', 'results');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, `web-${stamp}.json`), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(
      join(out, `web-${stamp}.md`),
      [
        `# Web app measurements (${report.date})`,
        '',
        '| What | Value |',
        '|---|---|',
        `| Bundle (JS + CSS), gzip | ${(report.bundleGzipBytes / 1024).toFixed(1)} KiB (${files.map((f) => `${f.file}: ${(f.bytes / 1024).toFixed(1)} KiB raw, ${(f.gzipBytes / 1024).toFixed(1)} KiB gzip`).join('; ')}) |`,
        `| First load on loopback, cold cache | ${firstLoadMs} ms, ${firstLoadBytes} bytes transferred |`,
        `| Seeding ${count} messages (protocol, 200 in flight) | ${seedMs} ms |`,
        `| Login until the list shows the newest (seq sync of ${count} into IndexedDB) | ${loginSyncMs} ms |`,
        `| Open the conversation (click → newest bubble) | ${openMs} ms |`,
        `| Open again after a reload (from IndexedDB) | ${openAfterReloadMs} ms |`,
        `| Scroll back to message 1 (pages of 50 from the local store) | ${scrollMs} ms |`,
        `| JS heap after scrolling through, after GC | ${report.heapUsedMiB} MiB |`,
        `| DOM elements / rows rendered at the top | ${domNodes} / ${renderedRows} |`,
        '',
      ].join('\n'),
    );
    log(`wrote bench/results/web-${stamp}.json and .md`);
  } finally {
    await browser.close();
    await cluster.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
