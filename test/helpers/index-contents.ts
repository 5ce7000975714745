/**
 * Synthetic contents of the build cache's index (cache-index.ts): thousands of scanned files, an
 * entry for each and the documents of a few hundred feeds, made without parsing any article, so
 * that an index has many lines.
 */
import type { ScannedFile } from '../../src/build/build-cache.js';
import type { IndexContents } from '../../src/build/cache-index.js';
import type { EntryLocation } from '../../src/build/entry-store.js';

export const INDEX_FILES = 20_000;

/** File `number`'s name: names sort in the order of their numbers. */
export const nameOf = (number: number, suffix = '') => `topic-${String(number % 7)}/article-${String(number).padStart(6, '0')}${suffix}.md`;

/** A scanned file whose bytes hash to `key`: a published article, a draft, or a skipped file, by its number. */
export function scannedFile(file: string, number: number, key: string): ScannedFile {
  const stat = { size: 2000 + number, mtimeMs: 1_733_600_000_000 + number * 1.5, ctimeMs: 1_733_600_000_000 + number * 1.5, ino: 50_000 + number };
  if (number % 50 === 7) return { file, stat, checkedAt: 1_733_700_000_000, key, outcome: { ok: false, problem: { code: 'ARTICLE_INVALID', file, issues: [{ path: 'title', reason: 'required', message: 'title is required' }] } } };
  const article =
    number % 20 === 3
      ? { file, key, id: undefined, sourceUrl: '', published: false, publishedDateTime: new Date(0), updatedDateTime: undefined, topics: [], provider: undefined, category: undefined }
      : {
          file,
          key,
          id: `id-${number}`,
          sourceUrl: `https://news.example/${number}?a=1&b="2"`,
          published: true,
          publishedDateTime: new Date(Date.UTC(2024, 0, 1) + number * 60_000),
          updatedDateTime: number % 3 === 0 ? new Date(Date.UTC(2024, 6, 1) + number * 1000) : undefined,
          topics: [`topic ${number % 7}`, 'société'],
          provider: number % 2 ? { name: `Provider ${number % 11}`, domain: `p${number % 11}.example` } : { name: 'Solo' },
          category: number % 5 ? `category-${number % 5}` : undefined,
        };
  return { file, stat, checkedAt: 1_733_700_000_000, key, outcome: { ok: true, article } };
}

export const entryAt = (number: number): EntryLocation => ({ segment: `entries-${number % 3}.bin`, offset: number * 1000, lengths: [100 + (number % 9), 120, 140, 90], digest: `d${number.toString(16).padStart(15, '0')}` });

/** An index's contents: INDEX_FILES files, an entry for each, and 8 000 documents. */
export function indexContents(): IndexContents & { entries: [string, EntryLocation][]; documents: [string, string][] } {
  const files = Array.from({ length: INDEX_FILES }, (_, number) => scannedFile(nameOf(number), number, `key-${number}`));
  const entries = files.map((file, number): [string, EntryLocation] => [file.key, entryAt(number)]);
  const documents = Array.from({ length: 8000 }, (_, number): [string, string] => [`feeds/${number % 40}/archive/${number}.xml`, `print-${number}`]);
  return { files, entries, documents, lastBuild: undefined };
}
