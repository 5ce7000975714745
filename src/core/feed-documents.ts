import type { Article } from './article-schema.js';
import type { FeedCollection } from './feed-collections.js';
import { toFeedEntry } from './feed-entry.js';
import type { FeedDocument, FeedEntry, FeedSite, FeedUrls, Tombstone } from './feed-model.js';

/** `/feeds/<path>.xml` etc. under the public base URL; each path segment percent-encoded. */
export function feedUrls(baseUrl: string, path: string): FeedUrls {
  const stem = `${baseUrl}/feeds/${path.split('/').map(encodeURIComponent).join('/')}`;
  return { rss: `${stem}.xml`, atom: `${stem}.atom`, json: `${stem}.json`, html: `${stem}.html` };
}

/** Path of archive page `page` (1 = oldest) of a collection: `archive/ai/3`. */
export function archivePath(collectionPath: string, page: number): string {
  return `archive/${collectionPath}/${page}`;
}

export interface DocumentOptions {
  /** Recently deleted entries per collection path, announced in its subscription document. */
  readonly tombstones?: ReadonlyMap<string, readonly Tombstone[]>;
}

/**
 * The documents of every collection: a subscription document with the newest `site.maxItems`
 * entries and, when `site.archives` is on and there are more, RFC 5005 archive pages. Pages are
 * cut from the oldest entry forward, so adding new articles never changes a page's contents:
 * page 1 holds the oldest `maxItems`, page 2 the next, and so on; only whole pages are written,
 * and the entries after the last whole page are all in the subscription document.
 * Each article is mapped to an entry once, however many documents it appears in.
 */
export function buildFeedDocuments(collections: readonly FeedCollection[], site: FeedSite, options: DocumentOptions = {}): FeedDocument[] {
  const entries = new Map<Article, FeedEntry>();
  const entryOf = (article: Article): FeedEntry => {
    let entry = entries.get(article);
    if (!entry) entries.set(article, (entry = toFeedEntry(article)));
    return entry;
  };
  return collections.flatMap((collection) => collectionDocuments(collection, site, entryOf, options.tombstones?.get(collection.path) ?? []));
}

function collectionDocuments(
  collection: FeedCollection,
  site: FeedSite,
  entryOf: (article: Article) => FeedEntry,
  deleted: readonly Tombstone[],
): FeedDocument[] {
  const size = site.maxItems;
  const all = collection.articles;
  const pages = site.archives && all.length > size ? Math.floor(all.length / size) : 0;
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
  };

  const subscriptionEntries = all.slice(0, size).map(entryOf);
  const documents: FeedDocument[] = [
    {
      ...base,
      path: collection.path,
      title: `${site.title}: ${label}`,
      urls: subscriptionUrls,
      prevArchive: pages > 0 ? pageUrls(pages) : undefined,
      stylesheetHref: stylesheetHref(collection.path),
      updated: newestUpdate(subscriptionEntries),
      entries: subscriptionEntries,
      deleted,
    },
  ];
  for (let page = 1; page <= pages; page++) {
    // Newest first within the page; page 1 is the oldest `size` articles.
    const pageEntries = all.slice(all.length - page * size, all.length - (page - 1) * size).map(entryOf);
    const path = archivePath(collection.path, page);
    documents.push({
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
      updated: newestUpdate(pageEntries),
      entries: pageEntries,
      deleted: [],
    });
  }
  return documents;
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

/** A feed's updated date is its newest entry's (11ty's rule); an empty feed uses the epoch. */
function newestUpdate(entries: readonly FeedEntry[]): Date {
  let newest = 0;
  for (const entry of entries) newest = Math.max(newest, entry.updated.getTime());
  return new Date(newest);
}
