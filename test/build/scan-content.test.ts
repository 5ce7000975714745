import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTrusted, RACY_MS } from '../../src/build/scan-content.js';

const READ_AT = 1_700_000_000_000;
const recorded = { size: 120, mtimeMs: READ_AT - 60_000, ctimeMs: READ_AT - 60_000, ino: 42 };
const known = { stat: recorded, checkedAt: READ_AT };

describe('isTrusted: when a content file is taken as unchanged without reading it', () => {
  it('when size, mtime, ctime and inode are all as recorded, and were old when recorded', () => {
    assert.equal(isTrusted(known, { ...recorded }), true);
  });

  for (const [field, value] of [
    ['size', 121],
    ['mtimeMs', recorded.mtimeMs + 1],
    ['ctimeMs', recorded.ctimeMs + 1],
    ['ino', 43],
  ] as const) {
    it(`not when only its ${field} differs (an edit that kept the others)`, () => {
      assert.equal(isTrusted(known, { ...recorded, [field]: value }), false);
    });
  }

  it('not when the file had changed within RACY_MS of being read (its next change may share the stat)', () => {
    const young = { ...recorded, mtimeMs: READ_AT - RACY_MS + 1, ctimeMs: READ_AT - RACY_MS + 1 };
    assert.equal(isTrusted({ stat: young, checkedAt: READ_AT }, { ...young }), false);
    const youngCtime = { ...recorded, ctimeMs: READ_AT - 10 };
    assert.equal(isTrusted({ stat: youngCtime, checkedAt: READ_AT }, { ...youngCtime }), false);
  });

  it('not for a file never read, or one that cannot be stat-ed now', () => {
    assert.equal(isTrusted(undefined, { ...recorded }), false);
    assert.equal(isTrusted(known, undefined), false);
  });
});
