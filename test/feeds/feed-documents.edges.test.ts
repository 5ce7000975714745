/**
 * planFeedDocuments with page edges (options.edges): archive pages cut along where the whole pages
 * of earlier builds ended, so that removing an archived article changes its own page only
 * (RFC 5005: archive documents SHOULD NOT change), while new pages are still cut as before.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Article } from '../../src/content/article-schema.js';
import { collectFeeds } from '../../src/feeds/feed-collections.js';
import { KEPT_PAGE_GROWTH, planFeedDocuments, type DocumentPlan, type DocumentSizes, type FrameSize } from '../../src/feeds/feed-documents.js';
import { edgeOf, type PageEdgeBook } from '../../src/feeds/page-edges.js';
import type { FeedDocumentHead, FeedSite } from '../../src/feeds/feed-model.js';
import { makeArticle, testSite } from '../helpers/articles.js';

/**
 * Three entries a document. A feed's first archive is two pages made together, of the 2 oldest
 * articles and the next 1 (half maxItems each), and every page after them holds 3: articles 1-10
 * are pages [2, 1], [3], [6, 5, 4] and [9, 8, 7], and the subscription document [10, 9, 8].
 */
const SITE: FeedSite = { ...testSite, maxItems: 3 };

/** Article `n` about AI, dated `n` hours into 2024 (so any real number sorts between its neighbours). */
function article(n: number): Article {
  const date = new Date(Date.UTC(2024, 0, 1) + n * 3_600_000).toISOString();
  return makeArticle({ title: `Article ${n}`, sourceUrl: `https://news.example.com/${n}`, publishedDateTime: date }, '', `article-${n}.md`);
}

const numberOf = (a: Article) => Number(a.title.replace('Article ', ''));

/** Articles with these numbers, newest first (as collectFeeds expects). */
const articlesOf = (numbers: readonly number[]) => [...numbers].sort((a, b) => b - a).map(article);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, index) => from + index);
const without = (list: readonly number[], ...gone: number[]) => list.filter((n) => !gone.includes(n));

const newBook = (): PageEdgeBook => ({ byPath: new Map(), changed: false });
const newBookFrom = (book: PageEdgeBook): PageEdgeBook => ({ byPath: new Map(book.byPath), changed: false });

function plan(numbers: readonly number[], book?: PageEdgeBook, site: FeedSite = SITE, sizes?: DocumentSizes<Article>): DocumentPlan<Article>[] {
  if (book) book.changed = false;
  return planFeedDocuments<Article>(collectFeeds(articlesOf(numbers)).collections, site, { ...(book ? { edges: book } : {}), ...(sizes ? { sizes } : {}) });
}

/** The ai feed: its archive pages' article numbers (page 1 first), then the subscription document's. */
function aiPages(plans: readonly DocumentPlan<Article>[]): { pages: number[][]; subscription: number[] } {
  const pages = plans.filter((p) => p.document.path.startsWith('archive/ai/')).sort((a, b) => a.document.archive!.page - b.document.archive!.page);
  pages.forEach((page, index) => assert.equal(page.document.archive!.page, index + 1));
  const subscription = plans.find((p) => p.document.path === 'ai');
  assert.ok(subscription);
  return { pages: pages.map((page) => page.articles.map(numberOf)), subscription: subscription.articles.map(numberOf) };
}

describe('page edges: recorded', () => {
  it('records where each whole page ends: its newest article', () => {
    const book = newBook();
    plan(range(1, 7), book);
    assert.equal(book.changed, true);
    const edges = book.byPath.get('ai');
    assert.deepEqual(
      edges?.map((edge) => edge.id),
      ['https://news.example.com/2', 'https://news.example.com/3', 'https://news.example.com/6'],
    );
    assert.equal(edges?.[0]?.time, article(2).publishedDateTime.getTime());
  });

  it('cuts the same pages as without edges when nothing was removed', () => {
    const book = newBook();
    plan(range(1, 7), book);
    for (const count of [7, 8, 9, 10, 13]) {
      assert.deepEqual(aiPages(plan(range(1, count), book)), aiPages(plan(range(1, count))), `${count} articles`);
    }
  });

  it('changes nothing in the book when the same articles are planned again', () => {
    const book = newBook();
    plan(range(1, 7), book);
    plan(range(1, 7), book);
    assert.equal(book.changed, false);
  });

  it('adds the edge of a page that new articles made whole', () => {
    const book = newBook();
    plan(range(1, 7), book);
    plan(range(1, 9), book);
    assert.equal(book.changed, true);
    assert.deepEqual(book.byPath.get('ai')?.map((edge) => edge.id).at(-1), 'https://news.example.com/9');
  });
});

