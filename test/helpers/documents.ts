import type { Article } from '../../src/content/article-schema.js';
import type { FeedCollection } from '../../src/feeds/feed-collections.js';
import { planFeedDocuments, type DocumentOptions, type DocumentSizes } from '../../src/feeds/feed-documents.js';
import type { FeedDocument, FeedEntry, FeedSite } from '../../src/feeds/feed-model.js';
import { renderEntryFragments } from '../../src/render/entry-fragments.js';
import { toFeedEntry } from '../../src/render/feed-entry.js';
import { BUDGET_FORMATS, frameSizes } from '../../src/render/render-document.js';

/**
 * Plans every document of `collections` and gives each its entries (each article mapped once).
 * Documents are cut by `site.maxBytes` from the entries as rendered, unless `options.sizes` says otherwise.
 */
export function buildFeedDocuments(collections: readonly FeedCollection<Article>[], site: FeedSite, options: DocumentOptions<Article> = {}): FeedDocument[] {
  const entries = new Map<Article, FeedEntry>();
  const entryOf = (article: Article): FeedEntry => {
    let entry = entries.get(article);
    if (!entry) entries.set(article, (entry = toFeedEntry(article, site.baseUrl)));
    return entry;
  };
  const sizes = options.sizes ?? renderedSizes(entryOf);
  return planFeedDocuments(collections, site, { ...options, sizes }).map((plan) => ({ ...plan.document, entries: plan.articles.map(entryOf) }));
}

/** Sizes from the entries rendered as the build renders them (each article once). */
export function renderedSizes(entryOf: (article: Article) => FeedEntry): DocumentSizes<Article> {
  const known = new Map<Article, number[]>();
  return {
    frame: frameSizes,
    entry: (article) => {
      let lengths = known.get(article);
      if (!lengths) {
        const fragments = renderEntryFragments(entryOf(article));
        known.set(article, (lengths = BUDGET_FORMATS.map((format) => Buffer.byteLength(fragments[format]))));
      }
      return lengths;
    },
  };
}
