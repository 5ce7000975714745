/**
 * A new process (the next CI run with STATE_DIR kept) whose content folder lists and stats as
 * the saved build found it keeps that build without loading the cache's index (build-feeds.ts,
 * unchangedSinceSavedBuild); any change a stat can show, a date come due, or a build that read a
 * file moments after it changed, takes the usual way. Each buildFeeds call below without a
 * `cache` is such a new process. Feeds are read back with fast-xml-parser.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { readdir, rename, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { setTimeout } from 'node:timers/promises';
import { XMLParser } from 'fast-xml-parser';
import { cacheStamp, peekLastBuild } from '../../src/build/build-cache.js';
import { buildFeeds, type BuildResult } from '../../src/build/build-feeds.js';
import { RACY_MS } from '../../src/build/scan-content.js';
import type { Config } from '../../src/config.js';
import { articleText, frontMatter } from '../helpers/articles.js';
import { testConfig } from '../helpers/config.js';
import { collectingLogger } from '../helpers/logger.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const KEPT = 'nothing changed since the saved build: its files stand, the cache was not loaded';
const FEBRUARY = () => new Date('2025-02-01T00:00:00Z');
const LONG_AGO = new Date('2024-01-01T00:00:00Z');

/** Two articles (one held back until June) and, if asked, a file that is no article. */
async function contentFolder({ withNotes = false } = {}): Promise<string> {
  const contentDir = await makeTempDir('saved-build-content-');
  await writeFile(path.join(contentDir, 'now.md'), articleText(frontMatter({ title: 'Test Article', sourceUrl: 'https://news.example.com/now', publishedDateTime: '2025-01-01T00:00:00Z' })));
  await writeFile(path.join(contentDir, 'later.md'), articleText(frontMatter({ title: 'Later Article', sourceUrl: 'https://news.example.com/later', publishedDateTime: '2025-06-01T00:00:00Z' })));
  if (withNotes) await writeFile(path.join(contentDir, 'notes.txt'), 'not an article\n');
  // A whole second: an edit can put it back exactly (only the ctime then tells).
  for (const name of await readdir(contentDir)) await utimes(path.join(contentDir, name), LONG_AGO, LONG_AGO);
  return contentDir;
}

/** One build in a "new process": no cache passed, so it loads what the last one saved. */
async function buildAnew(config: Config, clock = FEBRUARY): Promise<{ result: BuildResult; kept: boolean }> {
  const { logger, entries } = collectingLogger();
  const result = await buildFeeds({ config, logger, clock });
  return { result, kept: entries.some((entry) => entry.msg === KEPT) };
}

/** The item titles of the all-topics RSS feed, read by an independent parser. */
function allTitles(config: Config): string[] {
  const rss = new XMLParser().parse(readFileSync(path.join(config.feedsDir, 'all.xml'), 'utf8')) as { rss: { channel: { item?: { title: string } | { title: string }[] } } };
  const items = rss.rss.channel.item;
  return (items === undefined ? [] : Array.isArray(items) ? items : [items]).map((item) => String(item.title)).sort();
}

