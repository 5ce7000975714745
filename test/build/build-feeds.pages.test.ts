/**
 * Archive pages that stay put (RFC 5005: archive documents SHOULD NOT change): real builds over
 * one content folder, where an archived article is removed. With STATE_DIR kept, only the page
 * that held it changes, in a new process (the CLI, a CI run) as in a long-running one (the
 * server's build thread); a damaged or missing pages.json only brings back the old shifting.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { buildFeeds } from '../../src/build/build-feeds.js';
import { createBuildCache } from '../../src/build/build-cache.js';
import { readManifest } from '../../src/build/write-feeds.js';
import type { Config } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { articleText, frontMatter } from '../helpers/articles.js';
import { testConfig } from '../helpers/config.js';
import { collectingLogger } from '../helpers/logger.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { missingW3cFeedCheck, w3cFindings } from '../helpers/w3c-feed-check.js';
import { listOf, parseXmlDocument, textOf } from '../helpers/xml.js';

const T1 = new Date('2025-01-01T00:00:00Z');
const T2 = new Date('2025-01-02T00:00:00Z');
/** The feeds every article is in: each has these pages at three entries a page. */
const FEEDS = ['ai', 'all', 'providers/news.example.com', 'categories/news'];
const idOf = (n: number) => `https://news.example.com/${n}`;

/**
 * Ten articles, 1 the oldest; with FEED_MAX_ITEMS=3 each feed has pages [2,1] [3] (its first
 * archive, two pages of half FEED_MAX_ITEMS) [6,5,4] [9,8,7].
 */
async function setUp(prefix: string): Promise<Config> {
  const contentDir = await makeTempDir(`${prefix}-content-`);
  for (let n = 1; n <= 10; n++) {
    const fields = frontMatter({ title: `Article ${n}`, sourceUrl: idOf(n), publishedDateTime: `2024-05-${String(n).padStart(2, '0')}T10:00:00Z` });
    await writeFile(path.join(contentDir, `article-${n}.md`), articleText(fields));
  }
  return testConfig(contentDir, path.join(await makeTempDir(`${prefix}-feeds-`), 'feeds'), { FEED_MAX_ITEMS: '3' });
}

/** Every archive page file, by name, as bytes. */
async function archiveFiles(config: Config): Promise<Map<string, Buffer>> {
  const dir = path.join(config.feedsDir, 'archive');
  const names = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile()).map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
  return new Map(await Promise.all(names.sort().map(async (name) => [name, await readFile(path.join(dir, name))] as const)));
}

/** The guids of an RSS archive page, read with fast-xml-parser. */
async function rssIds(config: Config, page: string): Promise<string[]> {
  const rss = parseXmlDocument(await readFile(path.join(config.feedsDir, 'archive', `${page}.xml`), 'utf8'));
  return listOf(rss.rss.channel.item).map((item) => textOf(item.guid)!);
}

/** Names whose bytes differ between two snapshots (or that one of them lacks). */
function changedNames(before: Map<string, Buffer>, after: Map<string, Buffer>): string[] {
  return [...new Set([...before.keys(), ...after.keys()])].filter((name) => !before.get(name)?.equals(after.get(name) ?? Buffer.alloc(0)) || !after.has(name)).sort();
}

const pageFiles = (page: number) => FEEDS.flatMap((feed) => ['xml', 'atom', 'json', 'html'].map((ext) => `${feed}/${page}.${ext}`)).sort();

