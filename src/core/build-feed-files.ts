import type { Article } from './article-schema.js';
import { trackDeletedEntries, type EntryState, EMPTY_ENTRY_STATE } from './deleted-entries.js';
import { collectFeeds, type FeedCollection } from './feed-collections.js';
import { buildFeedDocuments } from './feed-documents.js';
import { entryId } from './select-articles.js';
import type { FeedFile } from './feed-formats.js';
import { renderIndexHtml, renderOpml } from './feed-index.js';
import type { FeedSite } from './feed-model.js';
import { parseArticle } from './parse-article.js';
import type { Problem } from './problems.js';
import { renderFeedFiles } from './render-feeds.js';
import { renderBrowserFiles, renderFeedPage } from './browser-view.js';
import { selectPublishable } from './select-articles.js';

export interface SourceFile {
  /** Path relative to the content folder, with `/` separators. */
  readonly file: string;
  readonly text: string;
}

export interface FeedBuildOptions {
  /** What earlier builds published (for RFC 6721 deletion notices); none on a first build. */
  readonly previousState?: EntryState;
  /** How long a deleted entry is announced. */
  readonly deletedEntryDays?: number;
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
  };
  /** The next publication date of a held-back article, if any. */
  readonly nextScheduled?: Date;
  /** Files skipped and cross-file problems; the build publishes everything else. */
  readonly problems: readonly Problem[];
  /** To store for the next build. */
  readonly state: EntryState;
}

/**
 * The whole content → feeds transformation, pure: text in, files out. `now` decides which dated
 * articles are due and when a deletion was first seen; it never reaches the output otherwise.
 */
export function buildFeedFiles(sources: readonly SourceFile[], site: FeedSite, now: Date, options: FeedBuildOptions = {}): FeedBuild {
  const articles: Article[] = [];
  const problems: Problem[] = [];
  for (const source of sources) {
    const result = parseArticle(source.text, source.file);
    if (result.ok) articles.push(result.article);
    else problems.push(result.problem);
  }
  const selection = selectPublishable(articles, now);
  const { collections, problems: collectionProblems } = collectFeeds(selection.publishable);
  const { state, tombstones } = trackDeletedEntries(
    options.previousState ?? EMPTY_ENTRY_STATE,
    feedsByEntry(collections),
    now,
    options.deletedEntryDays ?? 30,
  );
  const documents = buildFeedDocuments(collections, site, { tombstones });
  const files = [
    ...documents.flatMap((document) => [...renderFeedFiles(document), renderFeedPage(document)]),
    ...renderBrowserFiles(),
    renderOpml(documents, site),
    renderIndexHtml(documents, site),
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
      feeds: documents.filter((document) => document.archive === undefined).length,
      archivePages: documents.filter((document) => document.archive !== undefined).length,
      deleted: Object.values(state.entries).filter((entry) => entry.deletedAt !== undefined).length,
    },
    nextScheduled,
    problems: [...problems, ...selection.problems, ...collectionProblems],
    state,
  };
}

/** For each published entry id, the collections (subscription feeds) it is in. */
function feedsByEntry(collections: readonly FeedCollection[]): Map<string, string[]> {
  const feeds = new Map<string, string[]>();
  for (const collection of collections) {
    for (const article of collection.articles) {
      const id = entryId(article);
      const list = feeds.get(id) ?? [];
      list.push(collection.path);
      feeds.set(id, list);
    }
  }
  return feeds;
}
