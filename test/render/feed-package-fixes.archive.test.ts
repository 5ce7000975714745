/**
 * What feed-package-fixes.ts adds beyond `feed`: RFC 5005 paging links and fh:archive, WebSub hub
 * links, Media RSS and RFC 6721 tombstones. Rendered through the real pipeline
 * (collectFeeds → buildFeedDocuments → renderFeedFiles) and read back with fast-xml-parser,
 * JSON.parse and the JSON Feed 1.1 schema.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Article } from '../../src/content/article-schema.js';
import { collectFeeds } from '../../src/feeds/feed-collections.js';
import { buildFeedDocuments } from '../helpers/documents.js';
import type { DocumentOptions } from '../../src/feeds/feed-documents.js';
import type { FeedSite } from '../../src/feeds/feed-model.js';
import { renderFeedFiles } from '../../src/render/render-feeds.js';
import { assertValidJsonFeed } from '../helpers/json-feed-schema.js';
import { makeArticle, testSite } from '../helpers/articles.js';
import { parseXmlDocument, textOf, type XmlNode } from '../helpers/xml.js';

const BASE = `${testSite.baseUrl}/feeds`;
const SITE: FeedSite = { ...testSite, maxItems: 2 };
const HUB = 'https://hub.example.com/';
const NS = {
  fh: 'http://purl.org/syndication/history/1.0',
  at: 'http://purl.org/atompub/tombstones/1.0',
  media: 'http://search.yahoo.com/mrss/',
};

type Json = Record<string, any>;

function article(n: number, overrides: Record<string, unknown> = {}): Article {
  return makeArticle(
    { title: `Article ${n}`, sourceUrl: `https://news.example.com/${n}`, publishedDateTime: `2024-05-${String(n).padStart(2, '0')}T10:00:00Z`, ...overrides },
    '',
    `article-${n}.md`,
  );
}

/**
 * Five AI articles, newest first: with two per document, `ai` (5, 4) and archive pages 1 (1) and
 * 2 (2), the first archive's two halves, and 3 (4, 3).
 */
const FIVE = [5, 4, 3, 2, 1].map((n) => article(n));

/** Every rendered file of `articles`, name → body. */
function render(articles: readonly Article[], site: FeedSite = SITE, options?: DocumentOptions<Article>): Map<string, string> {
  const documents = buildFeedDocuments(collectFeeds(articles).collections, site, options);
  return new Map(documents.flatMap(renderFeedFiles).map((file) => [file.name, file.body]));
}

function body(files: Map<string, string>, name: string): string {
  const found = files.get(name);
  assert.ok(found !== undefined, `no ${name} among ${[...files.keys()].join(', ')}`);
  return found;
}

const asArray = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

const rss = (xml: string): XmlNode => parseXmlDocument(xml).rss;
const atom = (xml: string): XmlNode => parseXmlDocument(xml).feed;
const json = (text: string): Json => JSON.parse(text) as Json;

/** [rel, href, type] of the feed-level links with one of `rels`, in document order. */
function links(elements: XmlNode[] | undefined, rels: readonly string[]): [string, string, string | undefined][] {
  return asArray(elements)
    .filter((link) => rels.includes(link['@_rel']))
    .map((link) => [link['@_rel'], link['@_href'], link['@_type']]);
}

const PAGING = ['current', 'prev-archive', 'next-archive'] as const;

describe('RFC 5005 paging in RSS 2.0', () => {
  const files = render(FIVE);

  it('links the subscription channel to the newest archive page as prev-archive', () => {
    const channel = rss(body(files, 'ai.xml')).channel;
    assert.deepEqual(links(channel['atom:link'], PAGING), [['prev-archive', `${BASE}/archive/ai/3.xml`, 'application/rss+xml']]);
  });

  it('does not mark the subscription channel as an archive', () => {
    assert.equal(rss(body(files, 'ai.xml')).channel['fh:archive'], undefined);
  });

  it('links the newest archive page to the subscription feed (current) and the older page (prev-archive)', () => {
    const channel = rss(body(files, 'archive/ai/3.xml')).channel;
    assert.deepEqual(
      links(channel['atom:link'], PAGING).sort(),
      [
        ['current', `${BASE}/ai.xml`, 'application/rss+xml'],
        ['prev-archive', `${BASE}/archive/ai/2.xml`, 'application/rss+xml'],
      ],
    );
  });

  it('links the oldest archive page to the subscription feed (current) and the newer page (next-archive)', () => {
    const channel = rss(body(files, 'archive/ai/1.xml')).channel;
    assert.deepEqual(
      links(channel['atom:link'], PAGING).sort(),
      [
        ['current', `${BASE}/ai.xml`, 'application/rss+xml'],
        ['next-archive', `${BASE}/archive/ai/2.xml`, 'application/rss+xml'],
      ],
    );
  });

  it('marks an archive page with fh:archive and declares the fh namespace', () => {
    const document = rss(body(files, 'archive/ai/1.xml'));
    assert.equal(document['@_xmlns:fh'], NS.fh);
    assert.notEqual(document.channel['fh:archive'], undefined);
  });
});