describe("page edges: a feed's first archive, two pages of half maxItems", () => {
  const ids = (book: PageEdgeBook) => book.byPath.get('ai')?.map((edge) => edge.id.replace('https://news.example.com/', ''));

  it('records the edges of the first two pages together, or none', () => {
    const book = newBook();
    // Three articles would fill both pages and leave none for the subscription document: no page.
    const three = aiPages(plan(range(1, 3), book));
    assert.deepEqual(three, { pages: [], subscription: [3, 2, 1] });
    assert.equal(book.byPath.has('ai'), false);
    assert.equal(book.changed, false);
    // A fourth makes both at once: the 2 oldest, then the next 1.
    const four = aiPages(plan(range(1, 4), book));
    assert.deepEqual(four, { pages: [[2, 1], [3]], subscription: [4, 3, 2] });
    assert.deepEqual(ids(book), ['2', '3']);
    assert.equal(book.changed, true);
  });

  it("keeps a lone page 1 of maxItems from an older build's book as it is, until a next page comes, and cuts the pages after it at maxItems", () => {
    // An older build cut page 1 as the 3 oldest articles, alone (articles 1-5).
    const lone = [edgeOf(article(3))];
    const book: PageEdgeBook = { byPath: new Map([['ai', lone]]), changed: false };
    // Without the book, the same articles are the first two pages.
    assert.deepEqual(aiPages(plan(range(1, 5))).pages, [[2, 1], [3]]);
    // With it, page 1 stays (pages never move), not split into two.
    assert.deepEqual(aiPages(plan(range(1, 5), book)), { pages: [[3, 2, 1]], subscription: [5, 4, 3] });
    assert.equal(book.byPath.get('ai'), lone);
    // Nor when it loses an article: one entry short, as any kept page.
    assert.deepEqual(aiPages(plan(without(range(1, 5), 2), book)), { pages: [[3, 1]], subscription: [5, 4, 3] });
    assert.equal(book.byPath.get('ai'), lone);
    // A next page comes of 3, not of half that, and so does every one after it.
    assert.deepEqual(aiPages(plan(range(1, 6), book)), { pages: [[3, 2, 1], [6, 5, 4]], subscription: [6, 5, 4] });
    assert.deepEqual(ids(book), ['3', '6']);
    assert.deepEqual(aiPages(plan(range(1, 10), book)), { pages: [[3, 2, 1], [6, 5, 4], [9, 8, 7]], subscription: [10, 9, 8] });
    assert.deepEqual(ids(book), ['3', '6', '9']);
  });

  it('cuts a page 1 that older articles take past KEPT_PAGE_GROWTH times maxItems afresh, from two half pages again, as without edges', () => {
    assert.equal(KEPT_PAGE_GROWTH, 2);
    const book = newBook();
    plan(range(1, 10), book);
    // Page 1 ([2, 1], half maxItems) may grow to 6 entries as any kept page: its limit is of maxItems, not of its own size.
    const older = [0.2, 0.4, 0.6, 0.8];
    assert.deepEqual(aiPages(plan([...range(1, 10), ...older], book)).pages, [[2, 1, 0.8, 0.6, 0.4, 0.2], [3], [6, 5, 4], [9, 8, 7]]);
    assert.equal(book.changed, false);
    // At 7 every page is cut afresh: the 2 oldest, the next 1, then pages of 3.
    const numbers = [...range(1, 10), ...older, 1.5];
    const after = aiPages(plan(numbers, book));
    assert.deepEqual(after, {
      pages: [
        [0.4, 0.2],
        [0.6],
        [1.5, 1, 0.8],
        [4, 3, 2],
        [7, 6, 5],
        [10, 9, 8],
      ],
      subscription: [10, 9, 8],
    });
    assert.deepEqual(after, aiPages(plan(numbers)));
    assert.equal(book.changed, true);
    assert.deepEqual(ids(book), ['0.4', '0.6', '1.5', '4', '7', '10']);
  });
});

