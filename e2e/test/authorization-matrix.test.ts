import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RedisKeys } from '@parley/common';
import { AUTHORIZATION_TABLE, PRINCIPALS, renderAuthorizationTable, type Outcome, type Principal } from '../src/authorization-table';
import { Cluster, REPO_ROOT } from '../src/cluster';
import { NEEDS_OWN_WORLD, OPERATION_REQUESTS, perform } from './support/authorization-operations';
import { buildWorld, type AuthorizationWorld } from './support/authorization-world';

// Every operation × every principal of e2e/src/authorization-table.ts against a real cluster (two
// chat servers, a file server, the gate): each cell must be allowed or refused with exactly the code
// the table names — the table that docs/security.md renders.
let cluster: Cluster;
let work: string;
let shared: AuthorizationWorld;
const worlds: AuthorizationWorld[] = [];

before(async () => {
  cluster = await Cluster.start({ chatServers: 2, fileServers: 1, sections: { file: { min_free_bytes: 0 } } });
  work = mkdtempSync(join(tmpdir(), 'parley-authz-'));
  for (let i = 0; (await cluster.env.redis.hlen(RedisKeys.chatServers)) < 2; i++) {
    assert.ok(i < 200, 'both chat servers registered');
    await new Promise((r) => setTimeout(r, 50));
  }
  shared = await buildWorld(cluster, { withFile: true, workDir: work });
  worlds.push(shared);
});

after(async () => {
  await Promise.all(worlds.map((w) => w.close()));
  await cluster?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

it('docs/security.md holds the current rendering of the table (node scripts/authz-table.mjs writes it)', () => {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'security.md'), 'utf8');
  assert.ok(doc.includes(renderAuthorizationTable()), 'docs/security.md is stale: run `npm run build && node scripts/authz-table.mjs`');
});

describe('authorization matrix', () => {
  for (const row of AUTHORIZATION_TABLE) {
    it(`${row.operation}: ${row.label}`, async () => {
      let world = shared;
      if (NEEDS_OWN_WORLD.has(row.operation)) {
        world = await buildWorld(cluster, { workDir: work });
        worlds.push(world);
      }
      const actual = {} as Record<Principal, Outcome>;
      // In table order, the owner last: an allowed owner cell (dissolve) cannot change the other cells.
      for (const p of PRINCIPALS) actual[p] = await perform(world, p, await OPERATION_REQUESTS[row.operation](world, p));
      assert.deepEqual(actual, row.expect);
    });
  }
});
