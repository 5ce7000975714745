/**
 * buildFeedDocuments: a subscription document per collection and, when there are more articles
 * than fit, RFC 5005 archive pages cut from the oldest article forward.
 *
 * With maxItems 3 (SITE), a feed's first archive is two pages made together, of ceil(3 / 2) = 2 and
 * floor(3 / 2) = 1 entries, and every later page holds 3: articles 1..7 (1 the oldest) are on
 * pages [2, 1], [3] and [6, 5, 4], and the subscription document holds [7, 6, 5].
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Article } from '../../src/content/article-schema.js';
import { collectFeeds } from '../../src/feeds/feed-collections.js';
import { buildFeedDocuments } from '../helpers/documents.js';
import { feedUrls } from '../../src/feeds/feed-documents.js';
import type { FeedDocument, FeedSite } from '../../src/feeds/feed-model.js';
import { makeArticle, testSite } from '../helpers/articles.js';

const SITE: FeedSite = { ...testSite, maxItems: 3 };
const BASE = testSite.baseUrl;

/** Article `n` (1 = oldest) about AI, with its own id and a date that grows with `n`. */
function article(n: number, overrides: Record<string, unknown> = {}): Article {
  return makeArticle(
    { title: `Article ${n}`, sourceUrl: `https://news.example.com/${n}`, publishedDateTime: `2024-05-${String(n).padStart(2, '0')}T10:00:00Z`, ...overrides },
    '',
    `article-${n}.md`,
  );
}

/** Articles 1..count, newest first (as collectFeeds expects). */
const articles = (count: number) => Array.from({ length: count }, (_, index) => article(count - index));
const idOf = (n: number) => `https://news.example.com/${n}`;

function documentsOf(list: readonly Article[], site: FeedSite = SITE, options?: Parameters<typeof buildFeedDocuments>[2]): FeedDocument[] {
  return buildFeedDocuments(collectFeeds(list).collections, site, options);
}

function find(documents: readonly FeedDocument[], path: string): FeedDocument {
  const found = documents.find((document) => document.path === path);
  assert.ok(found, `no document ${path} among ${documents.map((d) => d.path).join(', ')}`);
  return found;
}

const ids = (document: FeedDocument) => document.entries.map((entry) => entry.id);
const aiArchives = (documents: readonly FeedDocument[]) => documents.filter((document) => document.path.startsWith('archive/ai/'));

describe('buildFeedDocuments: subscription documents', () => {
  it('hold the maxItems newest entries, newest first', () => {
    assert.deepEqual(ids(find(documentsOf(articles(7)), 'ai')), [idOf(7), idOf(6), idOf(5)]);
  });

  it('hold every entry when there are fewer than maxItems', () => {
    assert.deepEqual(ids(find(documentsOf(articles(2)), 'ai')), [idOf(2), idOf(1)]);
  });

  it("give the path of the collection and its URLs, with the subscription's stylesheet beside it", () => {
    const ai = find(documentsOf(articles(1)), 'ai');
    assert.deepEqual(ai.urls, { rss: `${BASE}/feeds/ai.xml`, atom: `${BASE}/feeds/ai.atom`, json: `${BASE}/feeds/ai.json`, html: `${BASE}/feeds/ai.html` });
    assert.equal(ai.stylesheetHref, 'feed.xsl');
  });

  it('name the hub when the site has one', () => {
    const documents = documentsOf(articles(7), { ...SITE, hubUrl: 'https://hub.example.com/' });
    for (const document of documents.filter((d) => d.archive === undefined)) assert.equal(document.hubUrl, 'https://hub.example.com/', document.path);
  });

  it('name no hub when the site has none', () => {
    for (const document of documentsOf(articles(7))) assert.equal(document.hubUrl, undefined, document.path);
  });
});