describe('page edges: an archived article removed', () => {
  it('leaves its page one entry short and every later page as it was', () => {
    const book = newBook();
    plan(range(1, 10), book);
    // Article 2 was on page 1 (the oldest), before every other page.
    const after = aiPages(plan(without(range(1, 10), 2), book));
    assert.deepEqual(after.pages, [[1], [3], [6, 5, 4], [9, 8, 7]]);
    assert.deepEqual(after.subscription, [10, 9, 8]);
  });

  it('shifts every later page without the edges (what the edges prevent)', () => {
    assert.deepEqual(aiPages(plan(without(range(1, 10), 2))).pages, [[3, 1], [4], [7, 6, 5], [10, 9, 8]]);
  });

  it("keeps a page's edge when its newest article goes, so an older article later fills that place", () => {
    const book = newBook();
    plan(range(1, 10), book);
    assert.deepEqual(aiPages(plan(without(range(1, 10), 6), book)).pages, [[2, 1], [3], [5, 4], [9, 8, 7]]);
    // An article dated between 5 and 6 goes on page 3, not page 4.
    assert.deepEqual(aiPages(plan([...without(range(1, 10), 6), 5.5], book)).pages, [[2, 1], [3], [5.5, 5, 4], [9, 8, 7]]);
  });

  it('keeps the number of a page that lost every article (its URL stays, empty)', () => {
    const book = newBook();
    plan(range(1, 7), book);
    const plans = plan(range(3, 7), book);
    assert.deepEqual(aiPages(plans).pages, [[], [3], [6, 5, 4]]);
    // Dated as its edge (the newest article it held), not the epoch.
    const page1 = plans.find((p) => p.document.path === 'archive/ai/1');
    assert.equal(page1?.document.updated.getTime(), article(2).publishedDateTime.getTime());
  });

  it('keeps the pages when the collection shrinks below a page', () => {
    const book = newBook();
    plan(range(1, 7), book);
    const after = aiPages(plan([1, 7], book));
    assert.deepEqual(after.pages, [[1], [], []]);
    assert.deepEqual(after.subscription, [7, 1]);
  });

  it('forgets the edges of a collection that is gone', () => {
    const book = newBook();
    plan(range(1, 7), book);
    const space = makeArticle({ title: 'Article 100', sourceUrl: 'https://news.example.com/100', topics: ['Space'] }, '', 'space.md');
    planFeedDocuments<Article>(collectFeeds([space]).collections, SITE, { edges: book });
    assert.equal(book.changed, true);
    assert.equal(book.byPath.has('ai'), false);
  });
});

describe('page edges: an older article added', () => {
  it('goes on a page that removals left short, and no page moves', () => {
    const book = newBook();
    plan(range(1, 10), book);
    plan(without(range(1, 10), 2), book);
    const after = aiPages(plan([...without(range(1, 10), 2), 1.5], book));
    assert.deepEqual(after.pages, [[1.5, 1], [3], [6, 5, 4], [9, 8, 7]]);
    assert.equal(book.changed, false);
  });

  it('lets a full page grow past maxItems with older articles, up to KEPT_PAGE_GROWTH times, and no page moves', () => {
    assert.equal(KEPT_PAGE_GROWTH, 2);
    const book = newBook();
    plan(range(1, 10), book);
    // Page 3 ([6, 5, 4]) grows to 6 entries.
    const grown = aiPages(plan([...range(1, 10), 4.5, 4.2, 5.5], book));
    assert.deepEqual(grown.pages, [[2, 1], [3], [6, 5.5, 5, 4.5, 4.2, 4], [9, 8, 7]]);
    assert.deepEqual(grown.subscription, [10, 9, 8]);
    assert.equal(book.changed, false);
  });

  it('cuts a page that older articles take past KEPT_PAGE_GROWTH times maxItems afresh, and every page after it, as without edges', () => {
    const book = newBook();
    plan(range(1, 10), book);
    // Page 3 ([6, 5, 4]) would hold 7: pages 1 and 2 are kept, and pages of 3 follow from article 4.
    const numbers = [...range(1, 10), 4.5, 4.2, 5.5, 5.2];
    assert.deepEqual(aiPages(plan(numbers, book)), aiPages(plan(numbers)));
    assert.equal(book.changed, true);
    assert.deepEqual(
      book.byPath.get('ai')?.map((edge) => edge.id),
      ['https://news.example.com/2', 'https://news.example.com/3', 'https://news.example.com/4.5', 'https://news.example.com/5.5', 'https://news.example.com/8'],
    );
  });
});

