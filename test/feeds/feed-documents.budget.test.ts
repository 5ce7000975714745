/**
 * planFeedDocuments with a byte budget (site.maxBytes): documents cut by their entries' sizes as
 * well as by maxItems, so that no feed document is over the budget and no article is lost.
 *
 * Most tests give the planner made-up sizes (DocumentSizes) to say exactly what must happen; the
 * last group renders real articles with large bodies and measures the rendered documents.
 *
 * A feed's first archive is its first page, cut as any page (at maxItems or the budget), then
 * split in two: the older ceil(n / 2) of its n entries on page 1, the other floor(n / 2) on page 2,
 * so that no archive page is ever the only one. Where three entries fit in a page, the oldest
 * three are on pages [2, 1] and [3].
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Article } from '../../src/content/article-schema.js';
import { collectFeeds } from '../../src/feeds/feed-collections.js';
import { feedUrls, planFeedDocuments, type DocumentPlan, type DocumentSizes, type FrameSize } from '../../src/feeds/feed-documents.js';
import type { FeedDocument, FeedDocumentHead, FeedSite } from '../../src/feeds/feed-model.js';
import { renderFeedFiles } from '../../src/render/render-feeds.js';
import { makeArticle, testSite } from '../helpers/articles.js';
import { buildFeedDocuments } from '../helpers/documents.js';

const BASE = testSite.baseUrl;

/** Article `n` (1 = oldest) about AI, with its own id and a date that grows with `n`. */
function article(n: number, body = ''): Article {
  const day = new Date(Date.UTC(2024, 0, 1) + n * 3_600_000).toISOString();
  return makeArticle({ title: `Article ${n}`, sourceUrl: `https://news.example.com/${n}`, publishedDateTime: day }, body, `article-${n}.md`);
}

const idOf = (n: number) => `https://news.example.com/${n}`;
const numberOf = (a: Article) => Number(a.title.replace('Article ', ''));

/** Articles 1..count, newest first (as collectFeeds expects). */
const articles = (count: number) => Array.from({ length: count }, (_, index) => article(count - index));

/**
 * Made-up sizes: every frame `frame` bytes in each format (subscription documents `subscription`
 * when given) and one byte between entries; article n's entry `entry(n)` bytes per format.
 */
function fakeSizes(entry: (n: number) => readonly number[], frame = 100, subscription = frame): DocumentSizes<Article> {
  return {
    frame: (document: FeedDocumentHead): FrameSize[] => [0, 1, 2].map(() => ({ fixed: document.archive ? frame : subscription, between: 1 })),
    entry: (a) => entry(numberOf(a)),
  };
}

const even = (bytes: number) => () => [bytes, bytes, bytes];

function plansOf(list: readonly Article[], site: Partial<FeedSite>, sizes: DocumentSizes<Article>): DocumentPlan<Article>[] {
  return planFeedDocuments<Article>(collectFeeds(list).collections, { ...testSite, ...site }, { sizes });
}

/** The ai feed's subscription plan and its archive pages (page 1 first). */
function aiChain(plans: readonly DocumentPlan<Article>[]): { subscription: DocumentPlan<Article>; pages: DocumentPlan<Article>[] } {
  const subscription = plans.find((plan) => plan.document.path === 'ai');
  assert.ok(subscription, 'no ai document');
  const pages = plans.filter((plan) => plan.document.path.startsWith('archive/ai/')).sort((a, b) => a.document.archive!.page - b.document.archive!.page);
  return { subscription, pages };
}

const numbers = (plan: DocumentPlan<Article>) => plan.articles.map(numberOf);

/** Bytes of a plan's document in each format under fakeSizes. */
function fakeBytes(plan: DocumentPlan<Article>, sizes: DocumentSizes<Article>): number[] {
  const frames = sizes.frame(plan.document);
  return frames.map((frame, format) =>
    plan.articles.length === 0 ? frame.fixed : frame.fixed + plan.articles.reduce((sum, a) => sum + sizes.entry(a)[format]!, 0) + (plan.articles.length - 1) * frame.between,
  );
}