describe('buildFeedDocuments: RFC 5005 archive pages', () => {
  it('writes whole pages at archive/<path>/<n>: the first maxItems on two, then a page per maxItems', () => {
    // 7 articles: the oldest 3 on pages 1 and 2, the next 3 on page 3, article 7 on none.
    assert.deepEqual(
      aiArchives(documentsOf(articles(7))).map((document) => document.path),
      ['archive/ai/1', 'archive/ai/2', 'archive/ai/3'],
    );
  });

  it('puts the oldest ceil(maxItems / 2) entries on page 1, newest first', () => {
    assert.deepEqual(ids(find(documentsOf(articles(7)), 'archive/ai/1')), [idOf(2), idOf(1)]);
  });

  it('puts the next floor(maxItems / 2) entries on page 2, newest first', () => {
    // Of 3, one; of 4 (ceil and floor alike 2), articles 3 and 4.
    assert.deepEqual(ids(find(documentsOf(articles(7)), 'archive/ai/2')), [idOf(3)]);
    assert.deepEqual(ids(find(documentsOf(articles(7), { ...SITE, maxItems: 4 }), 'archive/ai/2')), [idOf(4), idOf(3)]);
  });

  it('puts the next maxItems entries on page 3, newest first', () => {
    assert.deepEqual(ids(find(documentsOf(articles(7)), 'archive/ai/3')), [idOf(6), idOf(5), idOf(4)]);
  });

  it('leaves every article reachable from the subscription document or a page', () => {
    const documents = documentsOf(articles(7)).filter((document) => document.path === 'ai' || document.path.startsWith('archive/ai/'));
    const reachable = new Set(documents.flatMap(ids));
    assert.deepEqual([...reachable].sort(), [1, 2, 3, 4, 5, 6, 7].map(idOf).sort());
  });

  it('numbers every archive page by its page and points it at the subscription document', () => {
    const documents = documentsOf(articles(7));
    const ai = find(documents, 'ai');
    for (const [page, document] of aiArchives(documents).entries()) {
      assert.equal(document.archive?.page, page + 1);
      assert.deepEqual(document.archive?.current, ai.urls);
    }
    assert.equal(ai.archive, undefined);
  });

  it('links the subscription document to the newest page as prev-archive', () => {
    const documents = documentsOf(articles(7));
    assert.deepEqual(find(documents, 'ai').prevArchive, feedUrls(BASE, 'archive/ai/3'));
    assert.equal(find(documents, 'ai').nextArchive, undefined);
  });

  it('links the newest page to the older one (prev-archive) and to no newer page', () => {
    const page3 = find(documentsOf(articles(7)), 'archive/ai/3');
    assert.deepEqual(page3.prevArchive, feedUrls(BASE, 'archive/ai/2'));
    assert.equal(page3.nextArchive, undefined);
  });

  it('links a middle page to both its neighbours', () => {
    const page2 = find(documentsOf(articles(7)), 'archive/ai/2');
    assert.deepEqual(page2.prevArchive, feedUrls(BASE, 'archive/ai/1'));
    assert.deepEqual(page2.nextArchive, feedUrls(BASE, 'archive/ai/3'));
  });

  it('links the oldest page to the newer one (next-archive) and to no older page', () => {
    const page1 = find(documentsOf(articles(7)), 'archive/ai/1');
    assert.deepEqual(page1.nextArchive, feedUrls(BASE, 'archive/ai/2'));
    assert.equal(page1.prevArchive, undefined);
  });

  it('gives archive page URLs under /feeds/archive/', () => {
    assert.deepEqual(find(documentsOf(articles(7)), 'archive/ai/1').urls, {
      rss: `${BASE}/feeds/archive/ai/1.xml`,
      atom: `${BASE}/feeds/archive/ai/1.atom`,
      json: `${BASE}/feeds/archive/ai/1.json`,
      html: `${BASE}/feeds/archive/ai/1.html`,
    });
  });

  it('keeps the entries of existing pages when a newer article is added (pages are cut from the oldest)', () => {
    // From the first archive's two pages (4 articles) on, through the first page of maxItems (6)
    // and past it: adding article count + 1 changes no page that count articles had.
    for (let count = 4; count <= 9; count++) {
      const before = aiArchives(documentsOf(articles(count)));
      const after = documentsOf(articles(count + 1));
      assert.ok(before.length >= 2, `${count} articles: ${before.length} pages`);
      for (const page of before) assert.deepEqual(ids(find(after, page.path)), ids(page), `${count} + 1 articles: ${page.path}`);
    }
  });

  it('writes archive pages for every collection that overflows, not only topics', () => {
    const paths = documentsOf(articles(7)).map((document) => document.path);
    for (const path of ['archive/all/1', 'archive/providers/news.example.com/1', 'archive/categories/news/2']) assert.ok(paths.includes(path), path);
  });

  it('writes no archive pages when archives are off', () => {
    const documents = documentsOf(articles(7), { ...SITE, archives: [] });
    assert.deepEqual(
      documents.filter((document) => document.archive !== undefined || document.path.startsWith('archive/')),
      [],
    );
    assert.equal(find(documents, 'ai').prevArchive, undefined);
  });

  it('writes archive pages only for the kinds of feed site.archives names, the others holding their newest entries as without archives', () => {
    const all = documentsOf(articles(7));
    const documents = documentsOf(articles(7), { ...SITE, archives: ['topic'] });
    assert.deepEqual(
      [...new Set(documents.filter((document) => document.path.startsWith('archive/')).map((document) => document.path.split('/')[1]))],
      ['ai'],
    );
    for (const path of ['archive/ai/1', 'archive/ai/2', 'archive/ai/3']) assert.deepEqual(ids(find(documents, path)), ids(find(all, path)), path);
    assert.equal(aiArchives(documents).length, 3);
    assert.deepEqual(find(documents, 'ai').prevArchive, feedUrls(BASE, 'archive/ai/3'));
    for (const path of ['all', 'providers/news.example.com', 'categories/news']) {
      assert.equal(find(documents, path).prevArchive, undefined, path);
      assert.deepEqual(ids(find(documents, path)), ids(find(documentsOf(articles(7), { ...SITE, archives: [] }), path)), path);
    }
  });

  it('writes no archive pages for exactly maxItems articles', () => {
    const documents = documentsOf(articles(3));
    assert.deepEqual(aiArchives(documents), []);
    assert.equal(find(documents, 'ai').prevArchive, undefined);
  });

  it('names no hub on archive pages, which are fetched once and never subscribed to', () => {
    const documents = documentsOf(articles(7), { ...SITE, hubUrl: 'https://hub.example.com/' });
    for (const document of aiArchives(documents)) assert.equal(document.hubUrl, undefined, document.path);
  });

  it('gives archive pages a stylesheet href that resolves to /feeds/feed.xsl', () => {
    const page = find(documentsOf(articles(7)), 'archive/ai/1');
    assert.equal(new URL(page.stylesheetHref, page.urls.rss).href, `${BASE}/feeds/feed.xsl`);
  });
});

