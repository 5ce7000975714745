import type { Article } from '../content/article-schema.js';
import { trackDeletedEntries, type EntryState, EMPTY_ENTRY_STATE } from '../feeds/deleted-entries.js';
import { ALL_TOPICS_PATH, collectFeeds, type FeedCollection } from '../feeds/feed-collections.js';
import { planFeedDocuments } from '../feeds/feed-documents.js';
import { cachedFragments, createRenderCache, documentFingerprint, type RenderCache } from './render-cache.js';
import { renderDocumentFiles } from '../render/render-document.js';
import type { FeedFile } from '../render/feed-formats.js';
import { renderIndexHtml, renderOpml } from '../render/feed-index.js';
import type { FeedKind, FeedSite } from '../feeds/feed-model.js';
import { parseArticle, type ParseResult } from '../content/parse-article.js';
import type { Problem } from '../content/problems.js';
import { renderBrowserFiles } from '../render/browser-view.js';
import { selectPublishable, type Selection } from '../feeds/select-articles.js';

export interface SourceFile {
  /** Path relative to the content folder, with `/` separators. */
  readonly file: string;
  readonly text: string;
}

/** A source already parsed (by an earlier build, when the file has not changed since). */
export interface ParsedSource {
  readonly file: string;
  readonly parsed: ParseResult;
}

export interface FeedBuildOptions {
  /** What earlier builds published (for RFC 6721 deletion notices); none on a first build. */
  readonly previousState?: EntryState;
  /** How long a deleted entry is announced. */
  readonly deletedEntryDays?: number;
  /** Kept between builds by a long-running process: only changed documents are rendered. */
  readonly renderCache?: RenderCache;
}

export interface FeedBuild {
  readonly files: readonly FeedFile[];
  readonly counts: {
    /** Articles published in at least the all-topics feed. */
    readonly published: number;
    readonly drafts: number;
    readonly scheduled: number;
    readonly topics: number;
    /** Feeds (subscription documents: all topics, topics, providers, categories), three formats each. */
    readonly feeds: number;
    /** RFC 5005 archive pages, three formats each. */
    readonly archivePages: number;
    /** Entries announced as deleted. */
    readonly deleted: number;
    /** Documents rendered by this build (the others were unchanged and reused). */
    readonly rendered: number;
  };
  /** The next publication date of a held-back article, if any. */
  readonly nextScheduled?: Date;
  /** Files skipped and cross-file problems; the build publishes everything else. */
  readonly problems: readonly Problem[];
  /** To store for the next build. */
  readonly state: EntryState;
  /** False when `state` says what the previous state said (no need to store it again). */
  readonly stateChanged: boolean;
  /** When the first deletion notice expires (ms since the epoch), or Infinity. */
  readonly nextExpiry: number;
}

/**
 * The whole content → feeds transformation, pure: text in, files out. `now` decides which dated
 * articles are due and when a deletion was first seen; it never reaches the output otherwise.
 */
export function buildFeedFiles(
  sources: readonly (SourceFile | ParsedSource)[],
  site: FeedSite,
  now: Date,
  options: FeedBuildOptions = {},
): FeedBuild {
  const results = sources.map((source) => ('parsed' in source ? source.parsed : parseArticle(source.text, source.file)));
  const cache = options.renderCache ?? createRenderCache();
  const previousState = options.previousState ?? EMPTY_ENTRY_STATE;
  const deletedEntryDays = options.deletedEntryDays ?? 30;
  const model = reuseModel(cache.model, results, now, previousState, deletedEntryDays) ?? makeModel(results, now, previousState, deletedEntryDays);
  cache.model = model;
  const { problems, selection, collections, tracked } = model;
  const { state, tombstones, changed: stateChanged, nextExpiry, deleted } = tracked;
  // A feed whose last article was deleted still exists while it announces the deletion, so its
  // subscribers learn of it (and then the feed goes, with the notice).
  const present = new Set(collections.map((collection) => collection.path));
  const emptied = [...tombstones.keys()].filter((path) => !present.has(path)).sort().map(emptyCollection);
  const plans = planFeedDocuments([...collections, ...emptied], site, { tombstones });
  const documents = new Map<string, { fingerprint: string; files: readonly FeedFile[] }>();
  let rendered = 0;
  for (const plan of plans) {
    const fingerprint = documentFingerprint(cache, plan);
    const previous = cache.documents.get(plan.document.path);
    if (previous?.fingerprint === fingerprint) {
      documents.set(plan.document.path, previous);
      continue;
    }
    const files = renderDocumentFiles(plan.document, plan.articles.map((article) => cachedFragments(cache, article)));
    documents.set(plan.document.path, { fingerprint, files });
    rendered++;
  }
  cache.documents = documents;
  const metadata = plans.map((plan) => ({ ...plan.document, entryCount: plan.articles.length }));
  const files = [
    ...[...documents.values()].flatMap((document) => document.files),
    ...renderBrowserFiles(),
    renderOpml(metadata, site),
    renderIndexHtml(metadata, site),
  ];
  const { nextScheduled } = model;
  return {
    files,
    counts: {
      published: selection.publishable.length,
      drafts: selection.drafts.length,
      scheduled: selection.scheduled.length,
      topics: collections.filter((collection) => collection.kind === 'topic').length,
      feeds: plans.filter((plan) => plan.document.archive === undefined).length,
      archivePages: plans.filter((plan) => plan.document.archive !== undefined).length,
      deleted,
      rendered,
    },
    nextScheduled,
    problems,
    state,
    stateChanged,
    nextExpiry,
  };
}

