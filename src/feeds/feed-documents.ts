import type { Filing } from './article-record.js';
import type { FeedCollection } from './feed-collections.js';
import type { FeedDocumentHead, FeedSite, FeedUrls, Tombstone } from './feed-model.js';

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
}

/**
 * The documents of every collection: a subscription document with the newest `site.maxItems`
 * entries and, when `site.archives` is on and there are more, RFC 5005 archive pages. Pages are
 * cut from the oldest entry forward, so adding new articles never changes a page's contents:
 * page 1 holds the oldest `maxItems`, page 2 the next, and so on; only whole pages are written,
 * and the entries after the last whole page are all in the subscription document.
 */
export function planFeedDocuments<T extends Filing>(collections: readonly FeedCollection<T>[], site: FeedSite, options: DocumentOptions<T> = {}): DocumentPlan<T>[] {
  const { memo } = options;
  const plans = collections.flatMap((collection) => {
    const deleted = options.tombstones?.get(collection.path) ?? NO_TOMBSTONES;
    const known = memo?.get(collection.path);
    if (known && known.collection === collection && known.deleted === deleted) return known.plans;
    const made = collectionPlans(collection, site, deleted, known?.plans);
    memo?.set(collection.path, { collection, deleted, plans: made });
    return made;
  });
  if (memo && memo.size > collections.length) {
    const present = new Set(collections.map((collection) => collection.path));
    for (const path of memo.keys()) if (!present.has(path)) memo.delete(path);
  }
  return plans;
}

/** Whether `plan` holds exactly `articles[start, start + count)` (the same objects, in order). */
function holds<T>(plan: DocumentPlan<T & Filing> | undefined, articles: readonly T[], start: number, count: number): boolean {
  if (plan === undefined || plan.articles.length !== count) return false;
  for (let index = 0; index < count; index++) if (plan.articles[index] !== articles[start + index]) return false;
  return true;
}

function collectionPlans<T extends Filing>(collection: FeedCollection<T>, site: FeedSite, deleted: readonly Tombstone[], previous: readonly DocumentPlan<T>[] = []): DocumentPlan<T>[] {
  const size = site.maxItems;
  const all = collection.articles;
  const pages = site.archives && all.length > size ? Math.floor(all.length / size) : 0;
  const previousPages = previous.length - 1;
  const sameName = previous[0]?.document.name === collection.name;
  const subscriptionUrls = feedUrls(site.baseUrl, collection.path);
  const pageUrls = (page: number) => feedUrls(site.baseUrl, archivePath(collection.path, page));
  const label = collectionLabel(collection);
  const base = {
    kind: collection.kind,
    name: collection.name,
    description: site.description.replaceAll('{topic}', collection.name),
    language: site.language,
    siteUrl: site.siteUrl,
    author: { name: site.title, url: site.siteUrl },
    hubUrl: site.hubUrl,
    iconUrl: site.iconUrl,
    logoUrl: site.logoUrl,
  };

  const subscriptionArticles = all.slice(0, size);
  const lastSubscription = previous[0];
  const plans: DocumentPlan<T>[] = [
    sameName && lastSubscription?.document.deleted === deleted && previousPages === pages && holds(lastSubscription, all, 0, subscriptionArticles.length)
      ? lastSubscription
      : {
      document: {
        ...base,
        path: collection.path,
        title: `${site.title}: ${label}`,
        urls: subscriptionUrls,
        prevArchive: pages > 0 ? pageUrls(pages) : undefined,
        stylesheetHref: stylesheetHref(collection.path),
        maxAgeSeconds: site.maxAgeSeconds.subscription,
        // A deletion is a change too: the feed is as new as its newest entry or notice.
        updated: new Date(deleted.reduce((newest, tombstone) => Math.max(newest, tombstone.deletedAt.getTime()), newestUpdate(subscriptionArticles).getTime())),
        deleted,
      },
      articles: subscriptionArticles,
    },
  ];
  for (let page = 1; page <= pages; page++) {
    // Newest first within the page; page 1 is the oldest `size` articles.
    const start = all.length - page * size;
    // The same articles, the same neighbours: the very plan of last time.
    const last = sameName ? previous[page] : undefined;
    if (last && (page < pages) === (page < previousPages) && holds(last, all, start, size)) {
      plans.push(last);
      continue;
    }
    const pageArticles = all.slice(start, start + size);
    const path = archivePath(collection.path, page);
    plans.push({
      document: {
        ...base,
        path,
        title: `${site.title}: ${label} (archive, page ${page})`,
        urls: pageUrls(page),
        archive: { page, current: subscriptionUrls },
        // Archive pages are fetched once, never subscribed to: no hub.
        hubUrl: undefined,
        prevArchive: page > 1 ? pageUrls(page - 1) : undefined,
        nextArchive: page < pages ? pageUrls(page + 1) : undefined,
        stylesheetHref: stylesheetHref(path),
        maxAgeSeconds: site.maxAgeSeconds.archive,
        updated: newestUpdate(pageArticles),
        deleted: [],
      },
      articles: pageArticles,
    });
  }
  return plans;
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
