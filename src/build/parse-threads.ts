import { availableParallelism } from 'node:os';
import { parseArticle, type ParseResult } from '../content/parse-article.js';
import type { Problem } from '../content/problems.js';
import { BUILD_YOUNG_GENERATION_MB, startWorker } from './start-thread.js';
import { readCandidate, type ContentCandidate, type ContentFile } from '../content/read-content.js';

export interface ParsedFile {
  readonly file: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly parsed: ParseResult;
}

export type ReadResult = ParsedFile | Problem | undefined;

/** Below this many files a helper thread costs more than it saves. */
const PARALLEL_THRESHOLD = 2000;

/** Files a thread claims at a time: small enough that all threads finish together. */
export const PARSE_CHUNK = 250;

/** What a helper thread is given (src/parse-worker.ts). */
export interface ParseWorkerData {
  readonly root: string;
  /** The candidates' relative paths, joined by NUL (one string clones faster than 100k objects). */
  readonly relatives: string;
  readonly symlinks: Uint8Array;
  readonly maxFileBytes: number;
  /** Shared claim counter: the next candidate index nobody has taken. */
  readonly next: Int32Array;
}

/** A helper's report: the results of the chunk that starts at `start`, or that it is done. */
export type ParseWorkerMessage = { readonly start: number; readonly results: readonly ReadResult[] } | { readonly done: true };

/** Reads and parses candidates [start, start + PARSE_CHUNK) claimed from `next` until none are left. */
export function parseClaimedChunks(
  root: string,
  candidates: readonly ContentCandidate[],
  maxFileBytes: number,
  next: Int32Array,
  onChunk: (start: number, results: ReadResult[]) => void,
): void {
  for (let start = Atomics.add(next, 0, PARSE_CHUNK); start < candidates.length; start = Atomics.add(next, 0, PARSE_CHUNK)) {
    const results: ReadResult[] = [];
    for (const candidate of candidates.slice(start, start + PARSE_CHUNK)) results.push(readAndParseFile(root, candidate, maxFileBytes));
    onChunk(start, results);
  }
}

function readAndParseFile(root: string, candidate: ContentCandidate, maxFileBytes: number): ReadResult {
  const read = readCandidate(root, candidate, maxFileBytes);
  return read === undefined || 'issues' in read ? read : parseContentFile(read);
}

/** A file read with its text, parsed. */
export function parseContentFile(read: ContentFile): ParsedFile {
  return { file: read.file, size: read.size, mtimeMs: read.mtimeMs, parsed: parseArticle(read.text ?? '', read.file) };
}

/**
 * Reads and parses every candidate, spreading the work over the machine's cores: this thread and
 * helper threads (src/parse-worker.ts) claim chunks from a shared counter until none are left, so
 * all finish together however fast each one is; helpers send each chunk as soon as it is done.
 * Results come back in candidate order. Used for cold builds; rebuilds parse only changed files.
 */
export async function readAndParseAll(root: string, candidates: readonly ContentCandidate[], maxFileBytes: number, threads = availableParallelism()): Promise<ReadResult[]> {
  const results: ReadResult[] = new Array(candidates.length);
  const store = (start: number, chunk: readonly ReadResult[]) => {
    for (let index = 0; index < chunk.length; index++) results[start + index] = chunk[index];
  };
  const next = new Int32Array(new SharedArrayBuffer(4));
  const helperCount = candidates.length < PARALLEL_THRESHOLD ? 0 : Math.max(0, threads - 1);
  const data: Omit<ParseWorkerData, 'next'> | undefined =
    helperCount > 0
      ? { root, relatives: candidates.map((candidate) => candidate.relative).join('\0'), symlinks: Uint8Array.from(candidates, (candidate) => (candidate.isSymlink ? 1 : 0)), maxFileBytes }
      : undefined;
  const helpers = Array.from({ length: helperCount }, () => {
    const worker = startWorker(import.meta.url, 'parse-thread-main', {
      workerData: { ...data!, next } satisfies ParseWorkerData,
      resourceLimits: { maxYoungGenerationSizeMb: BUILD_YOUNG_GENERATION_MB },
    });
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (message: ParseWorkerMessage) => {
        if ('done' in message) {
          resolve();
          void worker.terminate();
        } else {
          store(message.start, message.results);
        }
      });
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`parse worker exited with code ${code}`)));
    });
  });
  parseClaimedChunks(root, candidates, maxFileBytes, next, store);
  await Promise.all(helpers);
  return results;
}
