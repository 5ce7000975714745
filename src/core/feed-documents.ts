import type { Article } from './article-schema.js';
import { toFeedEntry } from './feed-entry.js';
import type { FeedDocument, FeedEntry, FeedSite } from './feed-model.js';
import type { Topic } from './topics.js';

export const ALL_TOPICS_SLUG = 'all';

/** `/feeds/ai.xml` etc. under the public base URL. Slugs are percent-encoded (CJK topics). */
export function feedUrls(baseUrl: string, slug: string) {
  const stem = `${baseUrl}/feeds/${encodeURIComponent(slug)}`;
  return { rss: `${stem}.xml`, atom: `${stem}.atom`, json: `${stem}.json` };
}

/**
 * One document per topic plus the all-topics feed. `articles` must be publishable and sorted
 * newest first (selectPublishable does both); each feed keeps the first `site.maxItems`.
 * Each article is mapped to an entry once, however many feeds it appears in.
 */
export function buildFeedDocuments(articles: readonly Article[], topics: readonly Topic[], site: FeedSite): FeedDocument[] {
  const entries = new Map<Article, FeedEntry>();
  const entryOf = (article: Article): FeedEntry => {
    let entry = entries.get(article);
    if (!entry) entries.set(article, (entry = toFeedEntry(article)));
    return entry;
  };
  const document = (slug: string, topic: string | undefined, list: readonly Article[]): FeedDocument => {
    const feedEntries = list.slice(0, site.maxItems).map(entryOf);
    const label = topic ?? 'all topics';
    return {
      slug,
      topic,
      title: `${site.title}: ${label}`,
      description: site.description.replaceAll('{topic}', label),
      language: site.language,
      siteUrl: site.siteUrl,
      urls: feedUrls(site.baseUrl, slug),
      updated: newestUpdate(feedEntries),
      entries: feedEntries,
    };
  };
  return [document(ALL_TOPICS_SLUG, undefined, articles), ...topics.map((topic) => document(topic.slug, topic.name, topic.articles))];
}

/** A feed's updated date is its newest entry's (11ty's rule); an empty feed uses the epoch. */
function newestUpdate(entries: readonly FeedEntry[]): Date {
  let newest = 0;
  for (const entry of entries) newest = Math.max(newest, entry.updated.getTime());
  return new Date(newest);
}
