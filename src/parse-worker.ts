/**
 * Reads and parses a share of the content files in a helper thread, so a cold build uses every
 * core. Sends back one ParsedFile or Problem per candidate, in the order given.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { parseArticle } from './core/parse-article.js';
import { readCandidate, type ContentCandidate } from './io/read-content.js';
import type { ParsedFile } from './io/parallel-parse.js';
import type { Problem } from './core/problems.js';

const { root, candidates, maxFileBytes } = workerData as { root: string; candidates: ContentCandidate[]; maxFileBytes: number };
const results: (ParsedFile | Problem | undefined)[] = candidates.map((candidate) => {
  const read = readCandidate(root, candidate, maxFileBytes);
  if (read === undefined || 'issues' in read) return read;
  return { file: read.file, size: read.size, mtimeMs: read.mtimeMs, parsed: parseArticle(read.text ?? '', read.file) };
});
parentPort!.postMessage(results);
