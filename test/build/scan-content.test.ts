import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createBuildCache } from '../../src/build/build-cache.js';
import { UNKNOWN_CHANGES } from '../../src/build/build-feeds.js';
import { isTrusted, isTrustedAt, listingPrint, RACY_MS, scanContent } from '../../src/build/scan-content.js';
import { CandidateStats } from '../../src/build/stat-threads.js';
import { fileStat, type FileStat } from '../../src/content/read-content.js';
import { testConfig } from '../helpers/config.js';
import { writeManyArticles } from '../helpers/many-articles.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const READ_AT = 1_700_000_000_000;
const recorded = { size: 120, mtimeMs: READ_AT - 60_000, ctimeMs: READ_AT - 60_000, ino: 42 };
const known = { stat: recorded, checkedAt: READ_AT };
type Known = Parameters<typeof isTrusted>[0];

/**
 * The same question asked both ways: of a stat (a watcher's rescan), and of a full scan's stats
 * at the file's place (isTrustedAt), where another file sits before it in the table.
 */
const forms: readonly [string, (known: Known, stat: FileStat | undefined) => boolean][] = [
  ['isTrusted', isTrusted],
  ['isTrustedAt', (known, stat) => isTrustedAt(known, CandidateStats.of([{ size: 1, mtimeMs: 2, ctimeMs: 3, ino: 4 }, stat, recorded]), 1)],
];

for (const [name, trusted] of forms) {
  describe(`${name}: when a content file is taken as unchanged without reading it`, () => {
    it('when size, mtime, ctime and inode are all as recorded, and were old when recorded', () => {
      assert.equal(trusted(known, { ...recorded }), true);
    });

    for (const [field, value] of [
      ['size', 121],
      ['mtimeMs', recorded.mtimeMs + 1],
      ['ctimeMs', recorded.ctimeMs + 1],
      ['ino', 43],
    ] as const) {
      it(`not when only its ${field} differs (an edit that kept the others)`, () => {
        assert.equal(trusted(known, { ...recorded, [field]: value }), false);
      });
    }

    it('not when the file had changed within RACY_MS of being read (its next change may share the stat)', () => {
      const young = { ...recorded, mtimeMs: READ_AT - RACY_MS + 1, ctimeMs: READ_AT - RACY_MS + 1 };
      assert.equal(trusted({ stat: young, checkedAt: READ_AT }, { ...young }), false);
      const youngCtime = { ...recorded, ctimeMs: READ_AT - 10 };
      assert.equal(trusted({ stat: youngCtime, checkedAt: READ_AT }, { ...youngCtime }), false);
    });

    it('not for a file never read, or one that cannot be stat-ed now', () => {
      assert.equal(trusted(undefined, { ...recorded }), false);
      assert.equal(trusted(known, undefined), false);
    });
  });
}

describe('listingPrint: one digest of a listing and its stats', () => {
  const file = (relative: string) => ({ relative, isSymlink: false });
  const stat = (size: number) => ({ size, mtimeMs: READ_AT - 5000, ctimeMs: READ_AT - 4000, ino: 1000 + size });
  const candidates = [file('a.md'), file('b/c.md'), file('d.md')];
  const stats = [stat(1), stat(2), stat(3)];
  const print = listingPrint(candidates, CandidateStats.of(stats));

  it('is the same for the same listing and stats, however the table was made', () => {
    assert.equal(listingPrint(candidates.map((candidate) => ({ ...candidate })), CandidateStats.of(stats.map((one) => ({ ...one })))), print);
  });

  it('differs when any one number of any one stat does', () => {
    for (let index = 0; index < stats.length; index++) {
      for (const field of ['size', 'mtimeMs', 'ctimeMs', 'ino'] as const) {
        const changed = stats.map((one, at) => (at === index ? { ...one, [field]: one[field] + 1 } : one));
        assert.notEqual(listingPrint(candidates, CandidateStats.of(changed)), print, `${candidates[index]!.relative} ${field}`);
      }
    }
  });

  it('differs when a name does, when names move their boundary, when a file turns into a link, or into no file', () => {
    assert.notEqual(listingPrint([file('a.md'), file('b/c.mdx'), file('d.md')], CandidateStats.of(stats)), print);
    const pair = listingPrint([file('ab'), file('c')], CandidateStats.of([stat(1), stat(2)]));
    assert.notEqual(listingPrint([file('a'), file('bc')], CandidateStats.of([stat(1), stat(2)])), pair);
    assert.notEqual(listingPrint([file('a.md'), { relative: 'b/c.md', isSymlink: true }, file('d.md')], CandidateStats.of(stats)), print);
    // No file where there was one whose numbers were all zeros.
    const zeros = { size: 0, mtimeMs: 0, ctimeMs: 0, ino: 0 };
    assert.notEqual(listingPrint(candidates, CandidateStats.of([stats[0], undefined, stats[2]])), listingPrint(candidates, CandidateStats.of([stats[0], zeros, stats[2]])));
  });
});

describe('scanContent: the stats it keeps', { timeout: 120_000 }, () => {
  it('keeps every file\'s stat as the content reader makes one, also those the parse threads sent', async () => {
    // Enough files for the helper threads (parse-threads.ts), whose stats arrive as plain objects:
    // kept as they came, their fields could be boxed (read-content.ts, KeptStat).
    const contentDir = path.join(await makeTempDir('scan-stats-'), 'content');
    await writeManyArticles(contentDir, 8000, 'first edition');
    const config = testConfig(contentDir, path.join(await makeTempDir('scan-stats-feeds-'), 'feeds'));
    const cache = createBuildCache(config.stateDir);
    const scan = await scanContent(config, cache, UNKNOWN_CHANGES, { renderEntries: false });
    assert.equal(scan.files.length, 8000);
    const kept = Object.getPrototypeOf(fileStat(statSync(contentDir)));
    const others = scan.files.filter((file) => Object.getPrototypeOf(file.stat) !== kept);
    assert.deepEqual(others.map((file) => file.file), []);
  });
});
