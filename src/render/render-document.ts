/**
 * A document, written in one pass: its head, its entries' fragments (rendered once per article,
 * entry-fragments.ts) and its tail. The frames say what goes around and between the fragments;
 * the build fills them with its entries' stored bytes (fillFrameBytes, build/write-documents.ts),
 * tests and small callers join them in memory (renderDocumentFiles).
 */
import { EMPTY_PAGE, pageFrame } from './browser-view.js';
import type { EntryFragments } from './entry-fragments.js';
import { ATOM_TAIL, atomHead, jsonHead, RSS_TAIL, rssHead } from './feed-package-fixes.js';
import { BROWSER_FILES, FEED_FORMATS, feedFileName, type FeedFile } from './feed-formats.js';
import type { FrameSize } from '../feeds/feed-documents.js';
import type { FeedDocumentHead } from '../feeds/feed-model.js';

/** The four files of every document: the three feed formats and the HTML page. */
export const DOCUMENT_FORMATS = ['rss', 'atom', 'json', 'html'] as const;
export type DocumentFormat = (typeof DOCUMENT_FORMATS)[number];

/**
 * What surrounds a document's entries: `head` + `first` + entry + `between` + entry … + `last`,
 * or `head` + `empty` when it has none.
 */
export interface DocumentFrame {
  readonly name: string;
  readonly contentType: string;
  readonly head: string;
  readonly first: string;
  readonly between: string;
  readonly last: string;
  readonly empty: string;
}

/** The frames of one document's four files. */
export function documentFrames(document: FeedDocumentHead): Record<DocumentFormat, DocumentFrame> {
  const page = pageFrame(document);
  const xml = (format: 'rss' | 'atom', head: string, indent: string, tail: string): DocumentFrame => ({
    name: feedFileName(document.path, format),
    contentType: FEED_FORMATS[format].contentType,
    head,
    first: indent,
    between: indent,
    last: tail,
    empty: tail,
  });
  return {
    rss: xml('rss', rssHead(document), '\n    ', RSS_TAIL),
    atom: xml('atom', atomHead(document), '\n  ', ATOM_TAIL),
    json: {
      name: feedFileName(document.path, 'json'),
      contentType: FEED_FORMATS.json.contentType,
      head: jsonHead(document),
      first: '[\n    ',
      between: ',\n    ',
      last: '\n  ]\n}\n',
      empty: '[]\n}\n',
    },
    html: {
      name: `${document.path}.${BROWSER_FILES.html.extension}`,
      contentType: BROWSER_FILES.html.contentType,
      head: page.head,
      first: '',
      between: '\n',
      last: page.tail,
      empty: `${EMPTY_PAGE}${page.tail}`,
    },
  };
}

/**
 * The formats a byte budget (FEED_MAX_BYTES) applies to: the ones readers fetch and may refuse
 * when too large. The HTML page holds the same entries. The first three of DOCUMENT_FORMATS, so
 * an entry's stored lengths (build/entry-store.ts) begin with theirs.
 */
export const BUDGET_FORMATS = ['rss', 'atom', 'json'] as const;

/** The byte size of a document's frame in each of BUDGET_FORMATS, for the budget (feeds/feed-documents.ts). */
export function frameSizes(document: FeedDocumentHead): FrameSize[] {
  const frames = documentFrames(document);
  return BUDGET_FORMATS.map((format) => {
    const frame = frames[format];
    return {
      fixed: Buffer.byteLength(frame.head) + Buffer.byteLength(frame.first) + Buffer.byteLength(frame.last),
      between: Buffer.byteLength(frame.between),
    };
  });
}

/** A frame filled with entries, as one text. */
export function fillFrame(frame: DocumentFrame, entries: readonly string[]): string {
  return entries.length === 0 ? `${frame.head}${frame.empty}` : `${frame.head}${frame.first}${entries.join(frame.between)}${frame.last}`;
}

/** A frame filled with entries given as bytes (in document order), as one Buffer. */
export function fillFrameBytes(frame: DocumentFrame, entries: readonly Buffer[]): Buffer {
  if (entries.length === 0) return Buffer.from(`${frame.head}${frame.empty}`);
  const parts: Buffer[] = [Buffer.from(`${frame.head}${frame.first}`)];
  const between = Buffer.from(frame.between);
  entries.forEach((entry, index) => {
    if (index > 0) parts.push(between);
    parts.push(entry);
  });
  parts.push(Buffer.from(frame.last));
  return Buffer.concat(parts);
}

/** One document's four files in memory, from its entries' fragments (in document order). */
export function renderDocumentFiles(document: FeedDocumentHead, entries: readonly EntryFragments[]): FeedFile[] {
  const frames = documentFrames(document);
  return DOCUMENT_FORMATS.map((format) => ({
    name: frames[format].name,
    contentType: frames[format].contentType,
    body: fillFrame(
      frames[format],
      entries.map((entry) => entry[format]),
    ),
  }));
}
