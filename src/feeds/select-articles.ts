import type { Filing } from './article-record.js';
import type { Problem } from '../content/problems.js';
import { compareCodePoints } from './code-point-order.js';

/** The permanent id of an article's entry: its own `id` when it has one, else its sourceUrl. */
export function entryId(article: Pick<Filing, 'id' | 'sourceUrl'>): string {
  return article.id ?? article.sourceUrl;
}

export interface Selection<T extends Filing = Filing> {
  /** Articles to publish now, newest first. */
  readonly publishable: readonly T[];
  /** `published: false`: in no output at all. */
  readonly drafts: readonly T[];
  /** Dated after `now`: held back until the first build after their date. */
  readonly scheduled: readonly T[];
  /** Second and later articles claiming an entry id already taken. */
  readonly problems: readonly Problem[];
}

/**
 * Which of two articles claiming one entry id holds it: the one published first; of two published
 * in the same instant, the one whose file name (without its folder) is shorter; then the one whose
 * path sorts first. A reader must never see one id twice, and a file copied to start a new article
 * (its id or URL left unchanged, its date the new one, or left unchanged too) must not take the
 * id, and so the place in readers' lists, of the article it was copied from, which readers already
 * have. A copy's name is the original's and more (`one (copy).md`, `one - Copy.md`, `one copy.md`,
 * `Copy of one.md`), and sorts before it as often as not (a space before the `.`), which is why the
 * length comes first. The order depends on the files alone, so a build without STATE_DIR (a CI run
 * without its cache) chooses as one with it does.
 */
export function claimsBefore(a: Pick<Filing, 'publishedDateTime' | 'file'>, b: Pick<Filing, 'publishedDateTime' | 'file'>): boolean {
  const order = a.publishedDateTime.getTime() - b.publishedDateTime.getTime();
  if (order !== 0) return order < 0;
  const length = baseNameLength(a.file) - baseNameLength(b.file);
  return length < 0 || (length === 0 && compareCodePoints(a.file, b.file) < 0);
}

/** The length of a path's last part (`news/one.md` → 6). */
function baseNameLength(file: string): number {
  return file.length - file.lastIndexOf('/') - 1;
}

/**
 * Decides what a build at `now` publishes. When published articles share an entry id, the one
 * claimsBefore puts first wins and each other is reported. Reads each article once (input in
 * file order, the usual case, is not sorted again).
 */
export function selectPublishable<T extends Filing>(articles: readonly T[], now: Date): Selection<T> {
  const drafts: T[] = [];
  const scheduled: T[] = [];
  const byId = new Map<string, SortKey<T>>();
  const losers: T[] = [];
  const nowMs = now.getTime();
  let previousFile = '';
  for (const article of articles) {
    if (compareCodePoints(previousFile, article.file) > 0) {
      return selectPublishable([...articles].sort((a, b) => compareCodePoints(a.file, b.file)), now);
    }
    previousFile = article.file;
    if (!article.published) {
      drafts.push(article);
      continue;
    }
    const time = article.publishedDateTime.getTime();
    if (time > nowMs) {
      scheduled.push(article);
      continue;
    }
    const id = entryId(article);
    const holder = byId.get(id);
    if (holder === undefined) {
      byId.set(id, { time, id, article });
    } else if (claimsBefore(article, holder.article)) {
      losers.push(holder.article);
      byId.set(id, { time, id, article });
    } else {
      losers.push(article);
    }
  }
  losers.sort((a, b) => compareCodePoints(a.file, b.file));
  const problems = losers.map((article): Problem => {
    const winner = byId.get(entryId(article))!.article;
    return {
      code: 'DUPLICATE_ID',
      file: article.file,
      issues: [
        {
          path: article.id === undefined ? 'sourceUrl' : 'id',
          reason: 'duplicate_id',
          message: `gives the entry id ${entryId(article)}, which ${winner.file} already has; only ${winner.file} is published`,
        },
      ],
    };
  });
  return { publishable: sortedByKey([...byId.values()]), drafts, scheduled, problems };
}

interface SortKey<T> {
  readonly time: number;
  readonly id: string;
  readonly article: T;
}

/**
 * Newest first by publication; ties broken by entry id so the order never depends on file names.
 * Each article's date and id are read once, when its key is made (100k sort in milliseconds).
 */
/** `articles` in a feed's order (sortedByKey), as a new list. */
export function inFeedOrder<T extends Filing>(articles: readonly T[]): T[] {
  return sortedByKey(articles.map((article) => ({ time: article.publishedDateTime.getTime(), id: entryId(article), article })));
}

function sortedByKey<T>(keyed: SortKey<T>[]): T[] {
  keyed.sort((a, b) => b.time - a.time || compareCodePoints(a.id, b.id));
  return keyed.map((entry) => entry.article);
}