describe('buildFeedDocuments: the first archive is two pages', () => {
  // A page with neither prev-archive nor next-archive (RFC 5005 gives the only page none) makes the
  // W3C Feed Validator warn "Archive incomplete", so a feed's first archive is two pages, made
  // together: the first page of maxItems in halves, the ceil(maxItems / 2) oldest articles and the
  // floor(maxItems / 2) after them.

  /** Article numbers (1 = oldest) of a document, newest first. */
  const numbersOf = (document: FeedDocument) => ids(document).map((id) => Number(id.slice(id.lastIndexOf('/') + 1)));

  for (const { maxItems, pages, subscription } of [
    // Pages of ceil(3 / 2) = 2 and floor(3 / 2) = 1.
    { maxItems: 3, pages: [[2, 1], [3]], subscription: [4, 3, 2] },
    // Pages of 2 and 2.
    { maxItems: 4, pages: [[2, 1], [4, 3]], subscription: [5, 4, 3, 2] },
  ]) {
    it(`with maxItems ${maxItems}, makes no page up to ${maxItems} articles and at ${maxItems + 1} the pair, linked to each other`, () => {
      const site = { ...SITE, maxItems };
      for (let count = 1; count <= maxItems; count++) {
        const documents = documentsOf(articles(count), site);
        assert.deepEqual(aiArchives(documents), [], `${count} articles`);
        assert.equal(find(documents, 'ai').prevArchive, undefined, `${count} articles`);
      }
      const documents = documentsOf(articles(maxItems + 1), site);
      assert.deepEqual(aiArchives(documents).map(numbersOf), pages);
      assert.deepEqual(numbersOf(find(documents, 'ai')), subscription);
      // Page 1 links page 2 as next-archive, page 2 page 1 as prev-archive: neither lacks both links.
      const [page1, page2] = [find(documents, 'archive/ai/1'), find(documents, 'archive/ai/2')];
      assert.equal(page1.prevArchive, undefined);
      assert.deepEqual(page1.nextArchive, feedUrls(BASE, 'archive/ai/2'));
      assert.deepEqual(page2.prevArchive, feedUrls(BASE, 'archive/ai/1'));
      assert.equal(page2.nextArchive, undefined);
      assert.deepEqual(find(documents, 'ai').prevArchive, feedUrls(BASE, 'archive/ai/2'));
    });
  }

  it('with maxItems 1, makes the first archive one page of one (no pair can be cut from one) and loses no article', () => {
    const site = { ...SITE, maxItems: 1 };
    const one = documentsOf(articles(1), site);
    assert.deepEqual(aiArchives(one), []);
    assert.deepEqual(numbersOf(find(one, 'ai')), [1]);
    // From 2 articles on, a page of one each, as before: a page of one is whole as soon as its
    // article is there, so page 1 never stands alone. The newest is also the subscription document's.
    for (const [count, pages] of [
      [2, [[1], [2]]],
      [3, [[1], [2], [3]]],
      [4, [[1], [2], [3], [4]]],
    ] as const) {
      const documents = documentsOf(articles(count), site);
      assert.deepEqual(aiArchives(documents).map(numbersOf), pages, `${count} articles`);
      assert.deepEqual(numbersOf(find(documents, 'ai')), [count], `${count} articles`);
      const reached = new Set([find(documents, 'ai'), ...aiArchives(documents)].flatMap(numbersOf));
      assert.deepEqual([...reached].sort((a, b) => a - b), Array.from({ length: count }, (_, index) => index + 1), `${count} articles`);
      assert.deepEqual(find(documents, 'archive/ai/1').nextArchive, feedUrls(BASE, 'archive/ai/2'), `${count} articles`);
    }
  });

  for (const maxItems of [1, 3, 4]) {
    it(`with maxItems ${maxItems}, puts every article on exactly one page or in the subscription document, for 0 to ${3 * maxItems + 2} articles`, () => {
      const site = { ...SITE, maxItems };
      // The first archive's pages, then pages of maxItems.
      const first = maxItems >= 2 ? [Math.ceil(maxItems / 2), Math.floor(maxItems / 2)] : [maxItems];
      for (let count = 0; count <= 3 * maxItems + 2; count++) {
        // The all feed holds every article (and is there with none).
        const documents = documentsOf(articles(count), site);
        const subscription = find(documents, 'all');
        const pages = documents.filter((document) => document.path.startsWith('archive/all/')).sort((a, b) => a.archive!.page - b.archive!.page);
        const sizes = count <= maxItems ? [] : [...first, ...Array.from({ length: Math.floor((count - maxItems) / maxItems) }, () => maxItems)];
        assert.deepEqual(pages.map((page) => ids(page).length), sizes, `${count} articles`);
        // Pages are cut from the oldest: page 1 first, each newest first, they hold articles 1, 2, ...
        // in turn, none on two pages.
        const paged = pages.flatMap((page) => numbersOf(page).reverse());
        assert.deepEqual(paged, Array.from({ length: paged.length }, (_, index) => index + 1), `${count} articles`);
        // The subscription document holds the newest maxItems, so every article on no page (at most
        // maxItems of them, the newest).
        assert.deepEqual(numbersOf(subscription), Array.from({ length: Math.min(count, maxItems) }, (_, index) => count - index), `${count} articles`);
        assert.ok(count - paged.length <= maxItems, `${count} articles: ${count - paged.length} on no page`);
        // No page lacks both prev-archive and next-archive.
        for (const page of pages) assert.ok(page.prevArchive || page.nextArchive, `${count} articles: ${page.path} has neither link`);
      }
    });
  }
});