/**
 * Every published article once on the archive pages or, when on none, in the subscription
 * document; the pages pairwise disjoint, each linked to the next older one.
 */
function assertChainComplete(chain: ReturnType<typeof aiChain>, count: number): void {
  const seen = new Map<number, string>();
  for (const page of chain.pages) {
    for (const n of numbers(page)) {
      assert.equal(seen.get(n), undefined, `article ${n} is on ${page.document.path} and ${seen.get(n)}`);
      seen.set(n, page.document.path);
    }
  }
  for (const n of numbers(chain.subscription)) if (!seen.has(n)) seen.set(n, 'ai');
  assert.deepEqual([...seen.keys()].sort((a, b) => a - b), Array.from({ length: count }, (_, index) => index + 1));
  // The subscription document links the newest page, each page the next older one.
  let link = chain.subscription.document.prevArchive;
  for (const page of [...chain.pages].reverse()) {
    assert.deepEqual(link, page.document.urls, `prev-archive before ${page.document.path}`);
    link = page.document.prevArchive;
  }
  assert.equal(link, undefined);
}

describe('planFeedDocuments with a byte budget: pages', () => {
  // Frames of 100 bytes, entries of 300: 100 + 300 + 1 + 300 + 1 + 300 = 1002, so three entries need 1002 bytes.
  const sizes = fakeSizes(even(300));

  it('closes a page when its next entry would push it over the budget', () => {
    // With 1001 bytes, pages of two; the first, [2, 1], is cut in halves.
    const { pages } = aiChain(plansOf(articles(7), { maxItems: 5, maxBytes: 1001 }, sizes));
    assert.deepEqual(pages.map(numbers), [[1], [2], [4, 3], [6, 5]]);
  });

  it('closes a page at maxItems or at the budget, whichever comes first', () => {
    // Articles 5-7 are 300 bytes, the others 100: a page of 4 of those is 100 + 400 + 3 bytes.
    // The first page, [4, 3, 2, 1], is closed by maxItems (and cut in halves), the next by the
    // budget after 5-7 (1002 bytes), the one after by maxItems again.
    const mixed = fakeSizes((n) => (n >= 5 && n <= 7 ? [300, 300, 300] : [100, 100, 100]));
    const { pages } = aiChain(plansOf(articles(12), { maxItems: 4, maxBytes: 1002 }, mixed));
    assert.deepEqual(pages.map(numbers), [[2, 1], [4, 3], [7, 6, 5], [11, 10, 9, 8]]);
  });

  it('keeps every document within the budget in every format', () => {
    const site = { maxItems: 5, maxBytes: 1001 };
    for (const plan of plansOf(articles(9), site, sizes)) {
      for (const bytes of fakeBytes(plan, sizes)) assert.ok(bytes <= site.maxBytes, `${plan.document.path}: ${bytes} bytes`);
    }
  });

  it('puts every article on exactly one page, or in the subscription document when on none', () => {
    for (const count of [1, 2, 3, 5, 6, 7, 11]) {
      const chain = aiChain(plansOf(articles(count), { maxItems: 5, maxBytes: 1001 }, sizes));
      assertChainComplete(chain, count);
      // Pages of two (the budget, not maxItems, cut them) hold all but the newest one or two
      // articles: floor((count - 1) / 2) pages, one more since the first is cut in two pages of one.
      assert.equal(chain.pages.length, count < 3 ? 0 : Math.floor((count - 1) / 2) + 1, `${count} articles`);
    }
  });

  it('keeps the entries of whole pages when newer articles come (pages are cut from the oldest)', () => {
    const site = { maxItems: 5, maxBytes: 1001 };
    const before = aiChain(plansOf(articles(7), site, sizes)).pages.map(numbers);
    const after = aiChain(plansOf(articles(10), site, sizes)).pages.map(numbers);
    assert.deepEqual(before, [[1], [2], [4, 3], [6, 5]]);
    assert.deepEqual(after.slice(0, before.length), before);
    assert.equal(after.length, before.length + 1);
  });

  it('cuts by the largest format: a feed holds as many entries as fit in all three', () => {
    // RSS and Atom entries are small; the JSON one is large: 100 + 500 + 1 + 500 = 1101 bytes for two.
    const mixed = fakeSizes(() => [10, 10, 500]);
    const { subscription, pages } = aiChain(plansOf(articles(5), { maxItems: 5, maxBytes: 1200 }, mixed));
    assert.deepEqual(numbers(subscription), [5, 4]);
    // Pages of two, the first cut in halves.
    assert.deepEqual(pages.map(numbers), [[1], [2], [4, 3]]);
  });

  it('measures every format: a budget only the RSS document exceeds still cuts', () => {
    const rssHeavy = fakeSizes(() => [500, 10, 10]);
    const { subscription } = aiChain(plansOf(articles(5), { maxItems: 5, maxBytes: 1200 }, rssHeavy));
    assert.deepEqual(numbers(subscription), [5, 4]);
  });

  it('gives each page the frame of its own number (frames grow with the digits of page numbers)', () => {
    // A page whose number has two digits has a 300-byte larger frame: page 10 holds one entry
    // fewer. (Pages 1 and 2 are the first page of three cut in halves.)
    const growing: DocumentSizes<Article> = {
      frame: (document) => [0, 1, 2].map(() => ({ fixed: document.archive && document.archive.page >= 10 ? 400 : 100, between: 1 })),
      entry: () => [300, 300, 300],
    };
    const { pages } = aiChain(plansOf(articles(40), { maxItems: 5, maxBytes: 1002 }, growing));
    assert.deepEqual(pages.map((page) => page.articles.length), [2, 1, 3, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2]);
    assertChainComplete(aiChain(plansOf(articles(40), { maxItems: 5, maxBytes: 1002 }, growing)), 40);
  });
});

