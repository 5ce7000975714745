import type { Filing } from './article-record.js';
import type { FeedCollection } from './feed-collections.js';
import type { FeedDocumentHead, FeedSite, FeedUrls, Tombstone } from './feed-model.js';
import { digestsAdded, edgeOf, isAtOrOlder, sameEdges, type PageEdge, type PageEdgeBook } from './page-edges.js';
import { inFeedOrder } from './select-articles.js';

/** `/feeds/<path>.xml` etc. under the public base URL; each path segment percent-encoded. */
export function feedUrls(baseUrl: string, path: string): FeedUrls {
  const stem = `${baseUrl}/feeds/${path.split('/').map(encodeURIComponent).join('/')}`;
  return { rss: `${stem}.xml`, atom: `${stem}.atom`, json: `${stem}.json`, html: `${stem}.html` };
}

/** Path of archive page `page` (1 = oldest) of a collection: `archive/ai/3`. */
export function archivePath(collectionPath: string, page: number): string {
  return `archive/${collectionPath}/${page}`;
}

export interface DocumentOptions<T extends Filing = Filing> {
  /** Recently deleted entries per collection path, announced in its subscription document. */
  readonly tombstones?: ReadonlyMap<string, readonly Tombstone[]>;
  /**
   * The plans made last time, by collection path (a long-running process keeps this): the very
   * same collection with the very same notices gets the very same plans, and a changed one keeps
   * the plan objects of its pages that hold the very same articles, so later stages can tell
   * unchanged documents by identity. Updated in place.
   */
  readonly memo?: Map<string, PlanMemo<T>>;
  /**
   * The byte sizes that `site.maxBytes` is applied from. Without them documents are cut by
   * `site.maxItems` alone (the memo must then be one made without them too).
   */
  readonly sizes?: DocumentSizes<T>;
  /**
   * Where the whole archive pages that earlier builds published end, by collection path (see
   * PageEdge). Pages are cut along these edges while they still hold what a page may (so removing
   * an article changes its own page only), and the edges of pages made whole now are added.
   * Updated in place; `changed` is set when any collection's edges changed.
   */
  readonly edges?: PageEdgeBook;
  /**
   * The articles that may have entered or left a feed since the memo's plans were made, and the
   * collections those plans were made of: a model updated from that one gives its changed
   * articles, before and after, and every claimant of their ids (content-model.ts, `moved`). A
   * kept page between whose edges no such article falls holds the very articles of last time,
   * without comparing them one by one (at a million articles, the all-topics feed alone has
   * twenty thousand pages).
   */
  readonly moved?: { readonly since: readonly FeedCollection<T>[]; readonly articles: readonly T[] };
}

/**
 * A document's file in one format around its entries (n ≥ 1), in bytes: `fixed` (the head, the
 * text before the first entry and after the last) and `between` two entries.
 */
export interface FrameSize {
  readonly fixed: number;
  readonly between: number;
}

/**
 * Byte sizes of the formats a budget applies to, in one order: a document's frames
 * (render/render-document.ts, frameSizes) and an article's rendered entries (at least as many
 * numbers as `frame` gives, the same formats first).
 */
export interface DocumentSizes<T> {
  frame(document: FeedDocumentHead): readonly FrameSize[];
  entry(article: T): readonly number[];
  /**
   * A digest of `articles[start, end)` by what their entries are made from (for the build: their
   * content keys) and of the collection's name (which its pages' titles hold): recorded on each
   * whole page's edge when it fits, so that a later planning without last time's plans (a new
   * process) takes a kept page of the very same digest as it is, without measuring its entries
   * again. The caller stamps the digests with what else a page's size depends on (the code and
   * configuration: PageSettings.stamp). Absent: every kept page is measured.
   */
  pageDigest?(articles: readonly T[], start: number, end: number, name: string): string;
}

export interface PlanMemo<T extends Filing> {
  readonly collection: FeedCollection<T>;
  readonly deleted: readonly Tombstone[];
  readonly plans: DocumentPlan<T>[];
}

const NO_TOMBSTONES: readonly Tombstone[] = Object.freeze([]);

