import type { Article } from '../../src/content/article-schema.js';
import type { FeedCollection } from '../../src/feeds/feed-collections.js';
import { planFeedDocuments, type DocumentOptions } from '../../src/feeds/feed-documents.js';
import type { FeedDocument, FeedEntry, FeedSite } from '../../src/feeds/feed-model.js';
import { toFeedEntry } from '../../src/render/feed-entry.js';

/** Plans every document of `collections` and gives each its entries (each article mapped once). */
export function buildFeedDocuments(collections: readonly FeedCollection<Article>[], site: FeedSite, options: DocumentOptions<Article> = {}): FeedDocument[] {
  const entries = new Map<Article, FeedEntry>();
  const entryOf = (article: Article): FeedEntry => {
    let entry = entries.get(article);
    if (!entry) entries.set(article, (entry = toFeedEntry(article, site.baseUrl)));
    return entry;
  };
  return planFeedDocuments(collections, site, options).map((plan) => ({ ...plan.document, entries: plan.articles.map(entryOf) }));
}
