import type { Article } from './article-schema.js';
import { buildFeedDocuments } from './feed-documents.js';
import type { FeedFile } from './feed-formats.js';
import { renderIndexHtml, renderOpml } from './feed-index.js';
import type { FeedSite } from './feed-model.js';
import { parseArticle } from './parse-article.js';
import type { Problem } from './problems.js';
import { renderFeedFiles } from './render-feeds.js';
import { selectPublishable } from './select-articles.js';
import { groupByTopic } from './topics.js';

export interface SourceFile {
  /** Path relative to the content folder, with `/` separators. */
  readonly file: string;
  readonly text: string;
}

export interface FeedBuild {
  readonly files: readonly FeedFile[];
  readonly counts: {
    /** Articles published in at least the all-topics feed. */
    readonly published: number;
    readonly drafts: number;
    readonly scheduled: number;
    readonly topics: number;
    /** Feeds (topic and all-topics), each in three formats. */
    readonly feeds: number;
  };
  /** The next publication date of a held-back article, if any. */
  readonly nextScheduled?: Date;
  /** Files skipped and cross-file problems; the build publishes everything else. */
  readonly problems: readonly Problem[];
}

/**
 * The whole content → feeds transformation, pure: text in, files out. `now` decides which dated
 * articles are due; it is the only time input and never reaches the output.
 */
export function buildFeedFiles(sources: readonly SourceFile[], site: FeedSite, now: Date): FeedBuild {
  const articles: Article[] = [];
  const problems: Problem[] = [];
  for (const source of sources) {
    const result = parseArticle(source.text, source.file);
    if (result.ok) articles.push(result.article);
    else problems.push(result.problem);
  }
  const selection = selectPublishable(articles, now);
  const grouping = groupByTopic(selection.publishable);
  const documents = buildFeedDocuments(selection.publishable, grouping.topics, site);
  const files = [...documents.flatMap(renderFeedFiles), renderOpml(documents, site), renderIndexHtml(documents, site)];
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
      topics: grouping.topics.length,
      feeds: documents.length,
    },
    nextScheduled,
    problems: [...problems, ...selection.problems, ...grouping.problems],
  };
}
