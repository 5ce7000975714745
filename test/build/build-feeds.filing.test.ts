/**
 * An edit that changes where an article is filed (its topics, provider, category, date or
 * `published`), built by a process that keeps its cache between builds, must give exactly the
 * files a fresh build gives: a new cache and a new feeds folder, the same content, the same clock
 * and the same entry state. Compared byte for byte on what each build wrote to its FEEDS_DIR.
 *
 * A cached rebuild may reuse the last selection and grouping only when an edit leaves all of
 * these alone (README, "Rebuilds"); each test here changes one of them.
 */
import assert from 'node:assert/strict';
import { cp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildFeeds, createBuildCache } from '../../src/build/build-feeds.js';
import { silentLogger } from '../../src/logger.js';
import { articleText, frontMatter } from '../helpers/articles.js';
import { testConfig } from '../helpers/config.js';
import { readFeedsFolder } from '../helpers/feeds-folder.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { listOf, parseXmlDocument, textOf, type XmlNode } from '../helpers/xml.js';

const T1 = new Date('2025-03-01T00:00:00Z');
const T2 = new Date('2025-03-01T00:05:00Z');
/** Two entries per document, so a date change also moves entries between a feed and its archive pages. */
const ENV = { FEED_MAX_ITEMS: '2' };

const ORBIT = { name: 'Orbit', domain: 'orbit.example.com' };
const DAILY = { name: 'Daily Planet', domain: 'daily.example.com' };
const WIRE = { name: 'Wire', domain: 'wire.example.com' };

type Fields = Record<string, unknown>;

/**
 * Four articles spread over topics, providers and categories; `edited.md` is the one that changes,
 * and the only one from Orbit.
 */
const ARTICLES: Record<string, Fields> = {
  'edited.md': { title: 'Edited', sourceUrl: 'https://news.example.com/edited', topics: ['AI'], provider: ORBIT, category: 'news', publishedDateTime: '2025-01-01T00:00:00Z' },
  'b.md': { title: 'B', sourceUrl: 'https://news.example.com/b', topics: ['AI', 'Space'], provider: DAILY, category: 'analysis', publishedDateTime: '2025-01-02T00:00:00Z' },
  'c.md': { title: 'C', sourceUrl: 'https://news.example.com/c', topics: ['Space'], provider: WIRE, category: 'news', publishedDateTime: '2025-01-03T00:00:00Z' },
  'd.md': { title: 'D', sourceUrl: 'https://news.example.com/d', topics: ['Climate'], provider: DAILY, category: 'analysis', publishedDateTime: '2025-01-04T00:00:00Z' },
};

interface Refiled {
  /** What the first build wrote, before the edit. */
  readonly before: Map<string, Buffer>;
  /** What the rebuild with the carried cache wrote after the edit. */
  readonly cached: Map<string, Buffer>;
  /** What a fresh build of the edited content wrote. */
  readonly fresh: Map<string, Buffer>;
}

/**
 * Builds the four articles at T1 with a cache, applies `change` to edited.md, then builds at T2
 * twice: with that cache, and fresh (new cache, new feeds folder, the entry state the first build
 * left).
 */
async function refile(change: Fields): Promise<Refiled> {
  const contentDir = await makeTempDir('filing-content-');
  for (const [name, fields] of Object.entries(ARTICLES)) await writeFile(path.join(contentDir, name), articleText(frontMatter(fields)));
  const config = testConfig(contentDir, path.join(await makeTempDir('filing-feeds-'), 'feeds'), ENV);
  const cache = createBuildCache(config.stateDir);
  await buildFeeds({ config, logger: silentLogger, clock: () => T1, cache });
  const before = await readFeedsFolder(config.feedsDir);

  const freshConfig = testConfig(contentDir, path.join(await makeTempDir('filing-fresh-'), 'feeds'), ENV);
  await cp(config.stateDir, freshConfig.stateDir, { recursive: true });

  await writeFile(path.join(contentDir, 'edited.md'), articleText(frontMatter({ ...ARTICLES['edited.md'], ...change })));
  await buildFeeds({ config, logger: silentLogger, clock: () => T2, cache });
  await buildFeeds({ config: freshConfig, logger: silentLogger, clock: () => T2, cache: createBuildCache(freshConfig.stateDir) });
  return { before, cached: await readFeedsFolder(config.feedsDir), fresh: await readFeedsFolder(freshConfig.feedsDir) };
}

