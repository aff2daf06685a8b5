import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ErrorCodes, MsgId } from '../src/index';
import type { ErrorCode } from '../src/index';

// Compiled to protocol/dist/test, so the repo root is three levels up.
const docPath = path.resolve(__dirname, '../../../docs/protocol.md');
const doc = readFileSync(docPath, 'utf8');

/** Rows of the markdown table whose first cell is a backticked code, e.g. | `NOT_FOUND` | 404 | */
function documentedRows(): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of doc.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const first = /^`([A-Z][A-Z0-9_]*)`$/.exec(cells[1] ?? '');
    if (first?.[1] !== undefined) rows.set(first[1], cells.slice(2));
  }
  return rows;
}

describe('docs/protocol.md', () => {
  const rows = documentedRows();

  for (const code of Object.keys(ErrorCodes) as ErrorCode[]) {
    it(`documents ${code} with its HTTP status`, () => {
      const row = rows.get(code);
      assert.ok(row !== undefined, `${code} has no row in the error-code table`);
      assert.equal(row[0], String(ErrorCodes[code].httpStatus), `${code} httpStatus`);
    });
  }

  it('documents every message id', () => {
    for (const [name, id] of Object.entries(MsgId)) {
      assert.match(doc, new RegExp(`\\|\\s*${id}\\s*\\|\\s*${name}\\s*\\|`), `${id} ${name} missing from the message table`);
    }
  });
});