describe('RFC 5005 paging in Atom 1.0', () => {
  const files = render(FIVE);

  it('links the subscription feed to the newest archive page as prev-archive', () => {
    assert.deepEqual(links(atom(body(files, 'ai.atom')).link, PAGING), [['prev-archive', `${BASE}/archive/ai/3.atom`, 'application/atom+xml']]);
  });

  it('does not mark the subscription feed as an archive', () => {
    assert.equal(atom(body(files, 'ai.atom'))['fh:archive'], undefined);
  });

  it('links the newest archive page to the subscription feed (current) and the older page (prev-archive)', () => {
    assert.deepEqual(
      links(atom(body(files, 'archive/ai/3.atom')).link, PAGING).sort(),
      [
        ['current', `${BASE}/ai.atom`, 'application/atom+xml'],
        ['prev-archive', `${BASE}/archive/ai/2.atom`, 'application/atom+xml'],
      ],
    );
  });

  it('links the oldest archive page to the subscription feed (current) and the newer page (next-archive)', () => {
    assert.deepEqual(
      links(atom(body(files, 'archive/ai/1.atom')).link, PAGING).sort(),
      [
        ['current', `${BASE}/ai.atom`, 'application/atom+xml'],
        ['next-archive', `${BASE}/archive/ai/2.atom`, 'application/atom+xml'],
      ],
    );
  });

  it('marks an archive page with fh:archive and declares the fh namespace', () => {
    const feed = atom(body(files, 'archive/ai/2.atom'));
    assert.equal(feed['@_xmlns:fh'], NS.fh);
    assert.notEqual(feed['fh:archive'], undefined);
  });
});

describe('paging in JSON Feed 1.1', () => {
  const files = render(FIVE);

  it("sets the subscription feed's next_url to the newest archive page's .json", () => {
    assert.equal(json(body(files, 'ai.json')).next_url, `${BASE}/archive/ai/3.json`);
  });

  it("sets an archive page's next_url to the next older page's .json", () => {
    assert.equal(json(body(files, 'archive/ai/3.json')).next_url, `${BASE}/archive/ai/2.json`);
    assert.equal(json(body(files, 'archive/ai/2.json')).next_url, `${BASE}/archive/ai/1.json`);
  });

  it('gives the oldest page no next_url', () => {
    assert.equal('next_url' in json(body(files, 'archive/ai/1.json')), false);
  });

  it('keeps every page valid JSON Feed 1.1', () => {
    for (const name of ['ai.json', 'archive/ai/3.json', 'archive/ai/2.json', 'archive/ai/1.json']) assertValidJsonFeed(json(body(files, name)), name);
  });
});

describe('WebSub hub', () => {
  const files = render(FIVE, { ...SITE, hubUrl: HUB });

  it('names the hub in RSS as atom:link rel="hub"', () => {
    assert.deepEqual(
      links(rss(body(files, 'ai.xml')).channel['atom:link'], ['hub']).map(([rel, href]) => [rel, href]),
      [['hub', HUB]],
    );
  });

  it('names the hub in Atom as link rel="hub"', () => {
    assert.deepEqual(
      links(atom(body(files, 'ai.atom')).link, ['hub']).map(([rel, href]) => [rel, href]),
      [['hub', HUB]],
    );
  });

  it('names the hub in JSON Feed as hubs [{type: WebSub, url}], still valid 1.1', () => {
    const feed = json(body(files, 'ai.json'));
    assert.deepEqual(feed.hubs, [{ type: 'WebSub', url: HUB }]);
    assertValidJsonFeed(feed);
  });

  it('names no hub on archive pages', () => {
    assert.deepEqual(links(rss(body(files, 'archive/ai/1.xml')).channel['atom:link'], ['hub']), []);
    assert.deepEqual(links(atom(body(files, 'archive/ai/1.atom')).link, ['hub']), []);
    assert.equal('hubs' in json(body(files, 'archive/ai/1.json')), false);
  });

  it('names no hub when the site has none', () => {
    const plain = render(FIVE);
    assert.deepEqual(links(rss(body(plain, 'ai.xml')).channel['atom:link'], ['hub']), []);
    assert.deepEqual(links(atom(body(plain, 'ai.atom')).link, ['hub']), []);
    assert.equal('hubs' in json(body(plain, 'ai.json')), false);
  });
});