describe('planFeedDocuments with a byte budget: the first archive', () => {
  // Frames of 100 bytes, entries of 300, 1001 bytes: two entries fit in a document (701 bytes), three do not.
  const sizes = fakeSizes(even(300));
  const site = { maxItems: 5, maxBytes: 1001 };

  it('is the first page the budget closed, cut in halves, made only when that page is whole', () => {
    // Two articles: a page of [2, 1] would not be whole (nothing closed it: neither maxItems nor
    // a third entry over the budget), and would hold every article. No page; the subscription
    // document holds both.
    const two = aiChain(plansOf(articles(2), site, sizes));
    assert.deepEqual(two.pages, []);
    assert.deepEqual(numbers(two.subscription), [2, 1]);
    assert.equal(two.subscription.document.prevArchive, undefined);
    // Three: the budget closes [2, 1] before article 3, and it is cut in halves of one: pages [1]
    // and [2], each whole, not halves of maxItems ([3, 2, 1] would be over the budget).
    const three = aiChain(plansOf(articles(3), site, sizes));
    assert.deepEqual(three.pages.map(numbers), [[1], [2]]);
    assert.deepEqual(numbers(three.subscription), [3, 2]);
    assertChainComplete(three, 3);
  });

  it('makes no page that lacks both prev-archive and next-archive, and loses no article, for 0 to 17 articles', () => {
    for (let count = 0; count <= 17; count++) {
      const plans = plansOf(articles(count), site, sizes);
      for (const plan of plans) for (const bytes of fakeBytes(plan, sizes)) assert.ok(bytes <= site.maxBytes, `${count}: ${plan.document.path}: ${bytes} bytes`);
      if (count === 0) continue;
      const chain = aiChain(plans);
      assertChainComplete(chain, count);
      for (const page of chain.pages) assert.ok(page.document.prevArchive || page.document.nextArchive, `${count}: ${page.document.path} has neither link`);
    }
  });
});

