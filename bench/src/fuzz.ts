/**
 * Fuzzing: `node bench/dist/src/fuzz.js [--seed N] [--inputs 1000000] [--chat 40000] [--gate 15000]
 * [--concurrency 16] [--timeout-ms 5000]`.
 *
 * 1. In process: `--inputs` seeded random and mutated frames (valid frames with flipped bits, cut,
 *    extended, lying headers, wrong ids and types, deep nesting, huge numbers, odd Unicode, lone
 *    surrogates, binary chunk frames) through the protocol package's TLV decoder and message schemas.
 *    Every refusal must be a ProtocolError with a code of the shared table; time per input and RSS are watched.
 * 2. Live, against a cluster started with the e2e harness (rate limits raised so inputs reach the
 *    handlers): `--chat` of those frames to a chat server over TCP (60 % on logged-in connections, the
 *    rest on connections that never log in) and `--gate` mutated requests to every gate endpoint. Every
 *    answer must decode and carry a documented code (over HTTP at the table's status); each input must be
 *    answered or its connection closed within `--timeout-ms`; the servers' RSS is sampled; every server
 *    must still be up and serve a login at the end.
 *
 * Prints the seed first; the same seed replays the same inputs. Writes bench/results/fuzz-<time>.json and
 * .md; exits 1 when anything was found.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { argValue } from '@parley/common';
import { randomSeed, runDecodeFuzz } from '@parley/protocol/fuzz';
import { Cluster, REPO_ROOT } from '@parley/e2e';
import { FUZZ_CLUSTER_SECTIONS, runLiveFuzz } from '@parley/e2e/fuzz';
import { num } from './bench-args';
import { renderFuzzMarkdown, type FuzzReport } from './fuzz-report';

function log(text: string): void {
  console.log(`[fuzz ${new Date().toISOString().slice(11, 19)}] ${text}`);
}

async function main(): Promise<void> {
  const seed = argValue('seed') === undefined ? randomSeed() : num('seed', 0) >>> 0;
  const inputs = num('inputs', 1_000_000);
  const chatInputs = num('chat', 40_000);
  const gateInputs = num('gate', 15_000);
  const concurrency = num('concurrency', 16);
  const timeoutMs = num('timeout-ms', 5000);
  log(`seed ${seed} (replay with --seed ${seed})`);
  const started = Date.now();

  log(`${inputs.toLocaleString('en')} inputs through the TLV decoder and message schemas`);
  const offline = runDecodeFuzz({ seed, inputs, progress: (n) => n % 100_000 === 0 && log(`  ${n.toLocaleString('en')} inputs`) });
  log(`  done in ${offline.seconds} s: ${offline.crashes.length} crashes, slowest ${offline.maxMs} ms (${offline.slowest.kind})`);

  log(`starting a cluster; ${chatInputs.toLocaleString('en')} frames to chat1, ${gateInputs.toLocaleString('en')} requests to the gate`);
  const cluster = await Cluster.start({ chatServers: 1, sections: FUZZ_CLUSTER_SECTIONS });
  let report: FuzzReport;
  try {
    await new Promise((r) => setTimeout(r, 1500)); // the chat server's first load report reaches the status-server
    const live = await runLiveFuzz(cluster, { seed, chatInputs, gateInputs, concurrency, timeoutMs, progress: (n, total) => n % 5000 === 0 && log(`  ${n.toLocaleString('en')} / ${total.toLocaleString('en')}`) });
    report = {
      seed,
      date: new Date().toISOString(),
      totalSec: Math.round((Date.now() - started) / 1000),
      command: `node bench/dist/src/fuzz.js --seed ${seed} --inputs ${inputs} --chat ${chatInputs} --gate ${gateInputs} --concurrency ${concurrency} --timeout-ms ${timeoutMs}`,
      offline,
      live: { ...live, chat: { ...live.chat, tally: live.chat.tally.toJSON() }, gate: { ...live.gate, tally: live.gate.tally.toJSON() } },
      raisedLimits: FUZZ_CLUSTER_SECTIONS,
    };
  } finally {
    await cluster.stop();
  }
  const stamp = new Date().toISOString().slice(0, 19).replace(/:/g, '-');
  const dir = join(REPO_ROOT, 'bench', 'results');
  writeFileSync(join(dir, `fuzz-${stamp}.json`), `${JSON.stringify(report, null, 2)}\n`);
  const md = renderFuzzMarkdown(report);
  writeFileSync(join(dir, `fuzz-${stamp}.md`), md);
  console.log(`\n${md}`);
  log(`results: bench/results/fuzz-${stamp}.json and .md (${report.totalSec} s in all)`);
  const findings = report.offline.crashes.length + (report.live.chat.tally.findings as string[]).length + (report.live.gate.tally.findings as string[]).length;
  process.exitCode = findings > 0 || !report.live.serversAlive ? 1 : 0;
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