/**
 * A feed document before its entries are made: its metadata and the articles it will hold.
 * Planning is cheap (no Markdown, no HTML), so a build can plan every document and render only
 * the ones whose content changed.
 */
export interface DocumentPlan<T extends Filing = Filing> {
  readonly document: FeedDocumentHead;
  readonly articles: readonly T[];
  /**
   * On a subscription document: how many of the newest `maxItems` articles the byte budget kept
   * out of it (in archive pages, or nowhere with archives off). Absent when none.
   */
  readonly overBudget?: number;
  /** The document holds one entry that alone is over the byte budget (published anyway). */
  readonly oversized?: boolean;
}

/**
 * The documents of every collection: a subscription document with the newest `site.maxItems`
 * entries and, when `site.archives` names its kind and there are more, RFC 5005 archive pages. Pages are
 * cut from the oldest entry forward, so adding new articles never changes a page's contents:
 * pages 1 and 2 hold the oldest `maxItems` between them (the first page cut in halves, so that an
 * archive is never a lone page), page 3 the next `maxItems`, and so on; only whole pages are written,
 * and the entries after the last whole page are all in the subscription document. With
 * `options.edges`, pages also keep their edges when articles are removed (see cutCollection).
 *
 * With `options.sizes`, no document is larger than `site.maxBytes` in any feed format: a page is
 * also whole when its next entry would push it over the budget, and the subscription document
 * holds as many of the newest entries as fit (see cutCollection). An entry larger than the budget
 * on its own gets a document of its own (`oversized`).
 */
export function planFeedDocuments<T extends Filing>(collections: readonly FeedCollection<T>[], site: FeedSite, options: DocumentOptions<T> = {}): DocumentPlan<T>[] {
  return planFeeds(collections, site, options).plans;
}

/** Every document's plan, as planFeedDocuments makes them, and which of them are new. */
export interface PlannedFeeds<T extends Filing = Filing> {
  /** Each collection's subscription document, then its archive pages, oldest first. */
  readonly plans: DocumentPlan<T>[];
  /** The subscription documents, in collection order. */
  readonly subscriptions: DocumentPlan<T>[];
  /** The plans made now: all of them but those the memo gave back (the very objects of last time). */
  readonly made: DocumentPlan<T>[];
}

/** planFeedDocuments, telling the subscription documents and the plans made now from the others without a pass over every plan. */
export function planFeeds<T extends Filing>(collections: readonly FeedCollection<T>[], site: FeedSite, options: DocumentOptions<T> = {}): PlannedFeeds<T> {
  const { memo, edges, moved } = options;
  const plans: DocumentPlan<T>[] = [];
  const subscriptions: DocumentPlan<T>[] = [];
  const made: DocumentPlan<T>[] = [];
  const movedSince = moved && new Set(moved.since);
  // Made once for every collection that asks: the moved articles in a feed's order.
  let unmoved: Unmoved | undefined;
  for (const collection of collections) {
    const deleted = options.tombstones?.get(collection.path) ?? NO_TOMBSTONES;
    const known = memo?.get(collection.path);
    let ofCollection: readonly DocumentPlan<T>[];
    if (known && known.collection === collection && known.deleted === deleted) {
      ofCollection = known.plans;
    } else {
      const kept = edges?.byPath.get(collection.path) ?? [];
      const movedOnly = known && movedSince?.has(known.collection) ? (unmoved ??= unmovedBetween(moved!.articles)) : undefined;
      const archived = site.archives.includes(collection.kind);
      const cut = cutPlans(collection, site, archived, deleted, known?.plans, options.sizes, kept, movedOnly);
      // A kind of feed without archive pages keeps the edges it had, as every feed does with
      // FEED_ARCHIVES=false: given pages again, it cuts them along the same edges.
      if (edges && archived) {
        if (!sameEdges(kept, cut.edges)) {
          if (cut.edges.length > 0) edges.byPath.set(collection.path, cut.edges);
          else edges.byPath.delete(collection.path);
          edges.changed = true;
        } else if (cut.edges.some((edge, index) => edge !== kept[index])) {
          // The same edges with new digests: kept, and written now only when an edge had none (the
          // first build after digests were added); a page whose articles changed is measured by
          // the next process until the book is written for another reason.
          edges.byPath.set(collection.path, cut.edges);
          if (digestsAdded(kept, cut.edges)) edges.changed = true;
        }
      }
      memo?.set(collection.path, { collection, deleted, plans: cut.plans });
      ofCollection = cut.plans;
      for (const plan of cut.made) made.push(plan);
    }
    subscriptions.push(ofCollection[0]!);
    for (const plan of ofCollection) plans.push(plan);
  }
  if (memo && memo.size > collections.length) {
    const present = new Set(collections.map((collection) => collection.path));
    for (const path of memo.keys()) if (!present.has(path)) memo.delete(path);
  }
  if (edges && edges.byPath.size > 0) {
    const present = new Set(collections.map((collection) => collection.path));
    for (const path of edges.byPath.keys()) {
      if (!present.has(path)) {
        edges.byPath.delete(path);
        edges.changed = true;
      }
    }
  }
  return { plans, subscriptions, made };
}