describe('planFeedDocuments with a byte budget: the subscription document', () => {
  it('holds the newest entries that fit, up to maxItems', () => {
    const { subscription } = aiChain(plansOf(articles(7), { maxItems: 5, maxBytes: 1002 }, fakeSizes(even(300))));
    assert.deepEqual(numbers(subscription), [7, 6, 5]);
  });

  it('says how many of its newest maxItems the budget kept out, and nothing when it kept none', () => {
    const plans = plansOf(articles(7), { maxItems: 5, maxBytes: 1002 }, fakeSizes(even(300)));
    assert.equal(aiChain(plans).subscription.overBudget, 2);
    const roomy = plansOf(articles(7), { maxItems: 5, maxBytes: 1_000_000 }, fakeSizes(even(300)));
    assert.equal(aiChain(roomy).subscription.overBudget, undefined);
    assert.equal(roomy.some((plan) => plan.oversized), false);
  });

  it('gives a feed of fewer than maxItems articles archive pages when they do not fit in one document', () => {
    const chain = aiChain(plansOf(articles(4), { maxItems: 50, maxBytes: 1002 }, fakeSizes(even(300))));
    assert.deepEqual(numbers(chain.subscription), [4, 3, 2]);
    // The first page, [3, 2, 1] (the budget closed it), in halves.
    assert.deepEqual(chain.pages.map(numbers), [[2, 1], [3]]);
    assertChainComplete(chain, 4);
  });

  it('pages the older unpaged articles when its own frame is larger than a page frame (many deletion notices)', () => {
    // Page frames 100 bytes, the subscription frame 700: pages hold 3 entries, the subscription document 1.
    const sizes = fakeSizes(even(300), 100, 700);
    for (const count of [4, 5, 7, 8]) {
      const chain = aiChain(plansOf(articles(count), { maxItems: 5, maxBytes: 1002 }, sizes));
      assertChainComplete(chain, count);
      for (const plan of [chain.subscription, ...chain.pages]) for (const bytes of fakeBytes(plan, sizes)) assert.ok(bytes <= 1002, `${count}: ${plan.document.path}: ${bytes}`);
    }
  });

  it('pages them on two pages, halves, when they would be the only page', () => {
    const sizes = fakeSizes(even(300), 100, 700);
    const site = { maxItems: 5, maxBytes: 1002 };
    // Three articles are one page's worth and no more (no whole page holds fewer than all of
    // them); the subscription document holds only the newest: the other two are halved.
    const three = aiChain(plansOf(articles(3), site, sizes));
    assert.deepEqual(three.pages.map(numbers), [[1], [2]]);
    assert.deepEqual(numbers(three.subscription), [3]);
    assert.ok(three.pages.every((page) => page.document.prevArchive || page.document.nextArchive));
    assert.deepEqual(three.subscription.document.prevArchive, feedUrls(BASE, 'archive/ai/2'));
    // One article left over cannot be halved: a page of its own, the one lone page this leaves.
    assert.deepEqual(aiChain(plansOf(articles(2), site, sizes)).pages.map(numbers), [[1]]);
  });

  it('links the newest page as prev-archive', () => {
    // Pages [2, 1], [3] and [6, 5, 4].
    const plans = plansOf(articles(7), { maxItems: 5, maxBytes: 1002 }, fakeSizes(even(300)));
    assert.deepEqual(aiChain(plans).subscription.document.prevArchive, feedUrls(BASE, 'archive/ai/3'));
  });
});

describe('planFeedDocuments with a byte budget: archives off', () => {
  it('leaves the entries that do not fit out of the subscription document, and says how many', () => {
    const plans = plansOf(articles(7), { maxItems: 5, maxBytes: 1002, archives: [] }, fakeSizes(even(300)));
    const { subscription, pages } = aiChain(plans);
    assert.deepEqual(numbers(subscription), [7, 6, 5]);
    assert.equal(subscription.overBudget, 2);
    assert.deepEqual(pages, []);
    assert.equal(subscription.document.prevArchive, undefined);
  });
});

