import { availableParallelism } from 'node:os';
import { parseArticle, type ParseResult } from '../core/parse-article.js';
import type { Problem } from '../core/problems.js';
import { startWorker } from '../worker-thread.js';
import { readCandidate, type ContentCandidate } from './read-content.js';

export interface ParsedFile {
  readonly file: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly parsed: ParseResult;
}

/** Below this many files a helper thread costs more than it saves. */
const PARALLEL_THRESHOLD = 2000;

/**
 * Reads and parses every candidate, spreading the work over the machine's cores: helper threads
 * (src/parse-worker.ts) take every n-th file while this thread does its own share. Results come
 * back in candidate order. Used for cold builds; rebuilds parse only changed files, in-thread.
 */
export async function readAndParseAll(
  root: string,
  candidates: readonly ContentCandidate[],
  maxFileBytes: number,
  threads = availableParallelism(),
): Promise<(ParsedFile | Problem | undefined)[]> {
  const shares = candidates.length < PARALLEL_THRESHOLD ? 1 : Math.max(1, threads);
  const helpers = Array.from({ length: shares - 1 }, (_, index) => {
    const share = candidates.filter((_, position) => position % shares === index + 1);
    const worker = startWorker(import.meta.url, '../parse-worker', { workerData: { root, candidates: share, maxFileBytes } });
    return new Promise<(ParsedFile | Problem | undefined)[]>((resolve, reject) => {
      worker.once('message', (results: (ParsedFile | Problem | undefined)[]) => {
        resolve(results);
        void worker.terminate();
      });
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`parse worker exited with code ${code}`)));
    });
  });
  const own = candidates
    .filter((_, position) => position % shares === 0)
    .map((candidate): ParsedFile | Problem | undefined => {
      const read = readCandidate(root, candidate, maxFileBytes);
      if (read === undefined || 'issues' in read) return read;
      return { file: read.file, size: read.size, mtimeMs: read.mtimeMs, parsed: parseArticle(read.text ?? '', read.file) };
    });
  const shared = await Promise.all(helpers);
  return candidates.map((_, position) => {
    const share = position % shares;
    const index = Math.floor(position / shares);
    return share === 0 ? own[index] : shared[share - 1]![index];
  });
}