describe('Media RSS', () => {
  const IMAGES = [
    { url: 'https://img.example.com/first.png', width: 640, height: 480, title: 'The first image' },
    { url: 'https://img.example.com/second.jpg', width: 320, height: 200, title: 'The second image' },
  ];
  const files = render([article(1, { images: IMAGES })]);
  const expectedContent = [
    { url: IMAGES[0]!.url, medium: 'image', type: 'image/png', width: '640', height: '480', title: 'The first image' },
    { url: IMAGES[1]!.url, medium: 'image', type: 'image/jpeg', width: '320', height: '200', title: 'The second image' },
  ];

  const mediaContent = (item: XmlNode) =>
    asArray<XmlNode>(item['media:content']).map((content) => ({
      url: content['@_url'],
      medium: content['@_medium'],
      type: content['@_type'],
      width: content['@_width'],
      height: content['@_height'],
      title: textOf(content['media:title']),
    }));
  const thumbnails = (item: XmlNode) =>
    asArray<XmlNode>(item['media:thumbnail']).map((thumbnail) => [thumbnail['@_url'], thumbnail['@_width'], thumbnail['@_height']]);

  it('writes one media:content per image in RSS, with medium, type, size and media:title', () => {
    const document = rss(body(files, 'ai.xml'));
    assert.equal(document['@_xmlns:media'], NS.media);
    assert.deepEqual(mediaContent(document.channel.item[0]), expectedContent);
  });

  it('writes a media:thumbnail for the first image only in RSS', () => {
    assert.deepEqual(thumbnails(rss(body(files, 'ai.xml')).channel.item[0]), [[IMAGES[0]!.url, '640', '480']]);
  });

  it('writes one media:content per image in Atom, with medium, type, size and media:title', () => {
    const feed = atom(body(files, 'ai.atom'));
    assert.equal(feed['@_xmlns:media'], NS.media);
    assert.deepEqual(mediaContent(feed.entry[0]), expectedContent);
  });

  it('writes a media:thumbnail for the first image only in Atom', () => {
    assert.deepEqual(thumbnails(atom(body(files, 'ai.atom')).entry[0]), [[IMAGES[0]!.url, '640', '480']]);
  });

  it('leaves out width, height and media:title when the image has none', () => {
    const bare = render([article(1, { images: [{ url: 'https://img.example.com/bare.jpg' }] })]);
    const [content] = asArray<XmlNode>(rss(body(bare, 'ai.xml')).channel.item[0]['media:content']);
    assert.deepEqual(content, { '@_url': 'https://img.example.com/bare.jpg', '@_medium': 'image', '@_type': 'image/jpeg' });
  });

  it('writes no media elements for an article without images', () => {
    const plain = render([article(1, { images: [] })]);
    const item = rss(body(plain, 'ai.xml')).channel.item[0];
    const entry = atom(body(plain, 'ai.atom')).entry[0];
    for (const node of [item, entry]) {
      assert.equal(node['media:content'], undefined);
      assert.equal(node['media:thumbnail'], undefined);
    }
  });
});

describe('RFC 6721 tombstones', () => {
  const GONE = 'https://news.example.com/gone-article';
  const DELETED_AT = new Date('2024-06-01T12:00:00Z');
  const files = render([article(2), article(1)], SITE, { tombstones: new Map([['ai', [{ id: GONE, deletedAt: DELETED_AT }]]]) });

  it('announces a deleted entry in Atom as at:deleted-entry with ref = its id and when = ISO date', () => {
    const feed = atom(body(files, 'ai.atom'));
    assert.deepEqual(
      asArray<XmlNode>(feed['at:deleted-entry']).map((deleted) => [deleted['@_ref'], deleted['@_when']]),
      [[GONE, '2024-06-01T12:00:00.000Z']],
    );
  });

  it('declares the at namespace in Atom', () => {
    assert.equal(atom(body(files, 'ai.atom'))['@_xmlns:at'], NS.at);
  });

  it('announces it only in the feeds it was in', () => {
    assert.equal(atom(body(files, 'all.atom'))['at:deleted-entry'], undefined);
  });

  it('leaves the deleted id out of RSS and JSON Feed entirely', () => {
    for (const name of ['ai.xml', 'ai.json']) assert.ok(!body(files, name).includes(GONE), name);
  });

  it('keeps the live entries in Atom', () => {
    assert.deepEqual(
      atom(body(files, 'ai.atom')).entry.map((entry: XmlNode) => textOf(entry.id)),
      ['https://news.example.com/2', 'https://news.example.com/1'],
    );
  });
});