describe('a new process keeps the saved build when the content folder lists and stats as it found it', () => {
  // Files are settled once they have not changed for RACY_MS: made up front, waited for once.
  const folders: Record<string, string> = {};
  before(async () => {
    for (const name of ['unchanged', 'edited', 'added', 'renamed', 'dated', 'deleted']) folders[name] = await contentFolder();
    folders.notes = await contentFolder({ withNotes: true });
    await setTimeout(RACY_MS + 200);
  });

  async function builtOnce(name: string): Promise<{ config: Config; first: BuildResult }> {
    const config = testConfig(folders[name]!, await makeTempDir(`saved-build-${name}-`));
    const { result: first, kept } = await buildAnew(config);
    assert.equal(kept, false, 'the first build has nothing saved to keep');
    assert.ok(peekLastBuild(config.stateDir, cacheStamp(config))?.listing, 'the first build saved its listing print');
    return { config, first };
  }

  it('with nothing changed: the same files, nothing parsed or written, and the cache not loaded', async () => {
    const { config, first } = await builtOnce('unchanged');
    const { result: second, kept } = await buildAnew(config);
    assert.equal(kept, true);
    assert.equal(second.report.filesParsed, 0);
    assert.deepEqual(second.report.written, []);
    assert.equal(second.report.unchanged, first.files.length);
    assert.equal(second.report.published, first.report.published);
    const files = (result: BuildResult) => result.files.map((file) => [file.name, file.hash]).sort();
    assert.deepEqual(files(second), files(first));
  });

  it('an article edited in place, same size, its old mtime put back: built again (the ctime shows it)', async () => {
    const { config } = await builtOnce('edited');
    const file = path.join(folders.edited!, 'now.md');
    const before = statSync(file);
    await writeFile(file, readFileSync(file, 'utf8').replace('Test Article', 'Best Article'));
    await utimes(file, LONG_AGO, LONG_AGO);
    const after = statSync(file);
    assert.deepEqual([after.size, after.mtimeMs, after.ino], [before.size, before.mtimeMs, before.ino]);
    const { result, kept } = await buildAnew(config);
    assert.equal(kept, false);
    assert.equal(result.report.filesParsed, 1);
    assert.deepEqual(allTitles(config), ['Best Article']);
  });

  it('an article added, then one removed: each built', async () => {
    const { config } = await builtOnce('added');
    await writeFile(path.join(folders.added!, 'extra.md'), articleText(frontMatter({ title: 'Extra Article', sourceUrl: 'https://news.example.com/extra', publishedDateTime: '2025-01-02T00:00:00Z' })));
    const added = await buildAnew(config);
    assert.equal(added.kept, false);
    assert.deepEqual(allTitles(config), ['Extra Article', 'Test Article']);
    await rm(path.join(folders.added!, 'now.md'));
    const removed = await buildAnew(config);
    assert.equal(removed.kept, false);
    assert.deepEqual(allTitles(config), ['Extra Article']);
  });

  it('an article renamed (same inode, same bytes): not kept as it was', async () => {
    const { config } = await builtOnce('renamed');
    await rename(path.join(folders.renamed!, 'now.md'), path.join(folders.renamed!, 'moved.md'));
    const { result, kept } = await buildAnew(config);
    assert.equal(kept, false);
    assert.equal(result.report.filesRead, 2);
    assert.deepEqual(allTitles(config), ['Test Article']);
  });

  it('a held-back article whose date has come: published, though no file changed', async () => {
    const { config, first } = await builtOnce('dated');
    assert.equal(first.report.published, 1);
    const { result, kept } = await buildAnew(config, () => new Date('2025-06-01T00:00:01Z'));
    assert.equal(kept, false);
    assert.equal(result.report.published, 2);
    assert.deepEqual(allTitles(config), ['Later Article', 'Test Article']);
  });

  it('a file that is no article: still reported when kept, and no longer once it is gone', async () => {
    const { config, first } = await builtOnce('notes');
    const problemFiles = (result: BuildResult) => result.report.problems.map((problem) => problem.file);
    assert.deepEqual(problemFiles(first), ['notes.txt']);
    const kept = await buildAnew(config);
    assert.equal(kept.kept, true);
    assert.deepEqual(problemFiles(kept.result), ['notes.txt']);
    await rm(path.join(folders.notes!, 'notes.txt'));
    const gone = await buildAnew(config);
    assert.equal(gone.kept, false);
    assert.deepEqual(problemFiles(gone.result), []);
  });

  it('a feed file deleted by hand since (the manifest still listing it): written again, the same bytes, nothing else', async () => {
    const { config, first } = await builtOnce('deleted');
    const nested = first.files.map((file) => file.name).find((name) => name.includes('/') && name.endsWith('.atom'));
    assert.ok(nested, 'a feed in a subfolder');
    // One in a subfolder, then one at the top: each run notices its own.
    for (const name of [nested, 'all.xml']) {
      const bytes = readFileSync(path.join(config.feedsDir, name));
      await rm(path.join(config.feedsDir, name));
      const { result, kept } = await buildAnew(config);
      assert.equal(kept, false, name);
      assert.deepEqual(result.report.written, [name]);
      assert.deepEqual(readFileSync(path.join(config.feedsDir, name)), bytes, name);
    }
    assert.deepEqual(allTitles(config), ['Test Article']);
    // The folder is whole again: the next process keeps the build.
    assert.equal((await buildAnew(config)).kept, true);
  });

  it('no listing print is saved when a file had changed moments before the build read it', async () => {
    const config = testConfig(await contentFolder(), await makeTempDir('saved-build-racy-'));
    await buildAnew(config);
    assert.equal(peekLastBuild(config.stateDir, cacheStamp(config))?.listing, undefined, 'a print of stats that a next change may share');
    const { result, kept } = await buildAnew(config);
    assert.equal(kept, false);
    assert.deepEqual(result.report.written, []);
  });

  it('saves the listing print of a later run that finds nothing changed, once its stats are settled: the run after it keeps the build without loading the cache', async () => {
    const config = testConfig(await contentFolder(), await makeTempDir('saved-build-settled-'));
    const { result: first } = await buildAnew(config);
    assert.equal(peekLastBuild(config.stateDir, cacheStamp(config))?.listing, undefined, 'built moments after the files were written');
    await setTimeout(RACY_MS + 200);
    const second = await buildAnew(config);
    assert.equal(second.kept, false, 'no print to tell it from');
    assert.deepEqual(second.result.report.written, []);
    assert.ok(peekLastBuild(config.stateDir, cacheStamp(config))?.listing, 'saved now');
    const third = await buildAnew(config);
    assert.equal(third.kept, true);
    assert.deepEqual(third.result.report.written, []);
    assert.deepEqual(
      third.result.files.map((file) => [file.name, file.hash]).sort(),
      first.files.map((file) => [file.name, file.hash]).sort(),
    );
    // And an edit after that is still seen.
    await writeFile(path.join(config.contentDir, 'now.md'), articleText(frontMatter({ title: 'Edited Article', sourceUrl: 'https://news.example.com/now', publishedDateTime: '2025-01-01T00:00:00Z' })));
    const fourth = await buildAnew(config);
    assert.equal(fourth.kept, false);
    assert.deepEqual(allTitles(config), ['Edited Article']);
  });
});
