/**
 * RSS 2.0 `<source url="…">name</source>`: each item names the channel it came from, here this
 * service's RSS feed of the article's provider. Read back with fast-xml-parser, and checked against
 * the provider feed the same build wrote (its self link and its title).
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { buildFeeds } from '../../src/build/build-feeds.js';
import { silentLogger } from '../../src/logger.js';
import { articleText, frontMatter } from '../helpers/articles.js';
import { testConfig } from '../helpers/config.js';
import { readWrittenFeed } from '../helpers/feeds-folder.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { listOf, parseXmlDocument, textOf, type XmlNode } from '../helpers/xml.js';

const HOSTILE_NAME = 'Ben & Jerry\'s <News> "Desk"';
const ARTICLES = {
  'hostile.md': { title: 'Hostile', sourceUrl: 'https://news.example.com/h', provider: { name: HOSTILE_NAME, domain: 'news.example.com' } },
  'no-domain.md': { title: 'No domain', sourceUrl: 'https://wire.example.net/n', provider: { name: 'Wire & Co' } },
  'no-provider.md': { title: 'No provider', sourceUrl: 'https://x.example.org/p', provider: undefined },
};

describe('RSS <source>: the provider feed each item came from', () => {
  let feedsDir: string;
  let items: Map<string, XmlNode>;

  before(async () => {
    const contentDir = await makeTempDir('source-content-');
    for (const [file, fields] of Object.entries(ARTICLES)) await writeFile(path.join(contentDir, file), articleText(frontMatter(fields)));
    feedsDir = path.join(await makeTempDir('source-feeds-'), 'feeds');
    const result = await buildFeeds({ config: testConfig(contentDir, feedsDir), logger: silentLogger, clock: () => new Date('2025-03-01T00:00:00Z') });
    assert.equal(result.report.published, 3);
    const channel = parseXmlDocument(await readWrittenFeed(feedsDir, 'all.xml')).rss.channel;
    items = new Map(listOf(channel.item).map((item) => [textOf(item.title)!, item]));
  });

  /** The provider feed a source url names, read from the build's own output: its self link and title. */
  async function feedAt(url: string): Promise<{ self: string; title: string }> {
    const name = decodeURIComponent(new URL(url).pathname.replace(/^\/feeds\//, ''));
    const channel = parseXmlDocument(await readWrittenFeed(feedsDir, name)).rss.channel;
    const self = listOf(channel['atom:link']).find((link) => link['@_rel'] === 'self')?.['@_href'];
    return { self, title: textOf(channel.title)! };
  }

  it('names the provider, & < > and quotes intact, with the url of its RSS feed in this build', async () => {
    const source = items.get('Hostile')?.source;
    assert.equal(textOf(source), HOSTILE_NAME);
    assert.equal(source['@_url'], 'https://feeds.example.org/feeds/providers/news.example.com.xml');
    const feed = await feedAt(source['@_url']);
    assert.equal(feed.self, source['@_url']);
    assert.ok(feed.title.includes(HOSTILE_NAME), feed.title);
  });

  it('links the feed of a provider without a domain, named by its slug', async () => {
    const source = items.get('No domain')?.source;
    assert.equal(textOf(source), 'Wire & Co');
    assert.equal(source['@_url'], 'https://feeds.example.org/feeds/providers/wire-and-co.xml');
    assert.equal((await feedAt(source['@_url'])).self, source['@_url']);
  });

  it('writes no source for an article without a provider', () => {
    assert.equal(items.get('No provider')?.source, undefined);
  });
});
