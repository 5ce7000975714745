/**
 * What a long-running process must get right across builds that share one cache, checked only on
 * the feeds each build writes to FEEDS_DIR (read back with fast-xml-parser and JSON.parse), so the
 * checks keep their meaning whatever the cache looks like inside.
 *
 * Each case here once passed the whole suite with a plausible bug in place (issue 12): a parse
 * cache keyed by file size alone, and a "nothing changed" shortcut that forgot deletion notices
 * run out.
 */
import assert from 'node:assert/strict';
import { rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildFeeds, createBuildCache, type BuildCache } from '../../src/build/build-feeds.js';
import type { Config } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { articleText, frontMatter } from '../helpers/articles.js';
import { testConfig } from '../helpers/config.js';
import { readFeedsFolder, readWrittenFeed } from '../helpers/feeds-folder.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { listOf, parseXmlDocument, textOf } from '../helpers/xml.js';

const T1 = new Date('2025-03-01T00:00:00Z');
const T2 = new Date('2025-03-01T00:05:00Z');
/** A whole-second mtime far from now, so restoring it restores exactly what stat reported. */
const OLD_MTIME = new Date('2024-01-01T00:00:00Z');

/** A fresh content folder, feeds folder and cache, as one server process has them. */
async function freshSite(prefix: string, env: Record<string, string> = {}): Promise<{ contentDir: string; config: Config; cache: BuildCache }> {
  const contentDir = await makeTempDir(`${prefix}-content-`);
  const config = testConfig(contentDir, path.join(await makeTempDir(`${prefix}-feeds-`), 'feeds'), env);
  return { contentDir, config, cache: createBuildCache(config.stateDir) };
}


/** Entry titles of the written RSS, Atom and JSON Feed versions of one feed. */
async function writtenTitles(feedsDir: string, feed: string): Promise<{ rss: string[]; atom: string[]; json: string[] }> {
  const rss = parseXmlDocument(await readWrittenFeed(feedsDir, `${feed}.xml`)).rss.channel;
  const atom = parseXmlDocument(await readWrittenFeed(feedsDir, `${feed}.atom`)).feed;
  const json = JSON.parse(await readWrittenFeed(feedsDir, `${feed}.json`)) as { items: { title: string }[] };
  return {
    rss: listOf(rss.item).map((item) => textOf(item.title) ?? ''),
    atom: listOf(atom.entry).map((entry) => textOf(entry.title) ?? ''),
    json: json.items.map((item) => item.title),
  };
}

describe('a rebuild sharing the cache, after an edit that keeps the file size', () => {
  /**
   * One article titled "Alpha", built once with the mtime set to OLD_MTIME; then the title is
   * changed to "Omega" (same byte count) and, with `restoreMtime`, the old mtime put back.
   */
  async function editedToOmega({ restoreMtime }: { restoreMtime: boolean }) {
    const { contentDir, config, cache } = await freshSite('same-size');
    const file = path.join(contentDir, 'story.md');
    const fields = frontMatter({ title: 'Alpha', sourceUrl: 'https://news.example.com/story', topics: ['AI'] });
    await writeFile(file, articleText(fields));
    await utimes(file, OLD_MTIME, OLD_MTIME);
    await buildFeeds({ config, logger: silentLogger, clock: () => T1, cache });
    assert.deepEqual(await writtenTitles(config.feedsDir, 'all'), { rss: ['Alpha'], atom: ['Alpha'], json: ['Alpha'] }, 'the first build');

    const before = await stat(file);
    await writeFile(file, articleText({ ...fields, title: 'Omega' }));
    if (restoreMtime) await utimes(file, OLD_MTIME, OLD_MTIME);
    const after = await stat(file);
    assert.equal(after.size, before.size, 'the edit keeps the byte count');
    assert.equal(after.mtimeMs === before.mtimeMs, restoreMtime, restoreMtime ? 'the mtime was put back' : 'the write changed the mtime');

    await buildFeeds({ config, logger: silentLogger, clock: () => T2, cache });
    return config.feedsDir;
  }

  it('writes the new title to every format of the all-topics and the topic feed when the mtime changed', async () => {
    const feedsDir = await editedToOmega({ restoreMtime: false });
    for (const feed of ['all', 'ai']) assert.deepEqual(await writtenTitles(feedsDir, feed), { rss: ['Omega'], atom: ['Omega'], json: ['Omega'] }, feed);
  });

  it('writes the new title even when the file keeps its size and its mtime (only ctime, inode or content tell)', async () => {
    const feedsDir = await editedToOmega({ restoreMtime: true });
    for (const feed of ['all', 'ai']) assert.deepEqual(await writtenTitles(feedsDir, feed), { rss: ['Omega'], atom: ['Omega'], json: ['Omega'] }, feed);
  });
});

