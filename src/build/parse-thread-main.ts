/**
 * A helper thread of a cold build: claims chunks of the content files from the shared counter,
 * reads and parses them, and sends each chunk's results as soon as they are done (so sending
 * overlaps parsing instead of coming all at the end). See src/build/parse-threads.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { parseClaimedChunks, type ParseWorkerData, type ParseWorkerMessage } from './parse-threads.js';

const { root, relatives, symlinks, maxFileBytes, next } = workerData as ParseWorkerData;
const candidates = relatives.split('\0').map((relative, index) => ({ relative, isSymlink: symlinks[index] === 1 }));
parseClaimedChunks(root, candidates, maxFileBytes, next, (start, results) => parentPort!.postMessage({ start, results } satisfies ParseWorkerMessage));
parentPort!.postMessage({ done: true } satisfies ParseWorkerMessage);
