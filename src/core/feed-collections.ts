import type { Article } from './article-schema.js';
import type { FeedKind } from './feed-model.js';
import type { Problem } from './problems.js';
import { groupBySlug, groupByTopic, topicSlug } from './topics.js';

/** The articles of one feed, newest first, before paging. */
export interface FeedCollection {
  /** Path under /feeds/ without extension: `all`, `ai`, `providers/pymnts.com`, `categories/news`. */
  readonly path: string;
  readonly kind: FeedKind;
  readonly name: string;
  readonly articles: readonly Article[];
}

export const ALL_TOPICS_PATH = 'all';

/**
 * A provider's slug is its domain (already a lower-case host name, so URL-safe and unique), or
 * its name's slug when it has no domain.
 */
export function providerSlug(provider: { name: string; domain?: string }): string {
  return provider.domain ?? topicSlug(provider.name);
}

/**
 * Every feed the build writes: all topics, each topic, each provider, each category. `articles`
 * must be publishable and sorted newest first; each collection keeps that order.
 */
export function collectFeeds(articles: readonly Article[]): { collections: FeedCollection[]; problems: readonly Problem[] } {
  const topics = groupByTopic(articles);
  const providers = groupBySlug(articles, {
    namesOf: (article) => (article.provider ? [providerSlug(article.provider)] : []),
    slugOf: (slug) => slug,
    reportCollisions: false,
  });
  const categories = groupBySlug(articles, {
    namesOf: (article) => (article.category ? [article.category] : []),
    slugOf: topicSlug,
    reportCollisions: false,
  });
  const providerNames = mostUsedNames(articles.flatMap((article) => (article.provider ? [[providerSlug(article.provider), article.provider.name] as const] : [])));
  return {
    collections: [
      { path: ALL_TOPICS_PATH, kind: 'all', name: 'all topics', articles },
      ...topics.topics.map((topic) => ({ path: topic.slug, kind: 'topic' as const, name: topic.name, articles: topic.articles })),
      ...providers.topics.map((group) => ({
        path: `providers/${group.slug}`,
        kind: 'provider' as const,
        name: providerNames.get(group.slug) ?? group.name,
        articles: group.articles,
      })),
      ...categories.topics.map((group) => ({ path: `categories/${group.slug}`, kind: 'category' as const, name: group.name, articles: group.articles })),
    ],
    problems: topics.problems,
  };
}

/** For each key, the name used most often with it (ties: the first in code-point order). */
function mostUsedNames(pairs: readonly (readonly [string, string])[]): Map<string, string> {
  const counts = new Map<string, Map<string, number>>();
  for (const [key, name] of pairs) {
    const names = counts.get(key) ?? new Map<string, number>();
    names.set(name, (names.get(name) ?? 0) + 1);
    counts.set(key, names);
  }
  const result = new Map<string, string>();
  for (const [key, names] of counts) {
    let best: [string, number] | undefined;
    for (const [name, count] of names) {
      if (!best || count > best[1] || (count === best[1] && name < best[0])) best = [name, count];
    }
    if (best) result.set(key, best[0]);
  }
  return result;
}
