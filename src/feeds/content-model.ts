import type { Problem } from '../content/problems.js';
import type { Filing } from './article-record.js';
import { trackDeletedEntries, type EntryState } from './deleted-entries.js';
import { ALL_TOPICS_PATH, collectFeeds, type FeedCollection } from './feed-collections.js';
import type { FeedKind } from './feed-model.js';
import { selectPublishable, type Selection } from './select-articles.js';

/** What one content file gave: an article (or its record), or the problem that kept it out. */
export type FileOutcome<T extends Filing = Filing> = { readonly ok: true; readonly article: T } | { readonly ok: false; readonly problem: Problem };

/**
 * What selection, grouping and deletion tracking made of a build's files: everything before the
 * documents are planned. Pure; a long-running process keeps the last one (BuildCache.model).
 */
export interface ContentModel<T extends Filing = Filing> {
  readonly results: readonly FileOutcome<T>[];
  readonly nowMs: number;
  /** The first instant at which the model may be wrong without any file changing. */
  readonly validUntil: number;
  readonly deletedEntryDays: number;
  /** Parse problems, then duplicate ids, then topic slug collisions. */
  readonly problems: readonly Problem[];
  readonly selection: Selection<T>;
  /** Every feed with articles, then every feed left with nothing but deletion notices. */
  readonly collections: readonly FeedCollection<T>[];
  readonly tracked: ReturnType<typeof trackDeletedEntries>;
  readonly nextScheduled: Date | undefined;
}

/**
 * Selects, groups and tracks deletions of `results` (in file order) for a build at `now`. `now`
 * decides which dated articles are due and when a deletion was first seen; nothing else.
 */
export function makeContentModel<T extends Filing>(results: readonly FileOutcome<T>[], now: Date, previousState: EntryState, deletedEntryDays: number): ContentModel<T> {
  const articles: T[] = [];
  const parseProblems: Problem[] = [];
  for (const result of results) {
    if (result.ok) articles.push(result.article);
    else parseProblems.push(result.problem);
  }
  const selection = selectPublishable(articles, now);
  const collected = collectFeeds(selection.publishable);
  const tracked = trackDeletedEntries(previousState, collected.feedsByEntry, now, deletedEntryDays);
  const nextScheduled = selection.scheduled.reduce<Date | undefined>(
    (next, article) => (next === undefined || article.publishedDateTime < next ? article.publishedDateTime : next),
    undefined,
  );
  // A feed whose last article was deleted still exists while it announces the deletion, so its
  // subscribers learn of it (and then the feed goes, with the notice).
  const present = new Set(collected.collections.map((collection) => collection.path));
  const emptied = [...tracked.tombstones.keys()].filter((path) => !present.has(path)).sort().map((path) => emptyCollection<T>(path));
  return {
    results,
    nowMs: now.getTime(),
    validUntil: Math.min(nextScheduled?.getTime() ?? Number.POSITIVE_INFINITY, tracked.nextExpiry),
    deletedEntryDays,
    problems: [...parseProblems, ...selection.problems, ...collected.problems],
    selection,
    collections: [...collected.collections, ...emptied],
    tracked,
    nextScheduled,
  };
}

/** A collection with no articles left, named from its path (`providers/x.com` → x.com). */
function emptyCollection<T extends Filing>(path: string): FeedCollection<T> {
  const [first, ...rest] = path.split('/');
  const kind: FeedKind = path === ALL_TOPICS_PATH ? 'all' : first === 'providers' ? 'provider' : first === 'categories' ? 'category' : 'topic';
  return { path, kind, name: rest.length ? rest.join('/') : first ?? path, articles: [] };
}

/** More changed files than this and the model is made afresh (it takes a few hundred ms at 100k). */
const MAX_REUSED_CHANGES = 64;

/**
 * The last model with edited articles swapped in, when that is exactly what makeContentModel
 * would give: the same files in the same order, nothing come due since, and each changed file
 * still a valid article that differs only in what no selection, grouping or deletion notice looks
 * at (title, excerpt, body, images, links…), which is the usual edit. Otherwise undefined.
 */
export function reuseContentModel<T extends Filing>(
  last: ContentModel<T> | undefined,
  results: readonly FileOutcome<T>[],
  now: Date,
  previousState: EntryState,
  deletedEntryDays: number,
): ContentModel<T> | undefined {
  if (!last || last.results.length !== results.length || previousState !== last.tracked.state || deletedEntryDays !== last.deletedEntryDays) return undefined;
  const nowMs = now.getTime();
  if (nowMs < last.nowMs || nowMs >= last.validUntil) return undefined;
  const swaps = new Map<T, T>();
  for (let index = 0; index < results.length; index++) {
    const before = last.results[index]!;
    const after = results[index]!;
    if (before === after) continue;
    if (!before.ok || !after.ok || swaps.size >= MAX_REUSED_CHANGES || !sameFiling(before.article, after.article)) return undefined;
    swaps.set(before.article, after.article);
  }
  // indexOf compares references without reading the articles: fast even over 100k.
  const swapped = (articles: readonly T[]) => {
    let copy: T[] | undefined;
    for (const [before, after] of swaps) {
      const index = articles.indexOf(before);
      if (index < 0) continue;
      copy ??= [...articles];
      copy[index] = after;
    }
    return copy ?? articles;
  };
  const publishable = swapped(last.selection.publishable);
  return {
    ...last,
    results,
    nowMs,
    selection: { ...last.selection, publishable, drafts: swapped(last.selection.drafts), scheduled: swapped(last.selection.scheduled) },
    collections: last.collections.map((collection) => {
      const articles = collection.path === ALL_TOPICS_PATH ? publishable : swapped(collection.articles);
      return articles === collection.articles ? collection : { ...collection, articles };
    }),
    // Nothing it records changed, and the last build stored it.
    tracked: { ...last.tracked, changed: false },
  };
}

/** Whether two articles are selected, ordered, grouped and tracked alike. */
function sameFiling(a: Filing, b: Filing): boolean {
  return (
    a.file === b.file &&
    a.published === b.published &&
    a.publishedDateTime.getTime() === b.publishedDateTime.getTime() &&
    a.id === b.id &&
    a.sourceUrl === b.sourceUrl &&
    a.category === b.category &&
    a.provider?.name === b.provider?.name &&
    a.provider?.domain === b.provider?.domain &&
    a.topics.length === b.topics.length &&
    a.topics.every((topic, index) => topic === b.topics[index])
  );
}
