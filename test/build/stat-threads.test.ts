/**
 * A full scan's stats taken by two threads together: each candidate gets what a plain statSync
 * of it says, whichever thread took it.
 */
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { CandidateStats, joinedPaths, listedPaths, sharedStats, startStatHelper, startStats, statClaimedChunks } from '../../src/build/stat-threads.js';
import { listContent, type ContentCandidate } from '../../src/content/read-content.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/** A folder of `count` files of distinct sizes, a link to a folder and a link to a file; its candidates, and one more that is gone. */
async function folder(count: number) {
  const dir = await makeTempDir('stat-threads-');
  await mkdir(path.join(dir, 'sub'));
  for (let index = 0; index < count; index++) await writeFile(path.join(dir, index % 7 === 0 ? `sub/f${index}.md` : `f${index}.md`), 'x'.repeat(index));
  await mkdir(path.join(dir, 'folder'));
  await symlink(path.join(dir, 'folder'), path.join(dir, 'link-to-folder'));
  await symlink(path.join(dir, 'f3.md'), path.join(dir, 'link-to-file.md'));
  const { root, candidates } = listContent(dir);
  const gone: ContentCandidate = { relative: 'removed-since-listing.md', isSymlink: false };
  return { root, all: [...candidates, gone] };
}

/** What a plain statSync says of each candidate. */
function expectedStats(root: string, all: readonly ContentCandidate[]) {
  return all.map((candidate) => {
    const info = statSync(path.join(root, candidate.relative), { throwIfNoEntry: false });
    return info?.isFile() ? { size: info.size, mtimeMs: info.mtimeMs, ctimeMs: info.ctimeMs, ino: info.ino } : undefined;
  });
}

/** The table's stat of each candidate, as objects. */
function each(stats: CandidateStats) {
  return Array.from({ length: stats.length }, (_, index) => stats.at(index));
}

describe('startStats: the stats of a full scan, on two threads', () => {
  it('gives each candidate its own stat, in candidate order', async () => {
    const count = 1500; // three chunks and a bit
    const { root, all } = await folder(count);
    const table = await startStats(root, all, 0).take();
    const stats = each(table);

    assert.equal(table.length, all.length);
    assert.deepEqual(stats, expectedStats(root, all));
    assert.equal(stats.at(-1), undefined, 'a file gone since the listing has no stat');
    assert.equal(stats[all.findIndex((candidate) => candidate.relative === 'link-to-folder')], undefined, 'a link to a folder is no file');
    assert.equal(stats[all.findIndex((candidate) => candidate.relative === 'link-to-file.md')]?.size, 3, 'a link to a file has that file\'s stat');
    assert.equal(new Set(stats.filter(Boolean).map((stat) => stat!.size)).size, count, 'every size, so none was mixed up with another');
  });

  it('a helper started before the listing does the same, and one given no work is stopped', async () => {
    const { root, all } = await folder(1500);
    const early = startStatHelper();
    const stats = await startStats(root, all, 0, early).take();
    assert.deepEqual(each(stats), expectedStats(root, all));
    const unused = startStatHelper();
    try {
      const below = await startStats(root, all, all.length + 1, unused).take();
      assert.deepEqual(each(below), expectedStats(root, all));
      // Stopped by startStats, with no work given: its done settles.
      await Promise.race([unused.done, new Promise((_, reject) => setTimeout(() => reject(new Error('the unused helper still runs')), 5000))]);
    } finally {
      unused.stop();
    }
  });

  it('the helper thread alone: it claims every chunk, writes each stat into the shared memory, and marks each chunk done', async () => {
    const { root, all } = await folder(1100);
    const shared = sharedStats(all.length);
    const helper = startStatHelper();
    // Started before its work, as a new process starts it before the listing.
    await new Promise((resolve) => setTimeout(resolve, 50));
    helper.give(root, all, shared);
    await helper.done;
    assert.deepEqual([...shared.chunkDone], [1, 1, 1]);
    const expected = expectedStats(root, all);
    all.forEach((candidate, index) => {
      const want = expected[index];
      assert.equal(shared.isFile[index], want ? 1 : 0, candidate.relative);
      if (want) assert.deepEqual([...shared.numbers.subarray(index * 4, index * 4 + 4)], [want.size, want.mtimeMs, want.ctimeMs, want.ino], candidate.relative);
    });
  });

  it('a chunk stat-ed again (one a failed helper left unfinished) says so of a file gone since the first time', async () => {
    const { root, all } = await folder(20);
    const shared = sharedStats(all.length);
    const gone = all.length - 1;
    // What the failed helper had written of it, when it was still there.
    shared.isFile[gone] = 1;
    shared.numbers.set([7, 1, 1, 99], gone * 4);
    statClaimedChunks(root, listedPaths(all), shared);
    assert.equal(shared.isFile[gone], 0);
    assert.equal(new CandidateStats(shared.numbers, shared.isFile).at(gone), undefined);
    assert.equal(shared.isFile[0], 1, 'the others are files');
  });
});

describe('joinedPaths: the helper\'s paths, cut out of one string as they are stat-ed', () => {
  it('gives back each path joined, by index, whatever its length or characters', () => {
    const paths = ['a.md', 'sub/ünïcode 日本.md', 'x', 'a-much-longer-name-than-the-others-so-the-slices-differ.md', 'sub/deeper/last.md'];
    const joined = joinedPaths(paths.join('\0'), paths.length);
    assert.equal(joined.count, paths.length);
    assert.deepEqual(Array.from({ length: joined.count }, (_, index) => joined.relativeAt(index)), paths);
  });

  it('one path, and none', () => {
    assert.equal(joinedPaths('only.md', 1).relativeAt(0), 'only.md');
    assert.equal(joinedPaths('', 0).count, 0);
  });
});