/** Fails with the names of the files that differ, rather than two folders of bytes. */
function assertSameFiles(actual: Map<string, Buffer>, expected: Map<string, Buffer>): void {
  assert.deepEqual([...actual.keys()], [...expected.keys()], 'the same file names');
  const differing = [...actual].filter(([name, bytes]) => !bytes.equals(expected.get(name)!)).map(([name]) => name);
  assert.deepEqual(differing, [], 'files whose bytes differ from the fresh build');
}

const EDITED_LINK = 'https://news.example.com/edited';
const rssChannel = (files: Map<string, Buffer>, name: string): XmlNode => parseXmlDocument(files.get(name)?.toString('utf8') ?? '').rss.channel;
/** The `<link>` of each item (fast-xml-parser gives every `link` as an array), in feed order. */
const itemLinks = (files: Map<string, Buffer>, name: string): string[] =>
  listOf(rssChannel(files, name).item).flatMap((item) => listOf(item.link).map((link) => textOf(link) ?? ''));

/** Whether the RSS feed `feed` or one of its archive pages has the edited article as an item. */
function holdsEdited(files: Map<string, Buffer>, feed: string): boolean {
  const pages = [...files.keys()].filter((name) => name === `${feed}.xml` || (name.startsWith(`archive/${feed}/`) && name.endsWith('.xml')));
  return pages.some((name) => itemLinks(files, name).includes(EDITED_LINK));
}

describe('a cached rebuild after an edit that refiles an article writes what a fresh build writes', () => {
  it('when its topics change (AI → Climate)', async () => {
    const { before, cached, fresh } = await refile({ topics: ['Climate'] });
    assert.ok(holdsEdited(before, 'ai') && !holdsEdited(fresh, 'ai') && holdsEdited(fresh, 'climate'), 'the edit moves it');
    assertSameFiles(cached, fresh);
  });

  it("when its provider's domain changes", async () => {
    const { before, cached, fresh } = await refile({ provider: { ...ORBIT, domain: DAILY.domain } });
    assert.ok(holdsEdited(before, 'providers/orbit.example.com') && !holdsEdited(fresh, 'providers/orbit.example.com') && holdsEdited(fresh, 'providers/daily.example.com'), 'the edit moves it');
    assertSameFiles(cached, fresh);
  });

  it("when its provider's name changes, which renames the provider feed", async () => {
    const { before, cached, fresh } = await refile({ provider: { ...ORBIT, name: 'Orbit Weekly' } });
    const title = (files: Map<string, Buffer>) => textOf(rssChannel(files, 'providers/orbit.example.com.xml').title);
    assert.deepEqual([title(before), title(fresh)], ['Syndicated news: from Orbit', 'Syndicated news: from Orbit Weekly'], 'the edit renames the feed');
    assertSameFiles(cached, fresh);
  });

  it('when its category changes (news → analysis)', async () => {
    const { before, cached, fresh } = await refile({ category: 'analysis' });
    assert.ok(holdsEdited(before, 'categories/news') && !holdsEdited(fresh, 'categories/news') && holdsEdited(fresh, 'categories/analysis'), 'the edit moves it');
    assertSameFiles(cached, fresh);
  });

  it('when its publishedDateTime changes, from oldest to newest', async () => {
    const { before, cached, fresh } = await refile({ publishedDateTime: '2025-01-05T00:00:00Z' });
    assert.ok(!itemLinks(before, 'all.xml').includes(EDITED_LINK) && itemLinks(fresh, 'all.xml')[0] === EDITED_LINK, 'the edit moves it from an archive page to the top of the feed');
    assertSameFiles(cached, fresh);
  });

  it('when it is made a draft (published: false)', async () => {
    const { before, cached, fresh } = await refile({ published: false });
    assert.ok(holdsEdited(before, 'ai') && !holdsEdited(fresh, 'ai'), 'the edit takes it out');
    assertSameFiles(cached, fresh);
  });
});