/**
 * Whether no moved article falls on a kept page: at or older than its `edge` and newer than
 * `older` (the edge of the page before it, which holds older articles; none for page 1).
 */
type Unmoved = (older: PageEdge | undefined, edge: PageEdge) => boolean;

/**
 * Unmoved for these articles, one binary search a page (not a pass over them: a burst of edits
 * moves thousands, and the all-topics feed alone has thousands of kept pages). Among the moved
 * articles in a feed's order, the newest at or older than `edge` is on the page unless it is at
 * or older than `older` too.
 */
function unmovedBetween(articles: readonly Filing[]): Unmoved {
  const sorted = inFeedOrder(articles);
  return (older, edge) => {
    const newest = sorted[firstAtOrOlder(sorted, sorted.length, edge)];
    return newest === undefined || (older !== undefined && isAtOrOlder(newest, older));
  };
}

/** Whether `plan` holds exactly `articles[start, start + count)` (the same objects, in order). */
function holds<T>(plan: DocumentPlan<T & Filing> | undefined, articles: readonly T[], start: number, count: number): boolean {
  if (plan === undefined || plan.articles.length !== count) return false;
  for (let index = 0; index < count; index++) if (plan.articles[index] !== articles[start + index]) return false;
  return true;
}

/**
 * Where a collection's documents fall: the number of entries of each archive page (page 1, the
 * oldest, first; page p holds the `pages[p - 1]` articles after the older pages' ones) and of the
 * subscription document (the newest `subscription`).
 */
interface Cut {
  readonly pages: readonly number[];
  /** Where the whole pages end (the first `edges.length` pages; a page cut early is not whole). */
  readonly edges: readonly PageEdge[];
  readonly subscription: number;
  /** Newest articles among the first `maxItems` left out of the subscription document by the budget. */
  readonly overBudget: number;
  /** Pages (by number) and, as page 0, the subscription document that hold one entry over the budget. */
  readonly oversized: ReadonlySet<number>;
  /** Kept pages (by number) that hold the very articles of last time's plan of that page. */
  readonly same: ReadonlySet<number>;
}

/** How one document was filled: with `count` entries; `whole` when it stopped at maxItems or the budget (not at the last article). */
interface Fill {
  readonly count: number;
  readonly whole: boolean;
  /** It stopped because its next entry would have pushed it over the budget. */
  readonly byBytes: boolean;
  /** Its one entry is over the budget alone. */
  readonly oversized: boolean;
}

/**
 * Fills one document with `articles[from]`, `articles[from + step]`, … while they fit in every
 * format's budget, up to `limit` (maxItems); an entry that fits in no document alone gets one of
 * its own. Without sizes, by count alone.
 */
