/**
 * What the W3C Feed Validation Service reported on the bundled content and the hostile fixtures
 * (issue 11), each answered where the mechanism lives, checked here on one document at a time with
 * fast-xml-parser (test/e2e/w3c-validator.test.ts runs the validator itself over whole builds).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Article } from '../../src/content/article-schema.js';
import { collectFeeds } from '../../src/feeds/feed-collections.js';
import type { Tombstone } from '../../src/feeds/feed-model.js';
import { renderFeedFiles } from '../../src/render/render-feeds.js';
import { makeArticle, testSite } from '../helpers/articles.js';
import { buildFeedDocuments } from '../helpers/documents.js';
import { listOf, parseXmlDocument, textOf } from '../helpers/xml.js';

const TOMBSTONES_NS = 'http://purl.org/atompub/tombstones/1.0';

/** The all-topics feed of `articles`, with `deleted` announced in it, as text per file name. */
function render(articles: Article[], deleted: readonly Tombstone[] = []): Record<string, string> {
  const { collections } = collectFeeds(articles);
  const [document] = buildFeedDocuments(collections, testSite, { tombstones: new Map([['all', deleted]]) });
  assert.ok(document);
  return Object.fromEntries(renderFeedFiles(document).map((file) => [file.name, file.body]));
}

describe('"Use of unknown namespace: http://purl.org/atompub/tombstones/1.0"', () => {
  it('declares no tombstones namespace on an Atom feed without deleted entries', () => {
    const feed = parseXmlDocument(render([makeArticle()])['all.atom']!).feed;
    assert.equal(feed['@_xmlns:at'], undefined);
    assert.ok(!render([makeArticle()])['all.atom']!.includes(TOMBSTONES_NS));
  });

  it('declares it on the root of an Atom feed that announces a deleted entry, which it names', () => {
    const gone = { id: 'https://news.example.com/gone/', deletedAt: new Date('2024-05-02T00:00:00Z') };
    const feed = parseXmlDocument(render([makeArticle()], [gone])['all.atom']!).feed;
    assert.equal(feed['@_xmlns:at'], TOMBSTONES_NS);
    assert.deepEqual(listOf(feed['at:deleted-entry']).map((notice) => [notice['@_ref'], notice['@_when']]), [[gone.id, '2024-05-02T00:00:00.000Z']]);
    assert.ok(textOf(feed.title), 'the rest of the head is intact');
  });
});

describe('"Unregistered link relationship" (rel="amphtml")', () => {
  const amp = () => render([makeArticle({ ampUrl: 'https://news.example.com/amp/test-article/' })]);

  it('writes no amphtml link in RSS or Atom', () => {
    const files = amp();
    const item = parseXmlDocument(files['all.xml']!).rss.channel.item[0];
    const entry = parseXmlDocument(files['all.atom']!).feed.entry[0];
    assert.deepEqual(listOf(item['atom:link']).map((link) => link['@_rel']), []);
    assert.deepEqual(listOf(entry.link).filter((link) => link['@_rel'] === 'amphtml'), []);
  });

  it('keeps the AMP URL in JSON Feed (_syndication.amp_url)', () => {
    const [item] = JSON.parse(amp()['all.json']!).items;
    assert.equal(item._syndication.amp_url, 'https://news.example.com/amp/test-article/');
  });
});

describe('"Missing textual content"', () => {
  it('gives an Atom entry with neither excerpt nor body its title as a plain-text summary', () => {
    const entry = parseXmlDocument(render([makeArticle({ title: 'Only a title & more', excerpt: undefined })])['all.atom']!).feed.entry[0];
    assert.equal(entry.content, undefined);
    assert.deepEqual([entry.summary['@_type'], textOf(entry.summary)], ['text', 'Only a title & more']);
  });

  it('gives an entry with an excerpt its excerpt, not its title, as summary', () => {
    const entry = parseXmlDocument(render([makeArticle({ excerpt: 'The excerpt.' })])['all.atom']!).feed.entry[0];
    assert.deepEqual([entry.summary['@_type'], textOf(entry.summary)], ['html', 'The excerpt.']);
  });

  it('writes no summary for an entry with a body but no excerpt (its content is its text)', () => {
    const entry = parseXmlDocument(render([makeArticle({ excerpt: undefined }, 'A body.')])['all.atom']!).feed.entry[0];
    assert.equal(entry.summary, undefined);
    assert.ok(textOf(entry.content)?.includes('A body.'));
  });
});

describe('"Ensure description precedes content:encoded"', () => {
  it('gives an RSS item with a body but no excerpt its content as description, and no content:encoded', () => {
    const item = parseXmlDocument(render([makeArticle({ excerpt: undefined }, 'A *body*.')])['all.xml']!).rss.channel.item[0];
    assert.equal(item['content:encoded'], undefined);
    assert.equal(textOf(item.description), '<p>A <em>body</em>.</p>');
  });

  it('keeps the excerpt as description and the body as content:encoded when there are both', () => {
    const item = parseXmlDocument(render([makeArticle({ excerpt: 'The excerpt.' }, 'A body.')])['all.xml']!).rss.channel.item[0];
    assert.deepEqual([textOf(item.description), textOf(item['content:encoded'])], ['The excerpt.', '<p>A body.</p>']);
  });
});

describe('"Encode "&" and "<" in plain text using hexadecimal character references"', () => {
  it('writes &, < and > in RSS and Atom plain text as &#x26;, &#x3C; and &#x3E;, read back as the characters', () => {
    const title = 'Fish & Chips 1 < 2 > 0';
    const files = render([makeArticle({ title, provider: { name: 'Food & <Drink>', domain: 'food.example.com' } })]);
    assert.ok(files['all.xml']!.includes('<title>Fish &#x26; Chips 1 &#x3C; 2 &#x3E; 0</title>'), files['all.xml']);
    assert.ok(files['all.atom']!.includes('<name>Food &#x26; &#x3C;Drink&#x3E;</name>'), files['all.atom']);
    assert.equal(textOf(parseXmlDocument(files['all.xml']!).rss.channel.item[0].title), title);
    assert.equal(textOf(parseXmlDocument(files['all.atom']!).feed.entry[0].author[0].name), 'Food & <Drink>');
  });
});
