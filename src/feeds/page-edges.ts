/**
 * Where the whole archive pages of each feed end, kept between builds (build/page-state.ts), so
 * that pages are cut along the same edges when an archived article goes (feed-documents.ts).
 * Ids, dates and digests of content keys only: no text of an article.
 */
import { compareCodePoints } from './code-point-order.js';
import type { Filing } from './article-record.js';
import { entryId } from './select-articles.js';

/**
 * Where a whole archive page ends: the sort key (date, then entry id) of the newest article it
 * held when it was cut. The page holds the articles after the previous page's edge up to this
 * one, whichever of them are still published.
 */
export interface PageEdge {
  readonly time: number;
  readonly id: string;
  /**
   * A digest of the articles the page held when it was last found to fit (DocumentSizes.pageDigest:
   * their content keys, in order), under the book's stamp. A kept page that holds articles of the
   * same digest fits again without its entries being measured (a new process, which has no plans
   * of last time). Absent: the page is measured.
   */
  readonly digest?: string;
}

/** The page edges of every collection path (page 1's first), and whether planning changed any. */
export interface PageEdgeBook {
  readonly byPath: Map<string, readonly PageEdge[]>;
  changed: boolean;
}

/** The settings pages are cut by: edges recorded under other ones are not used. */
export interface PageSettings {
  readonly maxItems: number;
  readonly maxBytes: number;
  /**
   * The code and configuration the pages' digests were made under (what an entry's bytes, and so
   * its size, depend on besides its content): digests recorded under another stamp are dropped,
   * the edges kept.
   */
  readonly stamp?: string;
}

/** Whether `article` sorts at or after `edge` in a feed's newest-first order (is on that page or an older one). */
export function isAtOrOlder(article: Filing, edge: PageEdge): boolean {
  const time = article.publishedDateTime.getTime();
  return time !== edge.time ? time < edge.time : compareCodePoints(entryId(article), edge.id) >= 0;
}

/** The edge of a page whose newest article is `article`. */
export function edgeOf(article: Filing): PageEdge {
  return { time: article.publishedDateTime.getTime(), id: entryId(article) };
}

/**
 * Whether two feeds' edges are the same, time and id. A page cut along its kept edge keeps that
 * very object, so most are told by identity: at a million articles a one-file build compares the
 * edges of every page of the feeds it changed (20 000 of the all-topics feed alone), and
 * comparing each one's fields took 36 ms of a 200 ms build.
 */
export function sameEdges(a: readonly PageEdge[], b: readonly PageEdge[]): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) {
    const edge = a[index]!;
    const other = b[index]!;
    if (edge !== other && (edge.time !== other.time || edge.id !== other.id)) return false;
  }
  return true;
}

/** Whether `after` (the same edges as `before`) gives a digest to an edge that had none: worth writing down once. */
export function digestsAdded(before: readonly PageEdge[], after: readonly PageEdge[]): boolean {
  for (let index = 0; index < after.length; index++) {
    const edge = after[index]!;
    if (edge !== before[index] && edge.digest !== undefined && before[index]?.digest === undefined) return true;
  }
  return false;
}

/** `b` is newer than `a`: later in time, or the same time and an id that sorts first. */
function isNewer(a: PageEdge, b: PageEdge): boolean {
  return b.time !== a.time ? b.time > a.time : compareCodePoints(b.id, a.id) < 0;
}

/** The book as stored: JSON, one feed per line. */
export function serializePageEdges(book: PageEdgeBook, settings: PageSettings): string {
  // A row is [time, id] or [time, id, digest]: a reader that knows only the first two ignores the third.
  const row = (edge: PageEdge) => (edge.digest === undefined ? [edge.time, edge.id] : [edge.time, edge.id, edge.digest]);
  const lines = [...book.byPath].map(([feed, edges]) => `${JSON.stringify(feed)}:${JSON.stringify(edges.map(row))}`);
  const stamp = settings.stamp === undefined ? '' : `"stamp":${JSON.stringify(settings.stamp)},`;
  return `{"version":1,"maxItems":${settings.maxItems},"maxBytes":${settings.maxBytes},${stamp}"feeds":{\n${lines.join(',\n')}\n}}\n`;
}

export type ParsedPageEdges = { readonly book: PageEdgeBook } & (
  | { readonly kind: 'read' }
  /** Recorded under other settings: pages are cut afresh. */
  | { readonly kind: 'other settings'; readonly recorded: PageSettings }
  /** Not JSON of this shape (a damaged file): pages are cut afresh. */
  | { readonly kind: 'unreadable'; readonly reason: string }
);

/**
 * The book stored in `text`. A feed whose edges are not in order (newer page by page) is left
 * out, so its pages are cut afresh; anything else that is not as written gives an empty book.
 */
export function parsePageEdges(text: string, settings: PageSettings): ParsedPageEdges {
  const empty = (): PageEdgeBook => ({ byPath: new Map(), changed: true });
  let parsed: { version?: unknown; maxItems?: unknown; maxBytes?: unknown; stamp?: unknown; feeds?: unknown };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch (error) {
    return { kind: 'unreadable', reason: error instanceof Error ? error.message : String(error), book: empty() };
  }
  if (parsed === null || typeof parsed !== 'object' || parsed.version !== 1 || typeof parsed.feeds !== 'object' || parsed.feeds === null) {
    return { kind: 'unreadable', reason: 'not a page-edge file of version 1', book: empty() };
  }
  if (parsed.maxItems !== settings.maxItems || parsed.maxBytes !== settings.maxBytes) {
    return { kind: 'other settings', recorded: { maxItems: Number(parsed.maxItems), maxBytes: Number(parsed.maxBytes) }, book: empty() };
  }
  const byPath = new Map<string, readonly PageEdge[]>();
  let changed = false;
  const digestsValid = settings.stamp !== undefined && parsed.stamp === settings.stamp;
  for (const [feed, rows] of Object.entries(parsed.feeds as Record<string, unknown>)) {
    const edges: PageEdge[] = [];
    let inOrder = Array.isArray(rows);
    for (const row of inOrder ? (rows as unknown[]) : []) {
      if (!Array.isArray(row) || typeof row[0] !== 'number' || !Number.isFinite(row[0]) || typeof row[1] !== 'string') {
        inOrder = false;
        break;
      }
      const edge: PageEdge = digestsValid && typeof row[2] === 'string' ? { time: row[0], id: row[1], digest: row[2] } : { time: row[0], id: row[1] };
      if (edges.length > 0 && !isNewer(edges.at(-1)!, edge)) {
        inOrder = false;
        break;
      }
      edges.push(edge);
    }
    if (inOrder && edges.length > 0) byPath.set(feed, edges);
    else changed = true;
  }
  return { kind: 'read', book: { byPath, changed } };
}