describe('archive pages when an archived article is removed', () => {
  it('change only the page that held it, in a new process (STATE_DIR kept)', async () => {
    const config = await setUp('pages-new-process');
    await buildFeeds({ config, logger: silentLogger, clock: () => T1 });
    const before = await archiveFiles(config);
    assert.deepEqual(await rssIds(config, 'ai/1'), [idOf(2), idOf(1)]);
    assert.deepEqual(await rssIds(config, 'ai/2'), [idOf(3)]);
    assert.deepEqual(await rssIds(config, 'ai/3'), [idOf(6), idOf(5), idOf(4)]);

    await rm(path.join(config.contentDir, 'article-2.md'));
    await buildFeeds({ config, logger: silentLogger, clock: () => T2 });
    assert.deepEqual(changedNames(before, await archiveFiles(config)), pageFiles(1));
    for (const feed of FEEDS) {
      assert.deepEqual(await rssIds(config, `${feed}/1`), [idOf(1)], feed);
      assert.deepEqual(await rssIds(config, `${feed}/2`), [idOf(3)], feed);
      assert.deepEqual(await rssIds(config, `${feed}/3`), [idOf(6), idOf(5), idOf(4)], feed);
    }
  });

  it('change only the page that held it in a long-running process (one cache across builds)', async () => {
    const config = await setUp('pages-one-process');
    const cache = createBuildCache(config.stateDir);
    await buildFeeds({ config, logger: silentLogger, clock: () => T1, cache });
    const before = await archiveFiles(config);
    await rm(path.join(config.contentDir, 'article-5.md'));
    await buildFeeds({ config, logger: silentLogger, clock: () => T2, cache });
    assert.deepEqual(changedNames(before, await archiveFiles(config)), pageFiles(3));
    assert.deepEqual(await rssIds(config, 'ai/3'), [idOf(6), idOf(4)]);
  });

  it('shift every later page when STATE_DIR/pages.json is not kept (what it is for)', async () => {
    const config = await setUp('pages-no-state');
    await buildFeeds({ config, logger: silentLogger, clock: () => T1 });
    await rm(path.join(config.stateDir, 'pages.json'));
    await rm(path.join(config.contentDir, 'article-2.md'));
    await buildFeeds({ config, logger: silentLogger, clock: () => T2 });
    // Cut afresh from the nine left: [3,1] [4] [7,6,5] [10,9,8], where pages 2 and 3 held [3] and [6,5,4].
    assert.deepEqual(await rssIds(config, 'ai/2'), [idOf(4)]);
    assert.deepEqual(await rssIds(config, 'ai/3'), [idOf(7), idOf(6), idOf(5)]);
  });

  it('are cut afresh, with a warning naming the file, when pages.json is damaged', async () => {
    const config = await setUp('pages-damaged');
    await buildFeeds({ config, logger: silentLogger, clock: () => T1 });
    const file = path.join(config.stateDir, 'pages.json');
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.slice(0, text.length - 20));
    await rm(path.join(config.contentDir, 'article-2.md'));
    const { logger, entries } = collectingLogger();
    const result = await buildFeeds({ config, logger, clock: () => T2 });
    assert.equal(result.report.published, 9);
    const warning = entries.find((entry) => entry.level === 'warn' && entry.msg.includes(file));
    assert.ok(warning, `no warning naming ${file}: ${entries.map((entry) => entry.msg).join('\n')}`);
    assert.match(warning.msg, /unreadable/);
    // Cut afresh: every article still in exactly one page or the subscription feed's newest three.
    assert.deepEqual(await rssIds(config, 'ai/1'), [idOf(3), idOf(1)]);
    assert.deepEqual(await rssIds(config, 'ai/2'), [idOf(4)]);
    assert.deepEqual(await rssIds(config, 'ai/3'), [idOf(7), idOf(6), idOf(5)]);
    // And written again whole: the next build reads it without a warning.
    JSON.parse(await readFile(file, 'utf8'));
  });

  it('keep an emptied page at its number, valid for the W3C checker', async (t: TestContext) => {
    const config = await setUp('pages-emptied');
    await buildFeeds({ config, logger: silentLogger, clock: () => T1 });
    for (const n of [1, 2]) await rm(path.join(config.contentDir, `article-${n}.md`));
    await buildFeeds({ config, logger: silentLogger, clock: () => T2 });
    assert.deepEqual(await rssIds(config, 'ai/1'), []);
    assert.deepEqual(await rssIds(config, 'ai/2'), [idOf(3)]);
    assert.deepEqual(await rssIds(config, 'ai/3'), [idOf(6), idOf(5), idOf(4)]);
    const json = JSON.parse(await readFile(path.join(config.feedsDir, 'archive', 'ai', '1.json'), 'utf8')) as { items: unknown[]; next_url?: string };
    assert.deepEqual(json.items, []);
    if (await missingW3cFeedCheck(t)) return;
    const files = ['xml', 'atom'].map((ext) => path.join(config.feedsDir, 'archive', 'ai', `1.${ext}`));
    assert.deepEqual(await w3cFindings(files), []);
  });
});

