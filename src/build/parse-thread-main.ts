/**
 * A helper thread of a build: claims chunks of the content files from the shared counter, reads
 * and parses them (and renders their entries into a segment of its own, when asked), and sends
 * each chunk's results as soon as they are done, so sending overlaps parsing. See parse-threads.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SegmentWriter } from './entry-store.js';
import { parseClaimedChunks, type ParseThreadData, type ParseThreadMessage } from './parse-threads.js';

const { root, baseUrl, relatives, symlinks, maxFileBytes, knownKeys, entriesDir, next } = workerData as ParseThreadData;
const candidates = relatives.split('\0').map((relative, index) => ({ relative, isSymlink: symlinks[index] === 1 }));
const writer = entriesDir === undefined ? undefined : new SegmentWriter(entriesDir);
try {
  const job = { root, baseUrl, candidates, maxFileBytes, knownKeys: new Set(knownKeys === '' ? [] : knownKeys.split('\0')), writer };
  for (const chunk of parseClaimedChunks(job, next)) parentPort!.postMessage(chunk satisfies ParseThreadMessage);
} finally {
  writer?.close();
}
parentPort!.postMessage({ done: true } satisfies ParseThreadMessage);