describe('page edges: with a byte budget', () => {
  /** Frames of 100 bytes, one byte between entries, entries as `entry` says (the same in each format). */
  const sizes = (entry: (n: number) => number): DocumentSizes<Article> => ({
    frame: (_document: FeedDocumentHead): FrameSize[] => [0, 1, 2].map(() => ({ fixed: 100, between: 1 })),
    entry: (a) => {
      const bytes = entry(numberOf(a));
      return [bytes, bytes, bytes];
    },
  });
  const budget: FeedSite = { ...SITE, maxBytes: 1000 };

  it('keeps a page whose entries still fit', () => {
    const book = newBook();
    plan(range(1, 10), book, budget, sizes(() => 200));
    assert.deepEqual(aiPages(plan(without(range(1, 10), 5), book, budget, sizes(() => 200))).pages, [[2, 1], [3], [6, 4], [9, 8, 7]]);
  });

  it('cuts afresh from a page whose entries grew past the budget', () => {
    const book = newBook();
    plan(range(1, 10), book, budget, sizes(() => 200));
    // Page 3 ([6, 5, 4]) would now be 1102 bytes: pages 1 and 2 are kept, and page 3 ends before article 6.
    const grown = sizes((n) => (n === 5 ? 600 : 200));
    const after = aiPages(plan(range(1, 10), book, budget, grown));
    assert.deepEqual(after, aiPages(plan(range(1, 10), undefined, budget, grown)));
    assert.deepEqual(after.pages, [[2, 1], [3], [5, 4], [8, 7, 6]]);
  });

  it('keeps a page that holds one entry over the budget alone, marked oversized', () => {
    const book = newBook();
    const huge = sizes((n) => (n === 4 ? 5000 : 200));
    plan(range(1, 10), book, budget, huge);
    // Pages [2, 1], [3], [4] (oversized), [7, 6, 5], [10, 9, 8]; article 2 goes from page 1.
    const plans = plan(without(range(1, 10), 2), book, budget, huge);
    const page3 = plans.find((p) => p.document.path === 'archive/ai/3');
    assert.deepEqual(page3?.articles.map(numberOf), [4]);
    assert.equal(page3?.oversized, true);
    assert.deepEqual(aiPages(plans).pages, [[1], [3], [4], [7, 6, 5], [10, 9, 8]]);
  });

  it('in a long-running process (a plan memo), keeps the very plans of unchanged pages, oversized ones marked', () => {
    const book = newBook();
    const memo = new Map();
    const huge = sizes((n) => (n === 4 ? 5000 : 200));
    const site = budget;
    // The same article objects from build to build, as the build's content model keeps them.
    const pool = new Map(range(1, 10).map((n) => [n, article(n)]));
    const once = (numbers: readonly number[]) =>
      planFeedDocuments<Article>(collectFeeds([...numbers].sort((a, b) => b - a).map((n) => pool.get(n)!)).collections, site, { edges: book, memo, sizes: huge });
    const first = once(range(1, 10));
    const second = once(without(range(1, 10), 2));
    const pageOf = (plans: DocumentPlan<Article>[], page: number) => plans.find((p) => p.document.path === `archive/ai/${page}`);
    assert.deepEqual(aiPages(second).pages, aiPages(plan(without(range(1, 10), 2), newBookFrom(book), site, huge)).pages);
    // Article 2 went from page 1; page 3 holds article 4 alone, over the budget.
    assert.notEqual(pageOf(second, 1), pageOf(first, 1));
    for (const page of [2, 3, 4, 5]) assert.equal(pageOf(second, page), pageOf(first, page), `page ${page}`);
    assert.equal(pageOf(second, 3)?.oversized, true);
  });

  it('in a long-running process, puts an older article on the short page it falls in', () => {
    const book = newBook();
    const memo = new Map();
    const pool = new Map([...range(1, 10), 4.5, 5.5].map((n) => [n, article(n)]));
    const once = (numbers: readonly number[]) =>
      planFeedDocuments<Article>(collectFeeds([...numbers].sort((a, b) => b - a).map((n) => pool.get(n)!)).collections, budget, { edges: book, memo, sizes: sizes(() => 200) });
    once(range(1, 10));
    // Page 3 ([6, 5, 4], a page of 3 after the first two) left short.
    assert.deepEqual(aiPages(once(without(range(1, 10), 5))).pages[2], [6, 4]);
    assert.deepEqual(aiPages(once([...without(range(1, 10), 5), 4.5])).pages, [[2, 1], [3], [6, 4.5, 4], [9, 8, 7]]);
    // Newer than the page's newest article now, still within its edge (the article at the edge was removed).
    once([...without(range(1, 10), 5, 6), 4.5]);
    assert.deepEqual(aiPages(once([...without(range(1, 10), 5, 6), 4.5, 5.5])).pages[2], [5.5, 4.5, 4]);
  });

  it('in a long-running process, still marks an oversized kept page whose plan is made again (a newer page came)', () => {
    const book = newBook();
    const memo = new Map();
    const huge = sizes((n) => (n === 10 ? 5000 : 200));
    const pool = new Map(range(1, 13).map((n) => [n, article(n)]));
    const once = (numbers: readonly number[]) =>
      planFeedDocuments<Article>(collectFeeds([...numbers].sort((a, b) => b - a).map((n) => pool.get(n)!)).collections, budget, { edges: book, memo, sizes: huge });
    // Pages [2, 1], [3], [6, 5, 4], [9, 8, 7], then article 10 alone, the newest page.
    const first = once(range(1, 10));
    const page5 = (plans: DocumentPlan<Article>[]) => plans.find((p) => p.document.path === 'archive/ai/5');
    assert.deepEqual(page5(first)?.articles.map(numberOf), [10]);
    assert.equal(page5(first)?.oversized, true);
    assert.equal(page5(first)?.document.nextArchive, undefined);
    const second = once(range(1, 13));
    assert.notEqual(page5(second), page5(first), 'made again: it now links a next page');
    assert.ok(page5(second)?.document.nextArchive);
    assert.equal(page5(second)?.oversized, true);
  });
});

