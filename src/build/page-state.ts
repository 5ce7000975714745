/**
 * The page edges on disk (STATE_DIR/pages.json): where the whole archive pages of each feed end
 * (feeds/page-edges.ts), and each page's digest. Written whole when a build changes the edges (a
 * page made whole, or pages cut afresh) or first gives them digests; at a million articles about a
 * hundred thousand edges, a few megabytes.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parsePageEdges, serializePageEdges, type PageEdgeBook, type PageSettings } from '../feeds/page-edges.js';
import type { Logger } from '../logger.js';
import { ReversibleWrites } from './reversible-writes.js';

const PAGES_FILE = 'pages.json';

/**
 * The edges earlier builds recorded; none (pages cut afresh, the file written by this build) when
 * the file is missing, damaged or recorded under other page settings, with one log line for the
 * last two.
 */
export function readPageEdges(stateDir: string, settings: PageSettings, logger: Logger): PageEdgeBook {
  const file = path.join(stateDir, PAGES_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { byPath: new Map(), changed: false };
  }
  const parsed = parsePageEdges(text, settings);
  if (parsed.kind === 'unreadable') {
    logger.warn(`${file} is unreadable (${parsed.reason}): archive pages are cut afresh, and pages after a removed article may change`, { file });
  } else if (parsed.kind === 'other settings') {
    logger.info(`${file} was recorded with FEED_MAX_ITEMS=${parsed.recorded.maxItems} and FEED_MAX_BYTES=${parsed.recorded.maxBytes}: archive pages are cut afresh for the new settings`, { file });
  }
  return parsed.book;
}

/** Stores `book`, whole or not at all (a failure leaves the old file as it was). */
export function writePageEdges(stateDir: string, book: PageEdgeBook, settings: PageSettings): void {
  ReversibleWrites.writeTogether(stateDir, (writes) => {
    writes.makeFolder(stateDir);
    writes.stage(PAGES_FILE, Buffer.from(serializePageEdges(book, settings)));
  });
  book.changed = false;
}