describe('deletion notices in builds sharing the cache, when no file changes', () => {
  const DAYS = 7;
  const KEPT = 'https://news.example.com/kept';
  const REMOVED = 'https://news.example.com/removed';
  const DELETED_AT = new Date('2025-03-02T00:00:00Z');
  /** A day past the retention period, counted from the build that first missed the article. */
  const EXPIRED_AT = new Date(DELETED_AT.getTime() + (DAYS + 1) * 86_400_000);

  /** The `ref`s of the at:deleted-entry elements of a written Atom feed. */
  async function deletedRefs(feedsDir: string, feed: string): Promise<string[]> {
    const atom = parseXmlDocument(await readWrittenFeed(feedsDir, `${feed}.atom`)).feed;
    return listOf(atom['at:deleted-entry']).map((element) => element['@_ref']);
  }

  /**
   * Two AI articles; the removed one is also about Space. Built, then the removed one's file is
   * deleted and built again at DELETED_AT, all with one cache.
   */
  async function afterTheDeletion() {
    const site = await freshSite('expiry', { DELETED_ENTRY_DAYS: String(DAYS) });
    const { contentDir, config, cache } = site;
    await writeFile(path.join(contentDir, 'kept.md'), articleText(frontMatter({ title: 'Kept', sourceUrl: KEPT, topics: ['AI'] })));
    await writeFile(path.join(contentDir, 'removed.md'), articleText(frontMatter({ title: 'Removed', sourceUrl: REMOVED, topics: ['AI', 'Space'] })));
    await buildFeeds({ config, logger: silentLogger, clock: () => T1, cache });
    await rm(path.join(contentDir, 'removed.md'));
    await buildFeeds({ config, logger: silentLogger, clock: () => DELETED_AT, cache });
    return site;
  }

  it('announce the removed article in all.atom and in its topic feed after the build that misses it', async () => {
    const { config } = await afterTheDeletion();
    assert.deepEqual(await deletedRefs(config.feedsDir, 'all'), [REMOVED]);
    assert.deepEqual(await deletedRefs(config.feedsDir, 'ai'), [REMOVED]);
  });

  it(`are gone from the written all.atom and topic feed at the first build after ${DAYS} days, though no file changed`, async () => {
    const { config, cache } = await afterTheDeletion();
    await buildFeeds({ config, logger: silentLogger, clock: () => EXPIRED_AT, cache });
    assert.deepEqual(await deletedRefs(config.feedsDir, 'all'), []);
    assert.deepEqual(await deletedRefs(config.feedsDir, 'ai'), []);
  });

  it('take the feed that only the removed article was in with them once they expire', async () => {
    const { config, cache } = await afterTheDeletion();
    assert.ok((await readFeedsFolder(config.feedsDir)).has('space.atom'), 'space.atom announces the deletion first');
    await buildFeeds({ config, logger: silentLogger, clock: () => EXPIRED_AT, cache });
    const names = [...(await readFeedsFolder(config.feedsDir)).keys()];
    assert.deepEqual(names.filter((name) => name.startsWith('space.')), []);
  });

  it('stay in the written feeds at a build before the retention period ends', async () => {
    const { config, cache } = await afterTheDeletion();
    await buildFeeds({ config, logger: silentLogger, clock: () => new Date(DELETED_AT.getTime() + (DAYS - 1) * 86_400_000), cache });
    assert.deepEqual(await deletedRefs(config.feedsDir, 'all'), [REMOVED]);
    assert.deepEqual(await deletedRefs(config.feedsDir, 'ai'), [REMOVED]);
  });
});
