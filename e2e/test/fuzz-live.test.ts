import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { RedisKeys } from '@parley/common';
import { Cluster } from '../src/cluster';
import { FUZZ_CLUSTER_SECTIONS, runLiveFuzz } from '../src/fuzz/live-fuzz';

// A seeded slice of bench/src/fuzz.ts against a live cluster: mutated frames to a chat server (logged
// in and not) and mutated JSON to every gate endpoint. Every answer must be a frame or JSON error with
// a code of the shared table (at its HTTP status), every input answered or closed within the bound,
// and every server still up. PARLEY_FUZZ_SEED replays another seed.
const seed = Number(process.env.PARLEY_FUZZ_SEED ?? 20261201);
let cluster: Cluster;

before(async () => {
  cluster = await Cluster.start({ chatServers: 1, sections: FUZZ_CLUSTER_SECTIONS });
  for (let i = 0; (await cluster.env.redis.hlen(RedisKeys.chatServers)) < 1; i++) {
    assert.ok(i < 200, 'the chat server registered');
    await new Promise((r) => setTimeout(r, 50));
  }
});

after(async () => {
  await cluster?.stop();
});

it(`live fuzz, seed ${seed}: documented answers only, nothing hangs, the servers survive`, { timeout: 90_000 }, async () => {
  // A hang is an input never answered; 15 s tells one apart from a slow answer on a loaded CI box.
  const report = await runLiveFuzz(cluster, { seed, chatInputs: 1000, gateInputs: 250, concurrency: 16, timeoutMs: 15_000 });
  const findings = [...report.chat.tally.findings, ...report.gate.tally.findings];
  assert.deepEqual(findings, [], `seed ${seed}`);
  assert.equal(report.chat.inputs, 1000);
  assert.equal(report.gate.inputs, 250);
  assert.equal(report.chat.timeouts + report.gate.timeouts, 0);
  assert.ok(report.serversAlive, 'every server is still up and serves a login');
  // Many inputs must reach the handlers, not all be refused by the decoder: some answers are not errors.
  assert.ok((report.chat.tally.codes.get('(ok)') ?? 0) > 200, JSON.stringify(report.chat.tally));
  assert.ok((report.gate.tally.codes.get('(ok)') ?? 0) > 25, JSON.stringify(report.gate.tally));
  assert.ok(report.rss.chat1!.maxMb < 400, `chat1 RSS stayed bounded: ${JSON.stringify(report.rss.chat1)}`);
  console.log(JSON.stringify({ seed, seconds: report.seconds, chat: report.chat.tally, gate: report.gate.tally, rss: report.rss }));
});
