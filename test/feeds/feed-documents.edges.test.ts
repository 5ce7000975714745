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
import type { PageEdgeBook } from '../../src/feeds/page-edges.js';
import type { FeedDocumentHead, FeedSite } from '../../src/feeds/feed-model.js';
import { makeArticle, testSite } from '../helpers/articles.js';

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
      ['https://news.example.com/3', 'https://news.example.com/6'],
    );
    assert.equal(edges?.[0]?.time, article(3).publishedDateTime.getTime());
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

describe('page edges: an archived article removed', () => {
  it('leaves its page one entry short and every later page as it was', () => {
    const book = newBook();
    plan(range(1, 10), book);
    const after = aiPages(plan(without(range(1, 10), 2), book));
    assert.deepEqual(after.pages, [
      [3, 1],
      [6, 5, 4],
      [9, 8, 7],
    ]);
    assert.deepEqual(after.subscription, [10, 9, 8]);
  });

  it('shifts every later page without the edges (what the edges prevent)', () => {
    assert.deepEqual(aiPages(plan(without(range(1, 10), 2))).pages, [
      [4, 3, 1],
      [7, 6, 5],
      [10, 9, 8],
    ]);
  });

  it("keeps a page's edge when its newest article goes, so an older article later fills that place", () => {
    const book = newBook();
    plan(range(1, 7), book);
    assert.deepEqual(aiPages(plan(without(range(1, 7), 3), book)).pages, [[2, 1], [6, 5, 4]]);
    // An article dated between 2 and 3 goes on page 1, not page 2.
    assert.deepEqual(aiPages(plan([...without(range(1, 7), 3), 2.5], book)).pages, [[2.5, 2, 1], [6, 5, 4]]);
  });

  it('keeps the number of a page that lost every article (its URL stays, empty)', () => {
    const book = newBook();
    plan(range(1, 7), book);
    const plans = plan(range(4, 7), book);
    assert.deepEqual(aiPages(plans).pages, [[], [6, 5, 4]]);
    // Dated as its edge (the newest article it held), not the epoch.
    const page1 = plans.find((p) => p.document.path === 'archive/ai/1');
    assert.equal(page1?.document.updated.getTime(), article(3).publishedDateTime.getTime());
  });

  it('keeps the pages when the collection shrinks below a page', () => {
    const book = newBook();
    plan(range(1, 7), book);
    const after = aiPages(plan([1, 7], book));
    assert.deepEqual(after.pages, [[1], []]);
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
    assert.deepEqual(after.pages, [
      [3, 1.5, 1],
      [6, 5, 4],
      [9, 8, 7],
    ]);
    assert.equal(book.changed, false);
  });

  it('lets a full page grow past maxItems with older articles, up to KEPT_PAGE_GROWTH times, and no page moves', () => {
    assert.equal(KEPT_PAGE_GROWTH, 2);
    const book = newBook();
    plan(range(1, 10), book);
    const grown = aiPages(plan([...range(1, 10), 4.5, 4.2, 5.5], book));
    assert.deepEqual(grown.pages, [
      [3, 2, 1],
      [6, 5.5, 5, 4.5, 4.2, 4],
      [9, 8, 7],
    ]);
    assert.deepEqual(grown.subscription, [10, 9, 8]);
    assert.equal(book.changed, false);
  });

  it('cuts a page that older articles take past KEPT_PAGE_GROWTH times maxItems afresh, and every page after it, as without edges', () => {
    const book = newBook();
    plan(range(1, 10), book);
    const numbers = [...range(1, 10), 4.5, 4.2, 5.5, 5.2];
    assert.deepEqual(aiPages(plan(numbers, book)), aiPages(plan(numbers)));
    assert.equal(book.changed, true);
    assert.deepEqual(
      book.byPath.get('ai')?.map((edge) => edge.id),
      ['https://news.example.com/3', 'https://news.example.com/4.5', 'https://news.example.com/5.5', 'https://news.example.com/8'],
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
    assert.deepEqual(aiPages(plan(without(range(1, 10), 5), book, budget, sizes(() => 200))).pages, [
      [3, 2, 1],
      [6, 4],
      [9, 8, 7],
    ]);
  });

  it('cuts afresh from a page whose entries grew past the budget', () => {
    const book = newBook();
    plan(range(1, 10), book, budget, sizes(() => 200));
    const grown = sizes((n) => (n === 5 ? 600 : 200));
    const after = aiPages(plan(range(1, 10), book, budget, grown));
    assert.deepEqual(after, aiPages(plan(range(1, 10), undefined, budget, grown)));
    assert.deepEqual(after.pages[1], [5, 4]);
  });

  it('keeps a page that holds one entry over the budget alone, marked oversized', () => {
    const book = newBook();
    const huge = sizes((n) => (n === 4 ? 5000 : 200));
    plan(range(1, 10), book, budget, huge);
    const plans = plan(without(range(1, 10), 2), book, budget, huge);
    const page2 = plans.find((p) => p.document.path === 'archive/ai/2');
    assert.deepEqual(page2?.articles.map(numberOf), [4]);
    assert.equal(page2?.oversized, true);
    assert.deepEqual(aiPages(plans).pages[0], [3, 1]);
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
    assert.notEqual(pageOf(second, 1), pageOf(first, 1));
    assert.equal(pageOf(second, 2), pageOf(first, 2));
    assert.equal(pageOf(second, 2)?.oversized, true);
    assert.equal(pageOf(second, 3), pageOf(first, 3));
  });

  it('in a long-running process, puts an older article on the short page it falls in', () => {
    const book = newBook();
    const memo = new Map();
    const pool = new Map([...range(1, 10), 1.5, 2.5].map((n) => [n, article(n)]));
    const once = (numbers: readonly number[]) =>
      planFeedDocuments<Article>(collectFeeds([...numbers].sort((a, b) => b - a).map((n) => pool.get(n)!)).collections, budget, { edges: book, memo, sizes: sizes(() => 200) });
    once(range(1, 10));
    assert.deepEqual(aiPages(once(without(range(1, 10), 2))).pages[0], [3, 1]);
    assert.deepEqual(aiPages(once([...without(range(1, 10), 2), 1.5])).pages, [
      [3, 1.5, 1],
      [6, 5, 4],
      [9, 8, 7],
    ]);
    // Newer than the page's newest article now, still within its edge (the article at the edge was removed).
    once([...without(range(1, 10), 2, 3), 1.5]);
    assert.deepEqual(aiPages(once([...without(range(1, 10), 2, 3), 1.5, 2.5])).pages[0], [2.5, 1.5, 1]);
  });

  it('in a long-running process, still marks an oversized kept page whose plan is made again (a newer page came)', () => {
    const book = newBook();
    const memo = new Map();
    const huge = sizes((n) => (n === 10 ? 5000 : 200));
    const pool = new Map(range(1, 13).map((n) => [n, article(n)]));
    const once = (numbers: readonly number[]) =>
      planFeedDocuments<Article>(collectFeeds([...numbers].sort((a, b) => b - a).map((n) => pool.get(n)!)).collections, budget, { edges: book, memo, sizes: huge });
    const first = once(range(1, 10));
    const page4 = (plans: DocumentPlan<Article>[]) => plans.find((p) => p.document.path === 'archive/ai/4');
    assert.deepEqual(page4(first)?.articles.map(numberOf), [10]);
    assert.equal(page4(first)?.oversized, true);
    const second = once(range(1, 13));
    assert.notEqual(page4(second), page4(first), 'made again: it now links a next page');
    assert.ok(page4(second)?.document.nextArchive);
    assert.equal(page4(second)?.oversized, true);
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
      ['3:200,2:200,1:200', '6:200,5:200,4:200', '9:200,8:200,7:200'],
    );
    const huge = newBook();
    plan(range(1, 10), huge, budget, digestSizes((n) => (n === 4 ? 5000 : 200)).sizes);
    assert.deepEqual(
      huge.byPath.get('ai')?.map((edge) => edge.digest),
      ['3:200,2:200,1:200', undefined, '7:200,6:200,5:200', '10:200,9:200,8:200'],
    );
  });

  it('measures no entry of a kept page that holds articles of its digest, and plans as measuring would', () => {
    const book = newBook();
    plan(range(1, 10), book, budget, digestSizes(() => 200).sizes);
    const again = digestSizes(() => 200);
    const plans = plan(range(1, 11), newBookFrom(book), budget, again.sizes);
    assert.deepEqual(aiPages(plans), aiPages(plan(range(1, 11), undefined, budget, digestSizes(() => 200).sizes)));
    // Pages 1-3 (articles 1-9) kept by their digests: 1-8 never measured (9 is in the subscription document too).
    assert.deepEqual([...new Set(again.measured)].filter((n) => n <= 8), []);
    assert.ok(again.measured.includes(11));
  });

  it('measures a kept page whose articles changed (another digest), and cuts afresh from it when they no longer fit', () => {
    const book = newBook();
    plan(range(1, 10), book, budget, digestSizes(() => 200).sizes);
    const grown = digestSizes((n) => (n === 5 ? 600 : 200));
    const after = aiPages(plan(range(1, 10), newBookFrom(book), budget, grown.sizes));
    assert.deepEqual(after, aiPages(plan(range(1, 10), undefined, budget, digestSizes((n) => (n === 5 ? 600 : 200)).sizes)));
    assert.deepEqual(after.pages[1], [5, 4]);
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
    const page2 = plans.find((p) => p.document.path === 'archive/ai/2');
    assert.deepEqual(page2?.articles.map(numberOf), [4]);
    assert.equal(page2?.oversized, true);
    assert.equal(next.byPath.get('ai')?.[1]?.digest, undefined);
  });

  it('measures the kept pages of a collection whose name changed (its pages\' titles hold it)', () => {
    const book = newBook();
    plan(range(1, 10), book, budget, digestSizes(() => 200).sizes);
    const renamed = digestSizes(() => 200);
    const collections = collectFeeds(articlesOf(range(1, 10))).collections.map((collection) => (collection.path === 'ai' ? { ...collection, name: 'Artificial intelligence' } : collection));
    const next = newBookFrom(book);
    const plans = planFeedDocuments<Article>(collections, budget, { edges: next, sizes: renamed.sizes });
    assert.ok(renamed.measured.includes(1), 'page 1 measured again');
    assert.deepEqual(aiPages(plans).pages, [
      [3, 2, 1],
      [6, 5, 4],
      [9, 8, 7],
    ]);
    assert.equal(next.byPath.get('ai')?.[0]?.digest, 'Artificial intelligence|3:200,2:200,1:200');
  });

  it('writes the book when an edge first gets a digest, not when only a digest changes', () => {
    const book = newBook();
    const { pageDigest: _none, ...undigested } = digestSizes(() => 200).sizes;
    plan(range(1, 10), book, budget, undigested);
    assert.deepEqual(book.byPath.get('ai')?.map((edge) => edge.digest), [undefined, undefined, undefined]);
    const first = newBookFrom(book);
    plan(range(1, 10), first, budget, digestSizes(() => 200).sizes);
    assert.equal(first.changed, true, 'digests added: written once');
    assert.equal(first.byPath.get('ai')?.[1]?.digest, '6:200,5:200,4:200');
    const second = newBookFrom(first);
    plan(range(1, 10), second, budget, digestSizes(() => 200).sizes);
    assert.equal(second.changed, false);
    // Article 5 edited, its page still fits: the new digest is kept in memory only.
    const edited = newBookFrom(first);
    plan(range(1, 10), edited, budget, digestSizes((n) => (n === 5 ? 250 : 200)).sizes);
    assert.equal(edited.changed, false);
    assert.equal(edited.byPath.get('ai')?.[1]?.digest, '6:200,5:250,4:200');
  });
});