function fill<T>(articles: readonly T[], from: number, step: 1 | -1, frames: readonly FrameSize[], site: FeedSite, sizes: DocumentSizes<T> | undefined, limit = site.maxItems): Fill {
  if (sizes === undefined) {
    const left = step === 1 ? articles.length - from : from + 1;
    return left >= limit ? { count: limit, whole: true, byBytes: false, oversized: false } : { count: Math.max(left, 0), whole: false, byBytes: false, oversized: false };
  }
  const budget = site.maxBytes;
  // Bytes of the frame and the entries so far, per format.
  const bytes = frames.map((frame) => frame.fixed);
  let count = 0;
  for (let index = from; index >= 0 && index < articles.length; index += step) {
    const entry = sizes.entry(articles[index]!);
    let fits = true;
    for (let format = 0; format < frames.length; format++) if (bytes[format]! + (count > 0 ? frames[format]!.between : 0) + entry[format]! > budget) fits = false;
    if (!fits) return count > 0 ? { count, whole: true, byBytes: true, oversized: false } : { count: 1, whole: true, byBytes: true, oversized: true };
    for (let format = 0; format < frames.length; format++) bytes[format]! += (count > 0 ? frames[format]!.between : 0) + entry[format]!;
    if (++count === limit) return { count, whole: true, byBytes: false, oversized: false };
  }
  return { count, whole: false, byBytes: false, oversized: false };
}

const NO_FRAMES: readonly FrameSize[] = [];

/** The first page of `count` entries cut in two, the older half the larger: a feed's first archive. */
function halves(count: number): [number, number] {
  return [Math.ceil(count / 2), Math.floor(count / 2)];
}

/**
 * Whether `plan` holds exactly the articles of `all[0, end)` (newest first) that are at or older
 * than `edge` and not yet paged: the very same objects, in order, with no other article between
 * them and the edge.
 */
function holdsUpTo<T extends Filing>(plan: DocumentPlan<T>, all: readonly T[], end: number, edge: PageEdge): boolean {
  const count = plan.articles.length;
  const start = end - count;
  if (start < 0) return false;
  if (start > 0 && isAtOrOlder(all[start - 1]!, edge)) return false;
  if (count > 0 && !isAtOrOlder(all[start]!, edge)) return false;
  return holds(plan, all, start, count);
}

/** The index of the newest of `articles[0, end)` (newest first) that is at or older than `edge`; `end` when none is. */
function firstAtOrOlder(articles: readonly Filing[], end: number, edge: PageEdge): number {
  let low = 0;
  let high = end;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (isAtOrOlder(articles[middle]!, edge)) high = middle;
    else low = middle + 1;
  }
  return low;
}

/**
 * How many times maxItems a whole page may come to hold as older articles are added to it later
 * (an import of last year's articles, a corrected date) before it is cut afresh. Cutting it
 * afresh moves every later page of the feed by the entries it overflowed by: the all-topics
 * feed of 100 000 articles has about 1 900 pages of 50, each in four formats, and readers and
 * caches that hold them (RFC 5005: archive documents SHOULD NOT change) would get other entries
 * at the same addresses. The byte budget still bounds every page.
 */
export const KEPT_PAGE_GROWTH = 2;

/**
 * Cuts a collection (newest first) into archive pages and a subscription document.
 *
 * Pages are filled from the oldest article forward, each until it holds `maxItems` or (with
 * sizes) its next entry would push a format over `site.maxBytes` (the first page is then cut in
 * two halves), so that a page, once whole,
 * never changes as newer articles come (RFC 5005 archives are fixed); the articles after the last
 * whole page are not yet paged (and no page is made that would hold every article of the
 * collection). The subscription document holds the newest articles up to `maxItems` and the
 * budget; if that is fewer than those not yet paged (its head is larger than a page's: many
 * deletion notices), the older of them get a page of their own now (two, if it would be the first).
 *
 * The pages that earlier builds made whole are cut again along their edges (`kept`), oldest
 * first, while each still holds what a page may: a removed article leaves its page one entry
 * short and no later page moves, and an older article that comes later joins the page its date
 * falls in, which may grow to KEPT_PAGE_GROWTH times maxItems. A page that older articles take
 * past that, or whose entries no longer fit the budget, is cut afresh, and so is every page
 * after it.
 *
 * A page's frame is measured with a next-archive link (the newest page gets one later) and
 * `updated` at the epoch (dates are written at a fixed length). Frames differ between pages
 * only by their numbers, so each new page is first filled with the frame of a page numbered with
 * more digits than any, and measured exactly only when the budget, not maxItems, ended it.
 */
