/**
 * Reading, parsing and rendering content files, spread over the machine's cores: the calling
 * thread and helper threads (parse-thread-main.ts) claim chunks of the files from a shared counter
 * until none are left, so all finish together however fast each one is; helpers send each chunk
 * as soon as it is done. Results come back in file order. What crosses a thread boundary is small:
 * a file's stat, key and ArticleRecord (or Problem), and where its rendered entry was stored;
 * never its text.
 */
import { availableParallelism } from 'node:os';
import { setImmediate } from 'node:timers/promises';
import { parseArticle } from '../content/parse-article.js';
import type { Problem } from '../content/problems.js';
import { readCandidate, type ContentCandidate, type ContentFile, type FileStat } from '../content/read-content.js';
import { toArticleRecord, type ArticleRecord } from '../feeds/article-record.js';
import type { FileOutcome } from '../feeds/content-model.js';
import { renderEntryFragments } from '../render/entry-fragments.js';
import { toFeedEntry } from '../render/feed-entry.js';
import { SegmentWriter, type EntryLocation } from './entry-store.js';
import { BUILD_YOUNG_GENERATION_MB, startThread } from './start-thread.js';

/** A file read and, unless its key was known, parsed (and its entry rendered, if asked). */
export interface ReadFile {
  readonly file: string;
  readonly stat: FileStat;
  readonly key: string;
  /** Absent when the key was among the known ones: the caller has its outcome. */
  readonly outcome?: FileOutcome<ArticleRecord>;
  /** Where its rendered entry was stored, when entries were rendered. */
  readonly entry?: EntryLocation;
}

/**
 * A file's result: read (and parsed), a Problem (unreadable, too large, not Markdown…), undefined
 * (a link to a folder), or `gone` (listed, but not there when read).
 */
export type ReadResult = ReadFile | Problem | 'gone' | undefined;

/** Content keys, as a set or a map has them. */
export type KnownKeys = Pick<ReadonlySet<string>, 'has' | 'keys'>;

/** Reading every file of a content folder, or some of them. */
export interface ReadJob {
  readonly root: string;
  /** Where this service's feeds are (PUBLIC_BASE_URL): entries link their provider's feed. */
  readonly baseUrl: string;
  readonly candidates: readonly ContentCandidate[];
  readonly maxFileBytes: number;
  /**
   * Content keys whose outcome the caller has: a file with one of these is read and hashed only.
   * A set, or the caller's map by key (no set of its keys made for a scan that reads one file of a million).
   */
  readonly knownKeys?: KnownKeys;
  /** Render each published article's entry as it is parsed, into segments in this folder. */
  readonly entriesDir?: string;
  /** The segment this thread appends to (default: a new one in entriesDir); helpers start their own. */
  readonly writer?: SegmentWriter;
  /** Told how many candidates have their results, each time a chunk's come in (from any thread). */
  readonly onProgress?: (read: number, total: number) => void;
  /**
   * Aborted: no thread claims another chunk, and the reading ends once the chunks under way are
   * done. Seen between this thread's chunks when helpers share the work (a smaller job is read whole).
   */
  readonly stop?: AbortSignal;
}

/** Below this many files a helper thread costs more than it saves. */
const PARALLEL_THRESHOLD = 2000;

/** Files a thread claims at a time: small enough that all threads finish together. */
export const PARSE_CHUNK = 250;

/** What a helper thread is given (parse-thread-main.ts). */
export interface ParseThreadData {
  readonly root: string;
  readonly baseUrl: string;
  /** The candidates' relative paths, joined by NUL (one string clones faster than 100k objects). */
  readonly relatives: string;
  readonly symlinks: Uint8Array;
  readonly maxFileBytes: number;
  /** The known keys, joined by NUL. */
  readonly knownKeys: string;
  readonly entriesDir?: string;
  /** Shared claim counter: the next candidate index nobody has taken. */
  readonly next: Int32Array;
}

/** A helper's report: the results of the chunk that starts at `start`, or that it is done. */
export type ParseThreadMessage = { readonly start: number; readonly results: readonly ReadResult[] } | { readonly done: true };

/** A file read whole, parsed, and (given a writer) its entry rendered and stored. */
export function parseContentFile(read: ContentFile, baseUrl: string, writer?: SegmentWriter): ReadFile {
  const parsed = parseArticle(read.text, read.file);
  if (!parsed.ok) return { file: read.file, stat: read.stat, key: read.key, outcome: parsed };
  const outcome = { ok: true as const, article: toArticleRecord(parsed.article, read.key) };
  // Drafts never reach a document; every other article may (archives hold them all).
  const entry = writer && parsed.article.published ? writer.append(renderEntryFragments(toFeedEntry(parsed.article, baseUrl))) : undefined;
  return { file: read.file, stat: read.stat, key: read.key, outcome, ...(entry ? { entry } : {}) };
}

