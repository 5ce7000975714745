/**
 * The build, in a worker thread: parsing, rendering, writing and compressing never block the
 * thread that answers requests. The worker keeps the BuildCache between builds and sends back
 * only the files whose bytes changed, with their compressed bodies, as transferable buffers.
 */
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { buildFeeds, createBuildCache, type BuiltFile } from './build-feeds.js';
import type { Config } from '../config.js';
import { compress, contentHash, isCompressedEagerly } from '../http/feed-snapshot.js';
import { createLogger } from '../logger.js';
import { watchContent } from '../content/watch-content.js';
import { BUILD_THREAD_NICE, type WorkerReply, type WorkerRequest, type ChangedFile } from './thread-host.js';

const config = workerData as Config;
const logger = createLogger({ level: config.logLevel });

// Requests come first: on Linux this lowers the priority of this thread only (and of the parse
// threads it starts), so a rebuild never takes the CPU from the thread answering requests.
try {
  setPriority(BUILD_THREAD_NICE);
} catch (error) {
  logger.warn('could not lower the build thread\'s priority', { error });
}
const cache = createBuildCache();
cache.changes = watchContent(config.contentDir, logger);
/** What the main thread holds: the built file object and its hash, per name. */
const sent = new Map<string, { file: BuiltFile; hash: string }>();

/** A buffer that owns its whole ArrayBuffer, so it can be transferred instead of copied. */
function standalone(buffer: Buffer): Uint8Array {
  return buffer.byteOffset === 0 && buffer.byteLength === buffer.buffer.byteLength ? buffer : new Uint8Array(buffer);
}

parentPort!.on('message', async (request: WorkerRequest) => {
  try {
    const result = await buildFeeds({ config, logger, cache });
    const changed: ChangedFile[] = [];
    const transfer: ArrayBuffer[] = [];
    for (const file of result.files) {
      const known = sent.get(file.name);
      if (known?.file === file) continue;
      const identity = Buffer.from(file.body, 'utf8');
      const hash = contentHash(identity);
      sent.set(file.name, { file, hash });
      if (known?.hash === hash) continue;
      // Archive pages (most of the output with archives on) stay on disk, where the build wrote
      // them: the server reads one when it is asked for, instead of holding them all in memory.
      const eager = isCompressedEagerly(file.name);
      const bodies = {
        identity: eager ? standalone(identity) : undefined,
        gzip: eager ? standalone(compress('gzip', identity)) : undefined,
        br: eager ? standalone(compress('br', identity)) : undefined,
      };
      for (const body of Object.values(bodies)) if (body) transfer.push(body.buffer as ArrayBuffer);
      changed.push({ name: file.name, contentType: file.contentType, lastModified: file.modified, hash, ...bodies });
    }
    const names = new Set(result.files.map((file) => file.name));
    for (const name of sent.keys()) if (!names.has(name)) sent.delete(name);
    const reply: WorkerReply = { id: request.id, ok: true, report: result.report, changed, names: [...names] };
    parentPort!.postMessage(reply, transfer);
  } catch (error) {
    const reply: WorkerReply = { id: request.id, ok: false, message: error instanceof Error ? error.message : String(error) };
    parentPort!.postMessage(reply);
  }
});