describe('planFeedDocuments with a byte budget: an entry larger than the budget', () => {
  // Article 3 is 5000 bytes in every format; the others 300.
  const sizes = fakeSizes((n) => (n === 3 ? [5000, 5000, 5000] : [300, 300, 300]));

  it('gets an archive page of its own, marked oversized, and the pages around it are whole', () => {
    const plans = plansOf(articles(8), { maxItems: 5, maxBytes: 1002 }, sizes);
    const chain = aiChain(plans);
    // The first page, [2, 1], in halves.
    assert.deepEqual(chain.pages.map(numbers), [[1], [2], [3], [6, 5, 4]]);
    assert.deepEqual(chain.pages.map((page) => page.oversized === true), [false, false, true, false]);
    assertChainComplete(chain, 8);
  });

  it('is published alone in the subscription document when it is the newest', () => {
    const chain = aiChain(plansOf(articles(3), { maxItems: 5, maxBytes: 1002 }, sizes));
    assert.deepEqual(numbers(chain.subscription), [3]);
    assert.equal(chain.subscription.oversized, true);
    assertChainComplete(chain, 3);
  });

  it('is published alone with archives off too', () => {
    const { subscription } = aiChain(plansOf(articles(3), { maxItems: 5, maxBytes: 1002, archives: [] }, sizes));
    assert.deepEqual(numbers(subscription), [3]);
    assert.equal(subscription.oversized, true);
    assert.equal(subscription.overBudget, 2);
  });
});

describe('planFeedDocuments with a byte budget: unchanged documents are the same plans', () => {
  it('returns the very plans of last time for the same collection', () => {
    const memo = new Map();
    const collections = collectFeeds(articles(9)).collections;
    const site = { ...testSite, maxItems: 5, maxBytes: 1002 };
    const sizes = fakeSizes(even(300));
    const first = planFeedDocuments(collections, site, { memo, sizes });
    const again = planFeedDocuments(collections, site, { memo, sizes });
    assert.deepEqual(aiChain(again).pages.map(numbers), [[2, 1], [3], [6, 5, 4]]);
    assert.equal(again.length, first.length);
    again.forEach((plan, index) => assert.equal(plan, first[index]));
  });

  it('keeps the plan objects of whole pages when a newer article comes', () => {
    const memo = new Map();
    const site = { ...testSite, maxItems: 5, maxBytes: 1002 };
    const sizes = fakeSizes(even(300));
    const list = articles(9);
    const before = aiChain(planFeedDocuments(collectFeeds(list).collections, site, { memo, sizes }));
    const after = aiChain(planFeedDocuments(collectFeeds([article(10), ...list]).collections, site, { memo, sizes }));
    // Pages 1 to 3 ([2, 1], [3], [6, 5, 4]) are whole and hold the same articles; article 10
    // closes page 4 ([9, 8, 7]), so page 3 was the newest and gains a next-archive link.
    assert.deepEqual([before.pages.length, after.pages.length], [3, 4]);
    assert.equal(after.pages[0], before.pages[0]);
    assert.equal(after.pages[1], before.pages[1]);
    assert.deepEqual(numbers(after.pages[2]!), numbers(before.pages[2]!));
  });
});

describe('planFeedDocuments with a byte budget: plans remembered between builds', () => {
  it('counts the entries kept out when an older article comes to a feed already full to the budget (archives off)', () => {
    const memo = new Map();
    const site = { ...testSite, maxItems: 5, maxBytes: 1002, archives: [] };
    const sizes = fakeSizes(even(300));
    const list = articles(4);
    const first = aiChain(planFeedDocuments(collectFeeds(list.slice(0, 3)).collections, site, { memo, sizes }));
    assert.equal(first.subscription.overBudget, undefined);
    const next = aiChain(planFeedDocuments(collectFeeds(list).collections, site, { memo, sizes }));
    assert.deepEqual(numbers(next.subscription), [4, 3, 2]);
    assert.equal(next.subscription.overBudget, 1);
  });
});