describe('buildFeedDocuments: dates', () => {
  it("sets each document's updated to its newest entry's updated date", () => {
    const list = articles(7).map((a) => (a.title === 'Article 1' ? article(1, { updatedDateTime: '2024-06-30T00:00:00Z' }) : a));
    for (const document of documentsOf(list)) {
      const newest = Math.max(...document.entries.map((entry) => entry.updated.getTime()));
      assert.equal(document.updated.getTime(), newest, document.path);
    }
    // Page 1 holds articles 2 and 1; article 1, the older, was updated later than anything else.
    assert.equal(find(documentsOf(list), 'archive/ai/1').updated.toISOString(), '2024-06-30T00:00:00.000Z');
  });
});

describe('buildFeedDocuments: stylesheet hrefs', () => {
  it("is 'feed.xsl' for a top-level feed", () => {
    assert.equal(find(documentsOf(articles(1)), 'ai').stylesheetHref, 'feed.xsl');
  });

  it("is '../../feed.xsl' for archive/ai/1 (served at /feeds/archive/ai/1.xml)", () => {
    assert.equal(find(documentsOf(articles(7)), 'archive/ai/1').stylesheetHref, '../../feed.xsl');
  });

  it('resolves to /feeds/feed.xsl from every document, however deep', () => {
    for (const document of documentsOf(articles(7))) {
      assert.equal(new URL(document.stylesheetHref, document.urls.rss).href, `${BASE}/feeds/feed.xsl`, document.path);
    }
  });
});

