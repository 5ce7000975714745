import transliterate from '@sindresorhus/transliterate';
import type { Problem } from '../content/problems.js';
import { compareCodePoints } from './code-point-order.js';

/**
 * Slugs taken by the service's own files and folders under /feeds/: the all-topics feed, the
 * index, the stylesheet and the provider, category and archive folders.
 */
export const RESERVED_SLUGS: ReadonlySet<string> = new Set(['all', 'index', 'feed', 'providers', 'categories', 'archive']);

/**
 * A `+` or `#` written onto a word (after a letter, a digit or another such mark) is part of its
 * name, not punctuation: `C++` and `C#` are other languages than `C`, and were merged into its feed
 * when the marks became separators. A mark on its own (`A + B`) or before a word (`#AI`) still is.
 */
const WORD_MARKS = /(?<=[\p{L}\p{N}+#])[+#]/gu;
const WORD_MARK_NAMES: Readonly<Record<string, string>> = { '+': ' plus ', '#': ' sharp ' };

/**
 * The URL slug of a topic name: `AI` → `ai`, `Machine Learning` → `machine-learning`,
 * `Zürich` → `zuerich`, `Технологии` → `tekhnologii`, `R&D` → `r-and-d`, `C++` → `c-plus-plus`,
 * `C#` → `c-sharp`. Scripts with no Latin transliteration keep their letters (`人工智能` →
 * `人工智能`; the URL percent-encodes them). Returns '' when the name has no letters or digits at
 * all.
 */
export function topicSlug(name: string): string {
  let slug = slugs.get(name);
  if (slug === undefined) {
    slug = transliterate(
      name
        .normalize('NFKC')
        .replace(/&/g, ' and ')
        .replace(WORD_MARKS, (mark) => WORD_MARK_NAMES[mark]!),
    )
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

/**
 * The longest slug that names a feed, in UTF-8 bytes (a CJK letter is 3). A slug is a file name in
 * FEEDS_DIR (`<slug>-topic.atom` at the longest) and most file systems allow 255 bytes: an article
 * whose topic, category or provider would need a longer one is reported instead of failing the
 * write of every build.
 */
export const MAX_SLUG_BYTES = 200;

/** Why `slug` cannot name a feed (`empty`: the name has no letters or digits), or undefined. */
export function slugFault(slug: string): 'empty' | 'too_long' | undefined {
  if (slug === '') return 'empty';
  return Buffer.byteLength(slug) > MAX_SLUG_BYTES ? 'too_long' : undefined;
}

export interface Topic<T = unknown> {
  readonly slug: string;
  /** The display name: the spelling most articles use (ties: the first in code-point order). */
  readonly name: string;
  readonly articles: readonly T[];
}

export interface TopicGrouping<T = unknown> {
  readonly topics: readonly Topic<T>[];
  readonly problems: readonly Problem[];
}

export interface SlugGroupOptions {
  /** Slugs that get `-topic` appended. */
  readonly reserved?: ReadonlySet<string>;
  /** Report names that differ but share a slug (topics do; provider spellings need not). */
  readonly reportCollisions?: boolean;
  /** Put before each slug in its collection's path (`providers/`). */
  readonly pathPrefix?: string;
}

interface SlugGroup<T> {
  readonly slug: string;
  /** Its collection's path: the slug after `pathPrefix`. */
  readonly path: string;
  readonly names: Map<string, number>;
  readonly articles: T[];
}

/**
 * Articles grouped by slug as they are added, keeping the order they are added in. Names that
 * differ but share a slug (`AI`, `ai`) are merged into one group and reported, so no article is
 * lost; a name whose slug is reserved gets `-topic` appended and is reported too.
 */
export class SlugGroups<T> {
  private readonly groups = new Map<string, SlugGroup<T>>();
  private readonly renamed = new Map<string, string>();
  private readonly reserved: ReadonlySet<string>;
  private readonly reportCollisions: boolean;
  private readonly pathPrefix: string;

  constructor(options: SlugGroupOptions = {}) {
    this.pathPrefix = options.pathPrefix ?? '';
    this.reserved = options.reserved ?? new Set();
    this.reportCollisions = options.reportCollisions ?? true;
  }

  /**
   * Files `article` under `name` (its slug: `topicSlug(name)` unless given). Returns the group's
   * path (`pathPrefix` + slug, one string per group) when the article joined it now, undefined
   * when the name has no slug or the article is already in that group (two of its names share a
   * slug).
   */
  add(article: T, name: string, baseSlug = topicSlug(name)): string | undefined {
    if (baseSlug === '') return undefined;
    const slug = this.reserved.has(baseSlug) ? `${baseSlug}-topic` : baseSlug;
    if (slug !== baseSlug) this.renamed.set(name, slug);
    let group = this.groups.get(slug);
    if (!group) this.groups.set(slug, (group = { slug, path: this.pathPrefix + slug, names: new Map(), articles: [] }));
    group.names.set(name, (group.names.get(name) ?? 0) + 1);
    if (group.articles.at(-1) === article) return undefined;
    group.articles.push(article);
    return group.path;
  }

  /** The groups sorted by slug, each named by the spelling most used, and what to report. */
  result(): TopicGrouping<T> {
    const topics: Topic<T>[] = [];
    const problems: Problem[] = [];
    for (const [name, slug] of [...this.renamed].sort(([a], [b]) => compareCodePoints(a, b))) problems.push(reservedSlugProblem(name, slug));
    for (const group of this.groups.values()) {
      const names = [...group.names.keys()].sort(compareCodePoints);
      const name = names.reduce((best, candidate) => ((group.names.get(candidate) ?? 0) > (group.names.get(best) ?? 0) ? candidate : best));
      if (names.length > 1 && this.reportCollisions) problems.push(slugCollisionProblem(names, group.slug, name));
      topics.push({ slug: group.slug, name, articles: group.articles });
    }
    topics.sort((a, b) => compareCodePoints(a.slug, b.slug));
    return { topics, problems };
  }
}

/** A topic whose slug is reserved, and the feed it gets instead. */
export function reservedSlugProblem(name: string, slug: string): Problem {
  return {
    code: 'TOPIC_SLUG_COLLISION',
    issues: [{ path: 'topics', reason: 'reserved_slug', message: `the topic "${name}" would have a reserved slug; its feed is "${slug}"` }],
  };
}

/** Topic names (sorted) that share one slug, and the one the feed is titled with. */
export function slugCollisionProblem(names: readonly string[], slug: string, title: string): Problem {
  return {
    code: 'TOPIC_SLUG_COLLISION',
    issues: [
      {
        path: 'topics',
        reason: 'slug_collision',
        message: `the topics ${names.map((n) => JSON.stringify(n)).join(', ')} all have the slug "${slug}"; they share one feed, titled "${title}"`,
      },
    ],
  };
}

/** The topic feeds' groups: reserved slugs renamed, collisions reported. */
export function topicGroups<T>(): SlugGroups<T> {
  return new SlugGroups<T>({ reserved: RESERVED_SLUGS });
}

/** Topic feeds: one per topic slug; collisions and reserved slugs reported (see SlugGroups). */
export function groupByTopic<T extends { readonly topics: readonly string[] }>(articles: readonly T[]): TopicGrouping<T> {
  const groups = topicGroups<T>();
  for (const article of articles) for (const name of article.topics) groups.add(article, name);
  return groups.result();
}