describe('planFeedDocuments with a byte budget: articles with large bodies, rendered', () => {
  /** A body of about `kib` KiB of paragraphs. */
  const body = (n: number, kib: number) => Array.from({ length: kib * 4 }, (_, index) => `Paragraph ${index} of article ${n}: ${'lorem ipsum '.repeat(20)}`).join('\n\n');
  const large = (count: number) => Array.from({ length: count }, (_, index) => article(count - index, body(count - index, 6 + ((count - index) % 4) * 3)));
  const site: FeedSite = { ...testSite, maxItems: 10, maxBytes: 64 * 1024 };

  function documents(list: readonly Article[], over: Partial<FeedSite> = {}): FeedDocument[] {
    return buildFeedDocuments(collectFeeds(list).collections, { ...site, ...over });
  }

  it('writes no RSS, Atom or JSON Feed document larger than the budget', () => {
    const all = documents(large(30));
    assert.ok(all.some((document) => document.archive), 'no archive pages');
    for (const document of all) {
      for (const file of renderFeedFiles(document)) {
        const bytes = Buffer.byteLength(file.body);
        assert.ok(bytes <= site.maxBytes, `${file.name}: ${bytes} bytes`);
      }
    }
  });

  it('fills documents: one more entry would have gone over the budget in some format', () => {
    const all = documents(large(30));
    const subscription = all.find((document) => document.path === 'all')!;
    assert.ok(subscription.entries.length < site.maxItems, `${subscription.entries.length} entries`);
    const next = buildFeedDocuments(collectFeeds(large(30)).collections, { ...site, maxBytes: 1024 ** 3 }).find((document) => document.path === 'all')!.entries.slice(0, subscription.entries.length + 1);
    const sizes = renderFeedFiles({ ...subscription, entries: next }).map((file) => Buffer.byteLength(file.body));
    assert.ok(Math.max(...sizes) > site.maxBytes, `${sizes.join(', ')}`);
  });

  it('reaches every article exactly once through the archive pages and the subscription document', () => {
    const all = documents(large(30));
    const chain = all.filter((document) => document.path === 'all' || document.path.startsWith('archive/all/'));
    const onPages = chain.filter((document) => document.archive).flatMap((document) => document.entries.map((entry) => entry.id));
    assert.equal(new Set(onPages).size, onPages.length, 'an article is on two pages');
    // More pages than 30 articles make by count alone (three of 10).
    assert.ok(chain.filter((document) => document.archive).length > 3);
    const reached = new Set([...onPages, ...chain.find((document) => document.path === 'all')!.entries.map((entry) => entry.id)]);
    assert.deepEqual([...reached].sort(), Array.from({ length: 30 }, (_, index) => idOf(index + 1)).sort());
  });

  it('changes the documents cut by count only where the budget is reached', () => {
    const list = large(23);
    const cuts = (documents: readonly { path: string }[], ids: (index: number) => string[]) => documents.map((document, index) => ({ path: document.path, ids: ids(index) }));
    const byCount = planFeedDocuments(collectFeeds(list).collections, { ...site, maxBytes: 64 * 1024 });
    const counted = cuts(byCount.map((plan) => plan.document), (index) => byCount[index]!.articles.map((a) => a.sourceUrl));
    const roomy = documents(list, { maxBytes: 1024 ** 3 });
    assert.deepEqual(cuts(roomy, (index) => roomy[index]!.entries.map((entry) => entry.id)), counted);
    const tight = documents(list);
    assert.notDeepEqual(cuts(tight, (index) => tight[index]!.entries.map((entry) => entry.id)), counted);
  });
});
