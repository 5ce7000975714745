/**
 * The fixes in src/render/feed-package-fixes.ts, checked through the real pipeline
 * (buildFeedDocuments → renderFeedFiles) and read back with parsers nobody on this project wrote:
 * fast-xml-parser for RSS and Atom, JSON.parse plus ajv with the JSON Feed 1.1 schema for JSON.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { Article } from '../../src/content/article-schema.js';
import { buildFeedDocuments } from '../helpers/documents.js';
import type { DocumentOptions } from '../../src/feeds/feed-documents.js';
import type { FeedDocument } from '../../src/feeds/feed-model.js';
import { renderFeedFiles } from '../../src/render/render-feeds.js';
import { collectFeeds } from '../../src/feeds/feed-collections.js';
import { makeArticle, testSite } from '../helpers/articles.js';
import { parseXmlDocument, textOf, type XmlNode } from '../helpers/xml.js';

const addFormats = addFormatsModule.default;
const ajv = new Ajv({ allErrors: true });
addFormats(ajv);
const validateJsonFeed = ajv.compile(JSON.parse(readFileSync(new URL('../schemas/jsonfeed-1.1.schema.json', import.meta.url), 'utf8')) as object);

const SAMPLE_IMAGE_URL = 'https://www.bing.com/th?id=ON.97331B7269776F2B2C73CE8D888D034D';
const URN_ID = 'urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427';

type Json = Record<string, any>;

interface Rendered {
  readonly document: FeedDocument;
  readonly rss: string;
  readonly atom: string;
  readonly json: string;
}

/** The all-topics feed of `articles` (newest first) in all three formats. */
function render(...articles: Article[]): Rendered {
  const [document] = buildFeedDocuments(collectFeeds(articles).collections, testSite);
  assert.ok(document);
  const files = renderFeedFiles(document);
  const body = (name: string) => {
    const file = files.find((candidate) => candidate.name === name);
    assert.ok(file, `no ${name} among ${files.map((f) => f.name).join(', ')}`);
    return file.body;
  };
  return { document, rss: body('all.xml'), atom: body('all.atom'), json: body('all.json') };
}

const rssChannel = (xml: string): XmlNode => parseXmlDocument(xml).rss.channel;
const rssItems = (xml: string): XmlNode[] => rssChannel(xml).item;
const atomFeed = (xml: string): XmlNode => parseXmlDocument(xml).feed;
const atomEntries = (xml: string): XmlNode[] => atomFeed(xml).entry;
const jsonFeed = (json: string): Json => JSON.parse(json) as Json;
const jsonItems = (json: string): Json[] => jsonFeed(json).items as Json[];