function cutCollection<T extends Filing>(
  all: readonly T[],
  site: FeedSite,
  /** Whether the collection gets archive pages (its kind is one of site.archives). */
  archived: boolean,
  sizes: DocumentSizes<T> | undefined,
  kept: readonly PageEdge[],
  pageHead: (page: number) => FeedDocumentHead,
  subscriptionHead: (pages: number) => FeedDocumentHead,
  /** The plans of last time (subscription first, then page 1…), to skip measuring a kept page that holds the very same articles. */
  previous: readonly DocumentPlan<T>[] = [],
  /** Tells a kept page no moved article falls on (then it holds the articles of its plan of last time), when the moves are known. */
  unmoved?: Unmoved,
  /** The digest of the page that holds all[start, end) (DocumentSizes.pageDigest), when sizes give one. */
  pageDigest?: (start: number, end: number) => string,
): Cut {
  const pages: number[] = [];
  const edges: PageEdge[] = [];
  const oversized = new Set<number>();
  const same = new Set<number>();
  const frame = (head: () => FeedDocumentHead) => (sizes ? sizes.frame(head()) : NO_FRAMES);
  let unpaged = all.length;
  if (archived) {
    const largest = frame(() => pageHead(10 ** (String(all.length).length + 1)));
    for (const edge of kept) {
      const page = pages.length + 1;
      const last = previous[page];
      let count: number;
      let recorded = edge;
      if (last && (unmoved?.(edges[edges.length - 1], edge) || holdsUpTo(last, all, unpaged, edge))) {
        // The very same articles up to the same edge (an edited one is a new object): they fitted, and still do.
        count = last.articles.length;
        same.add(page);
        if (last.oversized) oversized.add(page);
      } else {
        // The articles of all[0, unpaged) at or older than the edge are the last ones (newest first).
        count = unpaged - firstAtOrOlder(all, unpaged, edge);
        if (count > KEPT_PAGE_GROWTH * site.maxItems) break;
        const digest = count > 0 ? pageDigest?.(unpaged - count, unpaged) : undefined;
        // Articles of the very digest it had when it last fitted (never recorded for an oversized
        // page): they fit again, unmeasured. Otherwise measured, and its digest recorded.
        if (count > 0 && (digest === undefined || digest !== edge.digest)) {
          let filled = fill(all, unpaged - 1, -1, largest, site, sizes, count);
          if (filled.count < count || filled.oversized) filled = fill(all, unpaged - 1, -1, frame(() => pageHead(page)), site, sizes, count);
          if (filled.count < count) break;
          if (filled.oversized) oversized.add(page);
          else if (digest !== undefined) recorded = { time: edge.time, id: edge.id, digest };
        }
      }
      pages.push(count);
      edges.push(recorded);
      unpaged -= count;
    }
    const keptPages = pages.length;
    /** The next page, from all[unpaged - 1] back; undefined unless it is whole. */
    const nextPage = (): Fill | undefined => {
      let page = fill(all, unpaged - 1, -1, largest, site, sizes);
      if (page.byBytes) page = fill(all, unpaged - 1, -1, frame(() => pageHead(pages.length + 1)), site, sizes);
      return page.whole ? page : undefined;
    };
    /** A page of the next `count` articles, with its edge (and digest, unless it is one entry over the budget). */
    const addPage = (count: number, isOversized: boolean) => {
      if (isOversized) oversized.add(pages.length + 1);
      pages.push(count);
      unpaged -= count;
      const digest = isOversized ? undefined : pageDigest?.(unpaged, unpaged + count);
      edges.push(digest === undefined ? edgeOf(all[unpaged]!) : { ...edgeOf(all[unpaged]!), digest });
    };
    if (keptPages === 0) {
      const page = nextPage();
      // One page holding every article (exactly maxItems of them, or one too large): no page, and
      // the subscription document holds them, as without archives. Otherwise the first page is
      // cut in two halves, so that no archive page is ever the only one: the W3C validator warns
      // "Archive incomplete" on a page with neither a prev-archive nor a next-archive link, which
      // RFC 5005 gives the only page. (A page of one entry stays whole.) Both halves are made
      // exactly when the one page would have been, and within its budget.
      if (page && page.count < unpaged) {
        if (page.count < 2) addPage(page.count, page.oversized);
        else for (const count of halves(page.count)) addPage(count, false);
      }
    }
    while (unpaged > 0 && pages.length > 0) {
      const page = nextPage();
      if (!page) break;
      addPage(page.count, page.oversized);
    }
  }
  let subscription = fill(all, 0, 1, frame(() => subscriptionHead(pages.length)), site, sizes);
  if (archived && subscription.count < unpaged) {
    // A page of the older unpaged articles now (two, halves, if it would be the only one), and the
    // subscription document links it (its link to page 1 or 2 is measured alike: one length).
    const first = pages.length === 0;
    subscription = fill(all, 0, 1, frame(() => subscriptionHead(pages.length + (first ? 2 : 1))), site, sizes);
    const early = unpaged - subscription.count;
    if (first && early >= 2) pages.push(...halves(early));
    else pages.push(early);
  }
  if (subscription.oversized) oversized.add(0);
  return { pages, edges, subscription: subscription.count, overBudget: Math.min(all.length, site.maxItems) - subscription.count, oversized, same };
}

