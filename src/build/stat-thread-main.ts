/**
 * The helper thread of a full scan's stats: claims chunks of the candidates from the shared
 * counter, writes their stats into shared memory, and says when none are left. See stat-threads.ts.
 */
import { parentPort } from 'node:worker_threads';
import { joinedPaths, statClaimedChunks, type StatThreadData } from './stat-threads.js';

// Started before there is work (stat-threads.ts, startStatHelper): the candidates come as a message.
parentPort!.once('message', ({ root, relatives, shared }: StatThreadData) => {
  statClaimedChunks(root, joinedPaths(relatives, shared.isFile.length), shared);
  parentPort!.postMessage('done');
});