function readAndParseFile(job: Pick<ReadJob, 'root' | 'baseUrl' | 'maxFileBytes' | 'writer'>, candidate: ContentCandidate, knownKeys: KnownKeys): ReadResult {
  const read = readCandidate(job.root, candidate, job.maxFileBytes);
  if (read === undefined || read === 'gone' || 'issues' in read) return read;
  if (knownKeys.has(read.key)) return { file: read.file, stat: read.stat, key: read.key };
  return parseContentFile(read, job.baseUrl, job.writer);
}

/**
 * Reads candidates [start, start + PARSE_CHUNK) claimed from `next` until none are left, giving
 * each chunk's results as they are done.
 */
export function* parseClaimedChunks(job: Omit<ReadJob, 'entriesDir'>, next: Int32Array): Generator<{ readonly start: number; readonly results: ReadResult[] }> {
  const { candidates, writer } = job;
  const knownKeys = job.knownKeys ?? new Set<string>();
  for (let start = Atomics.add(next, 0, PARSE_CHUNK); start < candidates.length; start = Atomics.add(next, 0, PARSE_CHUNK)) {
    const results: ReadResult[] = [];
    for (const candidate of candidates.slice(start, start + PARSE_CHUNK)) results.push(readAndParseFile(job, candidate, knownKeys));
    writer?.flush();
    yield { start, results };
  }
}

/**
 * Reads and parses every candidate of `job`, on this thread and `threads - 1` helpers. Results
 * come back in candidate order. Stopped (`job.stop`), they are those of the candidates before the
 * first one no thread had claimed: chunks are claimed in order, and each one claimed is finished,
 * so the array is shorter than the candidates and whole up to its length.
 */
export async function readAndParseAll(job: ReadJob, threads = availableParallelism()): Promise<ReadResult[]> {
  const { candidates } = job;
  const results: ReadResult[] = new Array(candidates.length);
  let read = 0;
  const store = (start: number, chunk: readonly ReadResult[]) => {
    for (let index = 0; index < chunk.length; index++) results[start + index] = chunk[index];
    read += chunk.length;
    job.onProgress?.(read, candidates.length);
  };
  const next = new Int32Array(new SharedArrayBuffer(4));
  const helperCount = candidates.length < PARALLEL_THRESHOLD ? 0 : Math.max(0, threads - 1);
  const data: Omit<ParseThreadData, 'next'> | undefined =
    helperCount > 0
      ? {
          root: job.root,
          baseUrl: job.baseUrl,
          relatives: candidates.map((candidate) => candidate.relative).join('\0'),
          symlinks: Uint8Array.from(candidates, (candidate) => (candidate.isSymlink ? 1 : 0)),
          maxFileBytes: job.maxFileBytes,
          knownKeys: [...(job.knownKeys?.keys() ?? [])].join('\0'),
          entriesDir: job.entriesDir,
        }
      : undefined;
  const helpers = Array.from({ length: helperCount }, () => {
    const thread = startThread(import.meta.url, 'parse-thread-main', {
      workerData: { ...data!, next } satisfies ParseThreadData,
      resourceLimits: { maxYoungGenerationSizeMb: BUILD_YOUNG_GENERATION_MB },
    });
    return new Promise<void>((resolve, reject) => {
      thread.on('message', (message: ParseThreadMessage) => {
        if ('done' in message) {
          // Nothing of this build is held by the thread's listeners once it is done.
          thread.removeAllListeners();
          resolve();
          void thread.terminate();
        } else {
          store(message.start, message.results);
        }
      });
      thread.once('error', reject);
      thread.once('exit', (code) => reject(new Error(`parse thread exited with code ${code}`)));
    });
  });
  const ownWriter = job.entriesDir === undefined || job.writer ? undefined : new SegmentWriter(job.entriesDir);
  const writer = job.writer ?? ownWriter;
  let unclaimed = candidates.length;
  try {
    for (const { start, results: chunk } of parseClaimedChunks({ ...job, writer }, next)) {
      store(start, chunk);
      // Takes in the helpers' chunks as they come. Left queued until this thread's share was
      // done, half a million results (at a million articles) waited as messages and then landed
      // on the heap together: the scan's peak RSS was 4.0 GB that way, 3.1 GB this way.
      if (helperCount > 0) await setImmediate();
      // Every claim from now on finds nothing left; the claims made so far are a prefix.
      if (job.stop?.aborted && unclaimed === candidates.length) unclaimed = Math.min(candidates.length, Atomics.exchange(next, 0, candidates.length));
    }
  } finally {
    ownWriter?.close();
    job.writer?.flush();
  }
  await Promise.all(helpers);
  results.length = unclaimed;
  return results;
}
