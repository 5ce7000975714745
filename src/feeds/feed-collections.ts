import type { Filing } from './article-record.js';
import type { FeedKind } from './feed-model.js';
import type { Problem } from '../content/problems.js';
import { entryId } from './select-articles.js';
import { SlugGroups, topicGroups, topicSlug } from './topics.js';

/** The articles of one feed, newest first, before paging. */
export interface FeedCollection<T extends Filing = Filing> {
  /** Path under /feeds/ without extension: `all`, `ai`, `providers/pymnts.com`, `categories/news`. */
  readonly path: string;
  readonly kind: FeedKind;
  readonly name: string;
  readonly articles: readonly T[];
}

export const ALL_TOPICS_PATH = 'all';

/**
 * A provider's slug is its domain (already a lower-case host name, so URL-safe and unique), or
 * its name's slug when it has no domain.
 */
export function providerSlug(provider: { name: string; domain?: string }): string {
  return provider.domain ?? topicSlug(provider.name);
}

export interface CollectedFeeds<T extends Filing = Filing> {
  readonly collections: FeedCollection<T>[];
  /** For each entry id, the paths of the collections it is in (`all` first). */
  readonly feedsByEntry: Map<string, string[]>;
  readonly problems: readonly Problem[];
}

/**
 * Every feed the build writes: all topics, each topic, each provider, each category. `articles`
 * must be publishable and sorted newest first; each collection keeps that order. One pass over
 * the articles: at 100k, each pass that touches every article costs tens of milliseconds.
 */
export function collectFeeds<T extends Filing>(articles: readonly T[]): CollectedFeeds<T> {
  const topics = topicGroups<T>();
  const providers = new SlugGroups<T>({ reportCollisions: false, pathPrefix: 'providers/' });
  const categories = new SlugGroups<T>({ reportCollisions: false, pathPrefix: 'categories/' });
  const feedsByEntry = new Map<string, string[]>();
  for (const article of articles) {
    const feeds = [ALL_TOPICS_PATH];
    for (const name of article.topics) {
      const path = topics.add(article, name);
      if (path !== undefined) feeds.push(path);
    }
    if (article.provider) {
      const path = providers.add(article, article.provider.name, providerSlug(article.provider));
      if (path !== undefined) feeds.push(path);
    }
    if (article.category) {
      const path = categories.add(article, article.category);
      if (path !== undefined) feeds.push(path);
    }
    feedsByEntry.set(entryId(article), feeds);
  }
  const topicResult = topics.result();
  return {
    collections: [
      { path: ALL_TOPICS_PATH, kind: 'all', name: 'all topics', articles },
      ...topicResult.topics.map((topic) => ({ path: topic.slug, kind: 'topic' as const, name: topic.name, articles: topic.articles })),
      ...providers.result().topics.map((group) => ({ path: `providers/${group.slug}`, kind: 'provider' as const, name: group.name, articles: group.articles })),
      ...categories.result().topics.map((group) => ({ path: `categories/${group.slug}`, kind: 'category' as const, name: group.name, articles: group.articles })),
    ],
    feedsByEntry,
    problems: topicResult.problems,
  };
}