describe('archive pages when an older article comes later', () => {
  it('put it on the full page its date falls in, which grows past FEED_MAX_ITEMS, and change no other page or feed', async () => {
    const config = await setUp('pages-older');
    await buildFeeds({ config, logger: silentLogger, clock: () => T1 });
    const before = await archiveFiles(config);
    const feedsBefore = await readFile(path.join(config.feedsDir, 'all.xml'));
    const fields = frontMatter({ title: 'Article 4.5', sourceUrl: idOf(45), publishedDateTime: '2024-05-04T22:00:00Z' });
    await writeFile(path.join(config.contentDir, 'article-45.md'), articleText(fields));

    await buildFeeds({ config, logger: silentLogger, clock: () => T2 });
    assert.deepEqual(changedNames(before, await archiveFiles(config)), pageFiles(3));
    for (const feed of FEEDS) assert.deepEqual(await rssIds(config, `${feed}/3`), [idOf(6), idOf(5), idOf(45), idOf(4)], feed);
    assert.ok(feedsBefore.equals(await readFile(path.join(config.feedsDir, 'all.xml'))), 'the subscription feed did not change');
  });
});

describe('archive pages for some kinds of feed only (FEED_ARCHIVES=topics)', () => {
  it('removes the other kinds\' pages and their prev-archive links when the setting narrows, keeping the topic pages byte for byte', async () => {
    const every = await setUp('pages-kinds');
    await buildFeeds({ config: every, logger: silentLogger, clock: () => T1 });
    const before = await archiveFiles(every);
    const topics = testConfig(every.contentDir, every.feedsDir, { FEED_MAX_ITEMS: '3', FEED_ARCHIVES: 'topics' });

    const result = await buildFeeds({ config: topics, logger: silentLogger, clock: () => T2 });
    assert.deepEqual(result.report.problems, []);
    const after = await archiveFiles(topics);
    assert.deepEqual([...after.keys()], [...before.keys()].filter((name) => name.startsWith('ai/')));
    assert.deepEqual(changedNames(before, after), [...before.keys()].filter((name) => !name.startsWith('ai/')));
    assert.ok(result.report.removed.includes('archive/all/1.xml') && result.report.removed.includes('archive/providers/news.example.com/4.atom'));
    // What a restarting server serves: the manifest lists the topic pages and no other.
    const listed = [...readManifest(topics.feedsDir)!.files.keys()].filter((name) => name.startsWith('archive/'));
    assert.deepEqual(listed.sort(), [...after.keys()].map((name) => `archive/${name}`).sort());

    const prevArchive = async (feed: string) => {
      const atom = parseXmlDocument(await readFile(path.join(topics.feedsDir, `${feed}.atom`), 'utf8'));
      return listOf(atom.feed.link).find((link) => link['@_rel'] === 'prev-archive')?.['@_href'];
    };
    assert.equal(await prevArchive('ai'), 'https://feeds.example.org/feeds/archive/ai/4.atom');
    for (const feed of ['all', 'providers/news.example.com', 'categories/news']) assert.equal(await prevArchive(feed), undefined, feed);
    // The subscription feeds of the other kinds hold their newest entries, as with archives off.
    const allRss = parseXmlDocument(await readFile(path.join(topics.feedsDir, 'all.xml'), 'utf8'));
    assert.deepEqual(listOf(allRss.rss.channel.item).map((item) => textOf(item.guid)), [idOf(10), idOf(9), idOf(8)]);
  });
});

describe('page edges of the kinds of feed FEED_ARCHIVES leaves out for a while', () => {
  it('are kept, so that widening the setting again changes only the page that held an article removed meanwhile (as with FEED_ARCHIVES=false)', async () => {
    const every = await setUp('pages-kinds-back');
    await buildFeeds({ config: every, logger: silentLogger, clock: () => T1 });
    const before = await archiveFiles(every);

    await rm(path.join(every.contentDir, 'article-2.md'));
    const topics = testConfig(every.contentDir, every.feedsDir, { FEED_MAX_ITEMS: '3', FEED_ARCHIVES: 'topics' });
    await buildFeeds({ config: topics, logger: silentLogger, clock: () => T2 });
    await buildFeeds({ config: every, logger: silentLogger, clock: () => T2 });

    assert.deepEqual(changedNames(before, await archiveFiles(every)), pageFiles(1));
    for (const feed of FEEDS) {
      assert.deepEqual(await rssIds(every, `${feed}/1`), [idOf(1)], feed);
      assert.deepEqual(await rssIds(every, `${feed}/2`), [idOf(3)], feed);
      assert.deepEqual(await rssIds(every, `${feed}/3`), [idOf(6), idOf(5), idOf(4)], feed);
    }
  });
});