/** A collection with no articles left, named from its path (`providers/x.com` → x.com). */
function emptyCollection(path: string): FeedCollection {
  const [first, ...rest] = path.split('/');
  const kind: FeedKind = path === ALL_TOPICS_PATH ? 'all' : first === 'providers' ? 'provider' : first === 'categories' ? 'category' : 'topic';
  return { path, kind, name: rest.length ? rest.join('/') : first ?? path, articles: [] };
}

/**
 * What selection, grouping and deletion tracking made of a build's parse results: everything
 * before the documents are planned. A long-running process keeps the last one (RenderCache.model).
 */
export interface ContentModel {
  readonly results: readonly ParseResult[];
  readonly nowMs: number;
  /** The first instant at which the model may be wrong without any file changing. */
  readonly validUntil: number;
  readonly deletedEntryDays: number;
  /** Parse problems, then duplicate ids, then topic slug collisions. */
  readonly problems: readonly Problem[];
  readonly selection: Selection;
  readonly collections: readonly FeedCollection[];
  readonly tracked: ReturnType<typeof trackDeletedEntries>;
  readonly nextScheduled: Date | undefined;
}

function makeModel(results: readonly ParseResult[], now: Date, previousState: EntryState, deletedEntryDays: number): ContentModel {
  const articles: Article[] = [];
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
  return {
    results,
    nowMs: now.getTime(),
    validUntil: Math.min(nextScheduled?.getTime() ?? Number.POSITIVE_INFINITY, tracked.nextExpiry),
    deletedEntryDays,
    problems: [...parseProblems, ...selection.problems, ...collected.problems],
    selection,
    collections: collected.collections,
    tracked,
    nextScheduled,
  };
}

/** More changed files than this and the model is made afresh (it takes a few hundred ms at 100k). */
const MAX_REUSED_CHANGES = 64;

/**
 * The last model with edited articles swapped in, when that is exactly what makeModel would
 * give: the same files in the same order, nothing come due since, and each changed file still a
 * valid article that differs only in what no selection, grouping or deletion notice looks at
 * (title, excerpt, body, images, links…), which is the usual edit. Otherwise undefined.
 */
function reuseModel(last: ContentModel | undefined, results: readonly ParseResult[], now: Date, previousState: EntryState, deletedEntryDays: number): ContentModel | undefined {
  if (!last || last.results.length !== results.length || previousState !== last.tracked.state || deletedEntryDays !== last.deletedEntryDays) return undefined;
  const nowMs = now.getTime();
  if (nowMs < last.nowMs || nowMs >= last.validUntil) return undefined;
  const swaps = new Map<Article, Article>();
  for (let index = 0; index < results.length; index++) {
    const before = last.results[index]!;
    const after = results[index]!;
    if (before === after) continue;
    if (!before.ok || !after.ok || swaps.size >= MAX_REUSED_CHANGES || !sameFiling(before.article, after.article)) return undefined;
    swaps.set(before.article, after.article);
  }
  // indexOf compares references without reading the articles: fast even over 100k.
  const swapped = (articles: readonly Article[]) => {
    let copy: Article[] | undefined;
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
function sameFiling(a: Article, b: Article): boolean {
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
