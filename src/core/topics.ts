import transliterate from '@sindresorhus/transliterate';
import type { Article } from './article-schema.js';
import type { Problem } from './problems.js';

/**
 * Slugs taken by the service's own files and folders under /feeds/: the all-topics feed, the
 * index, the stylesheet and the provider, category and archive folders.
 */
export const RESERVED_SLUGS: ReadonlySet<string> = new Set(['all', 'index', 'feed', 'providers', 'categories', 'archive']);

/**
 * The URL slug of a topic name: `AI` → `ai`, `Machine Learning` → `machine-learning`,
 * `Zürich` → `zuerich`, `Технологии` → `tekhnologii`, `R&D` → `r-and-d`. Scripts with no Latin
 * transliteration keep their letters (`人工智能` → `人工智能`; the URL percent-encodes them).
 * Returns '' when the name has no letters or digits at all.
 */
export function topicSlug(name: string): string {
  let slug = slugs.get(name);
  if (slug === undefined) {
    slug = transliterate(name.normalize('NFKC').replace(/&/g, ' and '))
      .toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, '-')
      .replace(/^-+|-+$/g, '');
    // Topic names repeat across thousands of articles; the memo is bounded to stay small.
    if (slugs.size >= 10_000) slugs.clear();
    slugs.set(name, slug);
  }
  return slug;
}

const slugs = new Map<string, string>();

export interface Topic {
  readonly slug: string;
  /** The display name: the spelling most articles use (ties: the first in code-point order). */
  readonly name: string;
  readonly articles: readonly Article[];
}

export interface TopicGrouping {
  readonly topics: readonly Topic[];
  readonly problems: readonly Problem[];
}

export interface GroupOptions {
  /** The names an article is filed under (its topics, its category, its provider). */
  readonly namesOf: (article: Article) => readonly string[];
  readonly slugOf: (name: string) => string;
  /** Slugs that get `-topic` appended. */
  readonly reserved?: ReadonlySet<string>;
  /** Report names that differ but share a slug (topics do; provider spellings need not). */
  readonly reportCollisions?: boolean;
}

/**
 * Groups articles by slug, keeping the input order inside each group. Names that differ but
 * share a slug (`AI`, `ai`) are merged into one group and reported, so no article is lost; a
 * name whose slug is reserved gets `-topic` appended and is reported too.
 */
export function groupBySlug(articles: readonly Article[], options: GroupOptions): TopicGrouping {
  const { namesOf, slugOf, reserved = new Set(), reportCollisions = true } = options;
  const bySlug = new Map<string, { names: Map<string, number>; articles: Article[] }>();
  const renamed = new Map<string, string>();
  for (const article of articles) {
    for (const name of namesOf(article)) {
      const baseSlug = slugOf(name);
      if (baseSlug === '') continue;
      const slug = reserved.has(baseSlug) ? `${baseSlug}-topic` : baseSlug;
      if (slug !== baseSlug) renamed.set(name, slug);
      let group = bySlug.get(slug);
      if (!group) bySlug.set(slug, (group = { names: new Map(), articles: [] }));
      group.names.set(name, (group.names.get(name) ?? 0) + 1);
      if (group.articles.at(-1) !== article) group.articles.push(article);
    }
  }

  const topics: Topic[] = [];
  const problems: Problem[] = [];
  for (const [name, slug] of [...renamed].sort(([a], [b]) => compareCodePoints(a, b))) {
    problems.push({
      code: 'TOPIC_SLUG_COLLISION',
      issues: [{ path: 'topics', reason: 'reserved_slug', message: `the topic "${name}" would have a reserved slug; its feed is "${slug}"` }],
    });
  }
  for (const [slug, group] of bySlug) {
    const names = [...group.names.keys()].sort(compareCodePoints);
    const name = names.reduce((best, candidate) => ((group.names.get(candidate) ?? 0) > (group.names.get(best) ?? 0) ? candidate : best));
    if (names.length > 1 && reportCollisions) {
      problems.push({
        code: 'TOPIC_SLUG_COLLISION',
        issues: [
          {
            path: 'topics',
            reason: 'slug_collision',
            message: `the topics ${names.map((n) => JSON.stringify(n)).join(', ')} all have the slug "${slug}"; they share one feed, titled "${name}"`,
          },
        ],
      });
    }
    topics.push({ slug, name, articles: group.articles });
  }
  topics.sort((a, b) => compareCodePoints(a.slug, b.slug));
  return { topics, problems };
}

/** Topic feeds: one per topic slug; collisions and reserved slugs reported. */
export function groupByTopic(articles: readonly Article[]): TopicGrouping {
  return groupBySlug(articles, { namesOf: (article) => article.topics, slugOf: topicSlug, reserved: RESERVED_SLUGS });
}

/** Locale-independent ordering, so the same input sorts the same on every machine. */
export function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