describe('buildFeedDocuments: tombstones', () => {
  const gone = { id: 'https://news.example.com/gone', deletedAt: new Date('2024-06-01T00:00:00Z') };

  it('attaches the tombstones of a path to the subscription document of that path', () => {
    const documents = documentsOf(articles(7), SITE, { tombstones: new Map([['ai', [gone]]]) });
    assert.deepEqual(find(documents, 'ai').deleted, [gone]);
  });

  it('attaches them to no other document, archive pages included', () => {
    const documents = documentsOf(articles(7), SITE, { tombstones: new Map([['ai', [gone]]]) });
    for (const document of documents.filter((d) => d.path !== 'ai')) assert.deepEqual(document.deleted, [], document.path);
  });

  it('attaches none without the option', () => {
    for (const document of documentsOf(articles(7))) assert.deepEqual(document.deleted, [], document.path);
  });
});

describe('feedUrls', () => {
  it('percent-encodes a CJK slug', () => {
    // 人工智能 in UTF-8, percent-encoded.
    const encoded = '%E4%BA%BA%E5%B7%A5%E6%99%BA%E8%83%BD';
    assert.deepEqual(feedUrls(BASE, '人工智能'), {
      rss: `${BASE}/feeds/${encoded}.xml`,
      atom: `${BASE}/feeds/${encoded}.atom`,
      json: `${BASE}/feeds/${encoded}.json`,
      html: `${BASE}/feeds/${encoded}.html`,
    });
  });

  it('keeps the slashes of a nested path', () => {
    assert.equal(feedUrls(BASE, 'providers/pymnts.com').rss, `${BASE}/feeds/providers/pymnts.com.xml`);
  });
});
