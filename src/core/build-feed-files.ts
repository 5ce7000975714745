import type { Article } from './article-schema.js';
import { trackDeletedEntries, type EntryState, EMPTY_ENTRY_STATE } from './deleted-entries.js';
import { ALL_TOPICS_PATH, collectFeeds, type FeedCollection } from './feed-collections.js';
import { materializeDocument, planFeedDocuments } from './feed-documents.js';
import { cachedEntry, createRenderCache, documentFingerprint, type RenderCache } from './render-cache.js';
import { entryId } from './select-articles.js';
import type { FeedFile } from './feed-formats.js';
import { renderIndexHtml, renderOpml } from './feed-index.js';
import type { FeedKind, FeedSite } from './feed-model.js';
import { parseArticle, type ParseResult } from './parse-article.js';
import type { Problem } from './problems.js';
import { renderFeedFiles } from './render-feeds.js';
import { renderBrowserFiles, renderFeedPage } from './browser-view.js';
import { selectPublishable } from './select-articles.js';

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
  const articles: Article[] = [];
  const problems: Problem[] = [];
  for (const source of sources) {
    const result = 'parsed' in source ? source.parsed : parseArticle(source.text, source.file);
    if (result.ok) articles.push(result.article);
    else problems.push(result.problem);
  }
  const selection = selectPublishable(articles, now);
  const { collections, problems: collectionProblems } = collectFeeds(selection.publishable);
  const { state, tombstones, changed: stateChanged, nextExpiry } = trackDeletedEntries(
    options.previousState ?? EMPTY_ENTRY_STATE,
    feedsByEntry(collections),
    now,
    options.deletedEntryDays ?? 30,
  );
  // A feed whose last article was deleted still exists while it announces the deletion, so its
  // subscribers learn of it (and then the feed goes, with the notice).
  const present = new Set(collections.map((collection) => collection.path));
  const emptied = [...tombstones.keys()].filter((path) => !present.has(path)).sort().map(emptyCollection);
  const plans = planFeedDocuments([...collections, ...emptied], site, { tombstones });
  const cache = options.renderCache ?? createRenderCache();
  const documents = new Map<string, { fingerprint: string; files: readonly FeedFile[] }>();
  let rendered = 0;
  for (const plan of plans) {
    const fingerprint = documentFingerprint(cache, plan);
    const previous = cache.documents.get(plan.document.path);
    if (previous?.fingerprint === fingerprint) {
      documents.set(plan.document.path, previous);
      continue;
    }
    const document = materializeDocument(plan, (article) => cachedEntry(cache, article));
    documents.set(plan.document.path, { fingerprint, files: [...renderFeedFiles(document), renderFeedPage(document)] });
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
  const nextScheduled = selection.scheduled.reduce<Date | undefined>(
    (next, article) => (next === undefined || article.publishedDateTime < next ? article.publishedDateTime : next),
    undefined,
  );
  return {
    files,
    counts: {
      published: selection.publishable.length,
      drafts: selection.drafts.length,
      scheduled: selection.scheduled.length,
      topics: collections.filter((collection) => collection.kind === 'topic').length,
      feeds: plans.filter((plan) => plan.document.archive === undefined).length,
      archivePages: plans.filter((plan) => plan.document.archive !== undefined).length,
      deleted: Object.values(state.entries).filter((entry) => entry.deletedAt !== undefined).length,
      rendered,
    },
    nextScheduled,
    problems: [...problems, ...selection.problems, ...collectionProblems],
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

/** For each published entry id, the collections (subscription feeds) it is in. */
function feedsByEntry(collections: readonly FeedCollection[]): Map<string, string[]> {
  // Per article object first (no string hashing), then keyed by id once per article.
  const byArticle = new Map<Article, string[]>();
  for (const collection of collections) {
    for (const article of collection.articles) {
      const list = byArticle.get(article);
      if (list) list.push(collection.path);
      else byArticle.set(article, [collection.path]);
    }
  }
  const feeds = new Map<string, string[]>();
  for (const [article, list] of byArticle) feeds.set(entryId(article), list);
  return feeds;
}