describe('page edges: digests, for a planning without last time plans (a new process)', () => {
  /**
   * Sizes as in the byte-budget tests, with a page digest made of each article's number and entry
   * size: what the build's content key stands for (an entry that grew is other content). Counts
   * which articles' entries were measured.
   */
  const digestSizes = (entry: (n: number) => number) => {
    const measured: number[] = [];
    const sizes: DocumentSizes<Article> = {
      frame: (_document: FeedDocumentHead): FrameSize[] => [0, 1, 2].map(() => ({ fixed: 100, between: 1 })),
      entry: (a) => {
        measured.push(numberOf(a));
        const bytes = entry(numberOf(a));
        return [bytes, bytes, bytes];
      },
      pageDigest: (list, start, end, name) =>
        `${name === 'AI' ? '' : `${name}|`}${list
          .slice(start, end)
          .map((a) => `${numberOf(a)}:${entry(numberOf(a))}`)
          .join(',')}`,
    };
    return { sizes, measured };
  };
  const budget: FeedSite = { ...SITE, maxBytes: 1000 };

  it('records on each whole page its digest, and none on a page of one entry over the budget', () => {
    const book = newBook();
    plan(range(1, 10), book, budget, digestSizes(() => 200).sizes);
    assert.deepEqual(
      book.byPath.get('ai')?.map((edge) => edge.digest),
      ['2:200,1:200', '3:200', '6:200,5:200,4:200', '9:200,8:200,7:200'],
    );
    const huge = newBook();
    plan(range(1, 10), huge, budget, digestSizes((n) => (n === 4 ? 5000 : 200)).sizes);
    assert.deepEqual(
      huge.byPath.get('ai')?.map((edge) => edge.digest),
      ['2:200,1:200', '3:200', undefined, '7:200,6:200,5:200', '10:200,9:200,8:200'],
    );
  });

  it('measures no entry of a kept page that holds articles of its digest, and plans as measuring would', () => {
    const book = newBook();
    plan(range(1, 10), book, budget, digestSizes(() => 200).sizes);
    const again = digestSizes(() => 200);
    const plans = plan(range(1, 11), newBookFrom(book), budget, again.sizes);
    assert.deepEqual(aiPages(plans), aiPages(plan(range(1, 11), undefined, budget, digestSizes(() => 200).sizes)));
    // Pages 1-4 (articles 1-9) kept by their digests: 1-8 never measured (9 is in the subscription document too).
    assert.deepEqual([...new Set(again.measured)].filter((n) => n <= 8), []);
    assert.ok(again.measured.includes(11));
  });

  it('measures a kept page whose articles changed (another digest), and cuts afresh from it when they no longer fit', () => {
    const book = newBook();
    plan(range(1, 10), book, budget, digestSizes(() => 200).sizes);
    const grown = digestSizes((n) => (n === 5 ? 600 : 200));
    const after = aiPages(plan(range(1, 10), newBookFrom(book), budget, grown.sizes));
    assert.deepEqual(after, aiPages(plan(range(1, 10), undefined, budget, digestSizes((n) => (n === 5 ? 600 : 200)).sizes)));
    // Page 3 ([6, 5, 4]) is 1102 bytes now: cut afresh from it, after pages 1 and 2.
    assert.deepEqual(after.pages, [[2, 1], [3], [5, 4], [8, 7, 6]]);
    assert.ok(grown.measured.includes(5));
    assert.ok(!grown.measured.includes(1), 'page 1 kept by its digest');
  });

  it('keeps measuring a kept page of one entry over the budget, so it stays marked oversized', () => {
    const book = newBook();
    const huge = () => digestSizes((n) => (n === 4 ? 5000 : 200)).sizes;
    plan(range(1, 10), book, budget, huge());
    const next = newBookFrom(book);
    plan(range(1, 10), next, budget, huge());
    const plans = plan(range(1, 10), newBookFrom(next), budget, huge());
    // Pages [2, 1], [3], then article 4 alone on page 3.
    const page3 = plans.find((p) => p.document.path === 'archive/ai/3');
    assert.deepEqual(page3?.articles.map(numberOf), [4]);
    assert.equal(page3?.oversized, true);
    assert.equal(next.byPath.get('ai')?.[2]?.digest, undefined);
  });

  it('measures the kept pages of a collection whose name changed (its pages\' titles hold it)', () => {
    const book = newBook();
    plan(range(1, 10), book, budget, digestSizes(() => 200).sizes);
    const renamed = digestSizes(() => 200);
    const collections = collectFeeds(articlesOf(range(1, 10))).collections.map((collection) => (collection.path === 'ai' ? { ...collection, name: 'Artificial intelligence' } : collection));
    const next = newBookFrom(book);
    const plans = planFeedDocuments<Article>(collections, budget, { edges: next, sizes: renamed.sizes });
    assert.ok(renamed.measured.includes(1), 'page 1 measured again');
    assert.deepEqual(aiPages(plans).pages, [[2, 1], [3], [6, 5, 4], [9, 8, 7]]);
    assert.equal(next.byPath.get('ai')?.[0]?.digest, 'Artificial intelligence|2:200,1:200');
  });

  it('writes the book when an edge first gets a digest, not when only a digest changes', () => {
    const book = newBook();
    const { pageDigest: _none, ...undigested } = digestSizes(() => 200).sizes;
    plan(range(1, 10), book, budget, undigested);
    assert.deepEqual(book.byPath.get('ai')?.map((edge) => edge.digest), [undefined, undefined, undefined, undefined]);
    const first = newBookFrom(book);
    plan(range(1, 10), first, budget, digestSizes(() => 200).sizes);
    assert.equal(first.changed, true, 'digests added: written once');
    assert.equal(first.byPath.get('ai')?.[2]?.digest, '6:200,5:200,4:200');
    const second = newBookFrom(first);
    plan(range(1, 10), second, budget, digestSizes(() => 200).sizes);
    assert.equal(second.changed, false);
    // Article 5 edited, its page still fits: the new digest is kept in memory only.
    const edited = newBookFrom(first);
    plan(range(1, 10), edited, budget, digestSizes((n) => (n === 5 ? 250 : 200)).sizes);
    assert.equal(edited.changed, false);
    assert.equal(edited.byPath.get('ai')?.[2]?.digest, '6:200,5:250,4:200');
  });
});