describe('feed package fixes', () => {
  describe('RSS 2.0', () => {
    it('declares the dc namespace', () => {
      const rss = parseXmlDocument(render(makeArticle()).rss).rss;
      assert.equal(rss['@_xmlns:dc'], 'http://purl.org/dc/elements/1.1/');
    });

    it('declares the dc namespace even when no item has content', () => {
      const rss = parseXmlDocument(render(makeArticle({ excerpt: undefined, related: [] })).rss).rss;
      assert.equal(rss['@_xmlns:dc'], 'http://purl.org/dc/elements/1.1/');
    });

    it('names the provider in dc:creator', () => {
      const [item] = rssItems(render(makeArticle({ provider: { name: 'Example News', domain: 'news.example.com' } })).rss);
      assert.equal(textOf(item?.['dc:creator']), 'Example News');
    });

    it('writes no <author> (RSS reserves it for an e-mail address)', () => {
      const [item] = rssItems(render(makeArticle()).rss);
      assert.equal(item?.author, undefined);
    });

    it('marks the guid isPermaLink="true" when the id is the sourceUrl', () => {
      const [item] = rssItems(render(makeArticle()).rss);
      assert.deepEqual(item?.guid, { '#text': 'https://news.example.com/2024/05/test-article/', '@_isPermaLink': 'true' });
    });

    it('marks the guid isPermaLink="false" for a urn id', () => {
      const [item] = rssItems(render(makeArticle({ id: URN_ID })).rss);
      assert.deepEqual(item?.guid, { '#text': URN_ID, '@_isPermaLink': 'false' });
    });

    it('gives the sample-style extension-less image URL the enclosure type image/jpeg', () => {
      const [item] = rssItems(render(makeArticle({ images: [{ url: SAMPLE_IMAGE_URL, width: 457, height: 305 }] })).rss);
      assert.deepEqual(item?.enclosure, [{ '@_url': SAMPLE_IMAGE_URL, '@_length': '0', '@_type': 'image/jpeg' }]);
    });

    it('writes each category label', () => {
      const [item] = rssItems(render(makeArticle({ topics: ['AI', 'Machine Learning'], category: 'news' })).rss);
      assert.deepEqual(item?.category, ['AI', 'Machine Learning', 'news']);
    });

    it('is well-formed with "]]>" twice in the title and the excerpt', () => {
      const rss = render(makeArticle({ title: 'One ]]> two ]]> three', excerpt: 'Four ]]> five ]]> six' })).rss;
      assert.equal(rssItems(rss).length, 1);
    });

    it('keeps a title with "]]>" twice followed by markup exactly, without breaking the build', () => {
      // `<tag>`, not `<b>`: the tags of HTML elements are removed from titles when an article is read.
      for (const title of ['One ]]> two ]]> three', 'T ]]> x ]]> <tag>', ']]> ]]> &amp; <']) {
        const [item] = rssItems(render(makeArticle({ title })).rss);
        assert.equal(textOf(item?.title), title);
      }
    });

    it('is well-formed with "<" and a quote in an image title', () => {
      const rss = render(makeArticle({ images: [{ url: 'https://img.example.com/a.jpg', title: 'x < y "quoted"' }] })).rss;
      assert.equal(rssItems(rss).length, 1);
    });

    it('keeps a related title with "<" and a quote exactly in its atom:link', () => {
      const title = 'x < y "quoted" & more';
      const [item] = rssItems(render(makeArticle({ related: [{ title, sourceUrl: 'https://other.example.com/r' }] })).rss);
      const related = (item?.['atom:link'] as XmlNode[]).filter((link) => link['@_rel'] === 'related');
      assert.deepEqual(
        related.map((link) => [link['@_href'], link['@_title']]),
        [['https://other.example.com/r', title]],
      );
    });

    it('keeps a title with markup characters exactly', () => {
      const [item] = rssItems(render(makeArticle({ title: '<tag>&amp; "x"' })).rss);
      assert.equal(textOf(item?.title), '<tag>&amp; "x"');
    });
  });

  describe('Atom 1.0', () => {
    it('gives every category a term', () => {
      const [entry] = atomEntries(render(makeArticle({ topics: ['AI', 'Machine Learning'], category: 'news' })).atom);
      assert.deepEqual(
        (entry?.category as XmlNode[]).map((category) => [category['@_term'], category['@_label']]),
        [
          ['ai', 'AI'],
          ['machine-learning', 'Machine Learning'],
          ['news', 'news'],
        ],
      );
    });

    it('writes the title as type="text"', () => {
      const [entry] = atomEntries(render(makeArticle()).atom);
      assert.equal(entry?.title['@_type'], 'text');
    });

    it('keeps a title with "<tag>&amp;" exactly', () => {
      const [entry] = atomEntries(render(makeArticle({ title: 'Tags <tag>&amp; entities' })).atom);
      assert.equal(textOf(entry?.title), 'Tags <tag>&amp; entities');
    });

    it('gives enclosure links real MIME types', () => {
      const images = [{ url: SAMPLE_IMAGE_URL }, { url: 'https://img.example.com/a.png' }, { url: 'https://img.example.com/b.jpg' }];
      const [entry] = atomEntries(render(makeArticle({ images })).atom);
      const enclosures = (entry?.link as XmlNode[]).filter((link) => link['@_rel'] === 'enclosure');
      assert.deepEqual(
        enclosures.map((link) => [link['@_href'], link['@_type']]),
        [
          [SAMPLE_IMAGE_URL, 'image/jpeg'],
          ['https://img.example.com/a.png', 'image/png'],
          ['https://img.example.com/b.jpg', 'image/jpeg'],
        ],
      );
    });

    it('is well-formed with "]]>" twice in the title and the excerpt', () => {
      const atom = render(makeArticle({ title: 'One ]]> two ]]> three', excerpt: 'Four ]]> five ]]> six' })).atom;
      assert.equal(atomEntries(atom).length, 1);
    });

    it('keeps a title with "]]>" twice exactly', () => {
      const [entry] = atomEntries(render(makeArticle({ title: 'One ]]> two ]]> three' })).atom);
      assert.equal(textOf(entry?.title), 'One ]]> two ]]> three');
    });

    it('keeps an image title with "<" and a quote exactly in the enclosure link', () => {
      const title = 'x < y "quoted" & more';
      const [entry] = atomEntries(render(makeArticle({ images: [{ url: 'https://img.example.com/a.jpg', title }] })).atom);
      const [enclosure] = (entry?.link as XmlNode[]).filter((link) => link['@_rel'] === 'enclosure');
      assert.equal(enclosure?.['@_title'], title);
    });

    it('names the provider as the entry author', () => {
      const [entry] = atomEntries(render(makeArticle()).atom);
      assert.deepEqual(entry?.author, [{ name: 'Example News', uri: 'https://news.example.com/' }]);
    });
  });

  describe('JSON Feed 1.1', () => {
    it('has version https://jsonfeed.org/version/1.1', () => {
      assert.equal(jsonFeed(render(makeArticle()).json).version, 'https://jsonfeed.org/version/1.1');
    });

    it('is valid against the JSON Feed 1.1 schema', () => {
      const article = makeArticle({
        images: [{ url: SAMPLE_IMAGE_URL, title: 'x < y' }],
        ampUrl: 'https://news.example.com/2024/05/test-article/amp/',
        related: [{ title: 'Related', sourceUrl: 'https://other.example.com/r' }],
      });
      const valid = validateJsonFeed(jsonFeed(render(article).json));
      assert.ok(valid, ajv.errorsText(validateJsonFeed.errors));
    });

    it('is valid against the schema for an item without excerpt, provider or images', () => {
      const bare = makeArticle({ excerpt: undefined, provider: undefined, images: [], topics: [], category: undefined });
      const valid = validateJsonFeed(jsonFeed(render(bare).json));
      assert.ok(valid, ajv.errorsText(validateJsonFeed.errors));
    });

    it('uses an authors array and no author key at the top level', () => {
      const feed = jsonFeed(render(makeArticle()).json);
      assert.equal('author' in feed, false);
      assert.ok(Array.isArray(feed.authors));
    });

    it('uses an authors array and no author key in items', () => {
      const [item] = jsonItems(render(makeArticle()).json);
      assert.equal('author' in (item ?? {}), false);
      assert.deepEqual(item?.authors, [{ name: 'Example News', url: 'https://news.example.com/' }]);
    });

    it('gives every item an id and content_html or content_text', () => {
      const withContent = makeArticle({ sourceUrl: 'https://news.example.com/with/', publishedDateTime: '2024-05-02T00:00:00Z' });
      const bare = makeArticle({ sourceUrl: 'https://news.example.com/bare/', excerpt: undefined, related: [] });
      for (const item of jsonItems(render(withContent, bare).json)) {
        assert.equal(typeof item.id, 'string');
        assert.ok(typeof item.content_html === 'string' || typeof item.content_text === 'string', JSON.stringify(item));
      }
    });

    it('uses the urn id as item id', () => {
      const [item] = jsonItems(render(makeArticle({ id: URN_ID })).json);
      assert.equal(item?.id, URN_ID);
      assert.equal(item?.url, 'https://news.example.com/2024/05/test-article/');
    });

    it('keeps the summary as plain text, not HTML-escaped', () => {
      const [item] = jsonItems(render(makeArticle({ excerpt: 'A & B < C' })).json);
      assert.equal(item?.summary, 'A & B < C');
    });

    it('lists images as attachments with their MIME type', () => {
      const [item] = jsonItems(render(makeArticle({ images: [{ url: SAMPLE_IMAGE_URL }] })).json);
      assert.deepEqual(
        (item?.attachments as Json[]).map((attachment) => [attachment.url, attachment.mime_type]),
        [[SAMPLE_IMAGE_URL, 'image/jpeg']],
      );
    });
  });

  describe('determinism', () => {
    const articles = () => [
      makeArticle({ sourceUrl: 'https://news.example.com/newer/', publishedDateTime: '2024-05-03T00:00:00Z' }, 'Body *text*.', 'newer.md'),
      makeArticle({ sourceUrl: 'https://news.example.com/older/', id: URN_ID }, '', 'older.md'),
    ];

    it('renders the same input to identical bytes', () => {
      const first = render(...articles());
      const second = render(...articles());
      assert.deepEqual([second.rss, second.atom, second.json], [first.rss, first.atom, first.json]);
    });

    it("dates the feed with its newest entry's updated date, not the clock", () => {
      const newest = Date.UTC(2024, 4, 4, 9, 30, 0);
      const rendered = render(
        makeArticle({ sourceUrl: 'https://news.example.com/edited/', publishedDateTime: '2024-05-02T00:00:00Z', updatedDateTime: '2024-05-04T09:30:00Z' }),
        makeArticle({ sourceUrl: 'https://news.example.com/plain/', publishedDateTime: '2024-05-01T00:00:00Z' }),
      );
      assert.equal(rendered.document.updated.getTime(), newest);
      assert.equal(Date.parse(textOf(atomFeed(rendered.atom).updated) ?? ''), newest);
      assert.equal(Date.parse(textOf(rssChannel(rendered.rss).lastBuildDate) ?? ''), newest);
    });
  });
});

describe('RSS: the provider as publisher', () => {
  it('names the provider in dc:publisher as well as dc:creator', () => {
    const rss = render(makeArticle({ provider: { name: 'Example News', domain: 'news.example.com' } })).rss;
    const [item] = parseXmlDocument(rss).rss.channel.item;
    assert.equal(textOf(item?.['dc:publisher']), 'Example News');
    assert.equal(textOf(item?.['dc:creator']), 'Example News');
  });
});
