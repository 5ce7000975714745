/**
 * A build whose new documents a document write thread writes beside the build's own thread
 * (src/build/write-threads.ts): the same files, byte for byte, as a build without it, and on a
 * full disk the same outcome (the folder as the last good build left it).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildFeeds } from '../../src/build/build-feeds.js';
import { DiskWriteError } from '../../src/build/disk-write-error.js';
import { journalOf } from '../../src/build/journaled-file.js';
import { MANIFEST_NAME, readManifest } from '../../src/build/write-feeds.js';
import { silentLogger } from '../../src/logger.js';
import { testConfig } from '../helpers/config.js';
import { assertUnchanged, everyFile, fill, mountTmpfs, writeContent } from '../helpers/disk-faults.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/** Pages of two entries: the content makes dozens of documents. */
const SETTINGS = { FEED_MAX_ITEMS: '2', FEED_ARCHIVES: 'true' };

/** One content folder built into two feeds folders: without the thread, and with it from the first document on. */
async function sideBySide(prefix: string) {
  const base = await makeTempDir(prefix);
  const contentDir = path.join(base, 'content');
  await mkdir(contentDir);
  const clock = () => new Date('2025-06-01T00:00:00Z');
  const alone = testConfig(contentDir, path.join(base, 'alone'), SETTINGS);
  const helped = testConfig(contentDir, path.join(base, 'helped'), SETTINGS);
  return {
    contentDir,
    alone,
    helped,
    buildAlone: () => buildFeeds({ config: alone, logger: silentLogger, clock, writeThreadAfter: Number.POSITIVE_INFINITY }),
    buildHelped: () => buildFeeds({ config: helped, logger: silentLogger, clock, writeThreadAfter: 0 }),
  };
}

describe('a build with a document write thread', () => {
  it('writes the same files as a build without one, and a manifest whose hashes are the files’ own', async () => {
    const { contentDir, alone, helped, buildAlone, buildHelped } = await sideBySide('write-thread-build-');
    await writeContent(contentDir, 3);
    const withoutThread = await buildAlone();
    const withThread = await buildHelped();
    assert.equal(withoutThread.report.renderedByWriteThread, 0);
    assert.ok(withThread.report.renderedByWriteThread > 0, 'the thread wrote documents');
    assert.ok(withThread.report.renderedByWriteThread < withThread.report.rendered, 'and so did the build’s own thread (while the thread started, and whenever two documents were queued)');

    const files = (dir: string) => new Map([...everyFile(dir)].filter(([name]) => name !== MANIFEST_NAME));
    const expected = files(alone.feedsDir);
    const actual = files(helped.feedsDir);
    assert.ok(expected.size > 40, `${expected.size} files`);
    assert.deepEqual([...actual.keys()], [...expected.keys()]);
    for (const [name, bytes] of expected) assert.ok(actual.get(name)!.equals(bytes), `${name} differs`);

    const manifest = readManifest(helped.feedsDir)!;
    const reference = readManifest(alone.feedsDir)!;
    assert.deepEqual([...manifest.files.keys()].sort(), [...reference.files.keys()].sort());
    for (const file of manifest.files.values()) {
      const bytes = readFileSync(path.join(helped.feedsDir, file.name));
      assert.equal(file.hash, createHash('sha256').update(bytes).digest('base64url').slice(0, 27), file.name);
      assert.equal(file.size, bytes.length, file.name);
      assert.equal(file.contentType, reference.files.get(file.name)!.contentType, file.name);
    }
    // The files in place are the ones the build reports, in the same order either way.
    assert.deepEqual(
      withThread.files.map((file) => file.name),
      withoutThread.files.map((file) => file.name),
    );
  });

  it("lists the files a rebuild changed in its manifest journal in the build's order, as a build without the thread does", async () => {
    const { contentDir, alone, helped, buildAlone, buildHelped } = await sideBySide('write-thread-journal-');
    await writeContent(contentDir, 1);
    await buildAlone();
    await buildHelped();
    // Three more articles: a rebuild with new archive pages (the thread's) and changed feeds.
    await writeContent(contentDir, 3);
    await buildAlone();
    const rebuilt = await buildHelped();
    assert.ok(rebuilt.report.renderedByWriteThread > 0, 'the thread wrote documents in the rebuild');
    // Rows without their mtimes (the two folders' files were written at different times).
    const journalRows = (dir: string) =>
      readFileSync(journalOf(path.join(dir, MANIFEST_NAME)), 'utf8')
        .split('\n')
        .slice(1)
        .filter(Boolean)
        .map((line) => (JSON.parse(line) as unknown[]).slice(0, 4));
    const expected = journalRows(alone.feedsDir);
    assert.ok(expected.length > 10, `${expected.length} rows`);
    assert.deepEqual(journalRows(helped.feedsDir), expected);
  });

  it('on a full disk fails naming the file, and leaves the feeds folder as the last good build left it', async (t) => {
    const base = await makeTempDir('write-thread-full-');
    const mount = mountTmpfs(t, base, '4m');
    if (!mount) return;
    const contentDir = path.join(base, 'content');
    await mkdir(contentDir);
    await writeContent(contentDir, 1);
    const config = testConfig(contentDir, path.join(mount, 'feeds'), { ...SETTINGS, STATE_DIR: path.join(base, 'state') });
    await buildFeeds({ config, logger: silentLogger, writeThreadAfter: 0 });
    const good = everyFile(config.feedsDir);
    // Three more articles: new archive pages (the thread's to write, once it has room) and
    // changed feeds (the build's own thread's); the disk is full before either is written.
    await writeContent(contentDir, 3);
    const filler = fill(mount);
    const failed = await buildFeeds({ config, logger: silentLogger, writeThreadAfter: 0 }).then(
      () => undefined,
      (error: unknown) => error,
    );
    assert.ok(failed instanceof DiskWriteError, String(failed));
    assert.equal(failed.errno, 'ENOSPC');
    assert.ok(failed.file.startsWith(config.feedsDir + path.sep), failed.file);
    assertUnchanged(config.feedsDir, good);
    await rm(filler);
  });
});