/** A collection's plans (subscription document first, then page 1…), its page edges, and which of the plans are new objects. */
function cutPlans<T extends Filing>(
  collection: FeedCollection<T>,
  site: FeedSite,
  /** Whether the collection gets archive pages (its kind is one of site.archives). */
  archived: boolean,
  deleted: readonly Tombstone[],
  previous: readonly DocumentPlan<T>[] = [],
  sizes: DocumentSizes<T> | undefined,
  kept: readonly PageEdge[],
  unmoved: Unmoved | undefined,
): { plans: DocumentPlan<T>[]; edges: readonly PageEdge[]; made: DocumentPlan<T>[] } {
  const all = collection.articles;
  const previousPages = previous.length - 1;
  const sameName = previous[0]?.document.name === collection.name;
  const subscriptionUrls = feedUrls(site.baseUrl, collection.path);
  // A page's URLs are its own and its neighbours' prev- and next-archive links: made once (at a
  // million articles, 87 000 pages' heads are kept between builds).
  const pagesUrls = new Map<number, FeedUrls>();
  const pageUrls = (page: number) => {
    let urls = pagesUrls.get(page);
    if (!urls) pagesUrls.set(page, (urls = feedUrls(site.baseUrl, archivePath(collection.path, page))));
    return urls;
  };
  const label = collectionLabel(collection);
  const description = site.description.replaceAll('{topic}', collection.name);
  const author = { name: site.title, url: site.siteUrl };
  // Every head is made by this one literal, its fields always in this order. Spread from a base
  // object, each archive page's head got a hidden class of its own in the build thread, which
  // keeps the heads between builds: 8 683 classes for 8 694 heads at 100 000 articles, 670 bytes
  // apiece.
  const head = (own: Pick<FeedDocumentHead, 'path' | 'title' | 'urls' | 'archive' | 'prevArchive' | 'nextArchive' | 'hubUrl' | 'maxAgeSeconds' | 'updated' | 'deleted'>): FeedDocumentHead => ({
    kind: collection.kind,
    name: collection.name,
    description,
    language: site.language,
    siteUrl: site.siteUrl,
    author,
    hubUrl: own.hubUrl,
    iconUrl: site.iconUrl,
    logoUrl: site.logoUrl,
    path: own.path,
    title: own.title,
    urls: own.urls,
    archive: own.archive,
    prevArchive: own.prevArchive,
    nextArchive: own.nextArchive,
    stylesheetHref: stylesheetHref(own.path),
    maxAgeSeconds: own.maxAgeSeconds,
    updated: own.updated,
    deleted: own.deleted,
  });
  const subscriptionHead = (pages: number, articles: readonly T[]): FeedDocumentHead =>
    head({
      path: collection.path,
      title: `${site.title}: ${label}`,
      urls: subscriptionUrls,
      archive: undefined,
      prevArchive: pages > 0 ? pageUrls(pages) : undefined,
      nextArchive: undefined,
      hubUrl: site.hubUrl,
      maxAgeSeconds: site.maxAgeSeconds.subscription,
      // A deletion is a change too: the feed is as new as its newest entry or notice.
      updated: new Date(deleted.reduce((newest, tombstone) => Math.max(newest, tombstone.deletedAt.getTime()), newestUpdate(articles).getTime())),
      deleted,
    });
  const pageHead = (page: number, pages: number, articles: readonly T[], updated = newestUpdate(articles)): FeedDocumentHead =>
    head({
      path: archivePath(collection.path, page),
      title: `${site.title}: ${label} (archive, page ${page})`,
      urls: pageUrls(page),
      archive: { page, current: subscriptionUrls },
      prevArchive: page > 1 ? pageUrls(page - 1) : undefined,
      nextArchive: page < pages ? pageUrls(page + 1) : undefined,
      // Archive pages are fetched once, never subscribed to: no hub.
      hubUrl: undefined,
      maxAgeSeconds: site.maxAgeSeconds.archive,
      updated,
      deleted: [],
    });

  const digestOf = sizes?.pageDigest;
  const pageDigest = digestOf && ((start: number, end: number) => digestOf.call(sizes, all, start, end, collection.name));
  const cut = cutCollection(all, site, archived, sizes, kept, (page) => pageHead(page, page + 1, []), (pages) => subscriptionHead(pages, []), sameName ? previous : [], unmoved, pageDigest);
  const pages = cut.pages.length;
  const subscriptionArticles = all.slice(0, cut.subscription);
  const lastSubscription = previous[0];
  const made: DocumentPlan<T>[] = [];
  const plans: DocumentPlan<T>[] = [
    sameName &&
    lastSubscription?.document.deleted === deleted &&
    previousPages === pages &&
    (lastSubscription.overBudget ?? 0) === cut.overBudget &&
    holds(lastSubscription, all, 0, subscriptionArticles.length)
      ? lastSubscription
      : newPlan(made, {
          document: subscriptionHead(pages, subscriptionArticles),
          articles: subscriptionArticles,
          ...(cut.overBudget > 0 ? { overBudget: cut.overBudget } : {}),
          ...(cut.oversized.has(0) ? { oversized: true } : {}),
        }),
  ];
  let end = all.length;
  for (let page = 1; page <= pages; page++) {
    // Newest first within the page; page 1 holds the oldest articles.
    const count = cut.pages[page - 1]!;
    const start = end - count;
    end = start;
    // The same articles, the same neighbours: the very plan of last time.
    const last = sameName ? previous[page] : undefined;
    if (last && (page < pages) === (page < previousPages) && (cut.same.has(page) || holds(last, all, start, count))) {
      plans.push(last);
      continue;
    }
    const pageArticles = all.slice(start, start + count);
    // A page whose articles were all removed (only a kept page can be empty) is as new as its edge.
    const document = pageHead(page, pages, pageArticles, count > 0 ? undefined : new Date(cut.edges[page - 1]!.time));
    plans.push(newPlan(made, { document, articles: pageArticles, ...(cut.oversized.has(page) ? { oversized: true } : {}) }));
  }
  return { plans, edges: cut.edges, made };
}

function newPlan<T extends Filing>(made: DocumentPlan<T>[], plan: DocumentPlan<T>): DocumentPlan<T> {
  made.push(plan);
  return plan;
}

function collectionLabel(collection: FeedCollection): string {
  switch (collection.kind) {
    case 'provider':
      return `from ${collection.name}`;
    case 'category':
      return `category ${collection.name}`;
    default:
      return collection.name;
  }
}

/** `feed.xsl` relative to a document at `path` (`providers/x` → `../feed.xsl`). */
function stylesheetHref(path: string): string {
  return `${'../'.repeat(path.split('/').length - 1)}feed.xsl`;
}

/**
 * A feed's updated date is its newest entry's (11ty's rule); an empty feed uses the epoch. An
 * entry's updated date is its article's updatedDateTime when later than publishedDateTime.
 */
function newestUpdate(articles: readonly Filing[]): Date {
  let newest = 0;
  for (const article of articles) {
    newest = Math.max(newest, article.publishedDateTime.getTime(), article.updatedDateTime?.getTime() ?? 0);
  }
  return new Date(newest);
}
