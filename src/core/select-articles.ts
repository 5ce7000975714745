import type { Article } from './article-schema.js';
import type { Problem } from './problems.js';
import { compareCodePoints } from './topics.js';

/** The permanent id of an article's entry: its own `id` when it has one, else its sourceUrl. */
export function entryId(article: Pick<Article, 'id' | 'sourceUrl'>): string {
  return article.id ?? article.sourceUrl;
}

/** Newest first by publication; ties broken by entry id so the order never depends on file names. */
export function compareNewestFirst(a: Article, b: Article): number {
  return b.publishedDateTime.getTime() - a.publishedDateTime.getTime() || compareCodePoints(entryId(a), entryId(b));
}

export interface Selection {
  /** Articles to publish now, newest first. */
  readonly publishable: readonly Article[];
  /** `published: false`: in no output at all. */
  readonly drafts: readonly Article[];
  /** Dated after `now`: held back until the first build after their date. */
  readonly scheduled: readonly Article[];
  /** Second and later articles claiming an entry id already taken. */
  readonly problems: readonly Problem[];
}

/**
 * Decides what a build at `now` publishes. When two published articles share an entry id, the one
 * whose file sorts first wins and the other is reported: a reader must never see one id twice.
 */
export function selectPublishable(articles: readonly Article[], now: Date): Selection {
  const drafts: Article[] = [];
  const scheduled: Article[] = [];
  const byId = new Map<string, Article>();
  const problems: Problem[] = [];
  for (const article of [...articles].sort((a, b) => compareCodePoints(a.file, b.file))) {
    if (!article.published) {
      drafts.push(article);
    } else if (article.publishedDateTime.getTime() > now.getTime()) {
      scheduled.push(article);
    } else {
      const id = entryId(article);
      const first = byId.get(id);
      if (first) {
        problems.push({
          code: 'DUPLICATE_ID',
          file: article.file,
          issues: [
            {
              path: article.id === undefined ? 'sourceUrl' : 'id',
              reason: 'duplicate_id',
              message: `gives the entry id ${id}, which ${first.file} already has; only ${first.file} is published`,
            },
          ],
        });
      } else {
        byId.set(id, article);
      }
    }
  }
  return { publishable: [...byId.values()].sort(compareNewestFirst), drafts, scheduled, problems };
}
