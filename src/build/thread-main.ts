/**
 * Inside the build thread: parsing, rendering, writing and compressing never block the thread
 * that answers requests. It keeps the BuildCache between builds, saves it to STATE_DIR once the
 * content has been quiet for half a minute after a build that changed it (and when asked to
 * stop), and sends back only the files whose bytes changed, with their compressed bodies, as
 * transferable buffers. Archive pages are never sent: the server reads them from the feeds folder
 * when asked.
 */
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { buildFeeds } from './build-feeds.js';
import { BuildStopped } from './build-stopped.js';
import { elapsedMs } from './build-result.js';
import { cacheStamp, liveEntryKeys, loadBuildCache, saveBuildCache, saveBuildCacheUnlessStopped } from './build-cache.js';
import type { Config } from '../config.js';
import { failureSummary } from '../errors.js';
import { compress, isServedFromMemory } from '../http/feed-snapshot.js';
import { createLogger } from '../logger.js';
import { createHeapReleaser } from './heap-release.js';
import { BUILD_THREAD_NICE, isLargeReply, postReply, replyMessages, type ChangedFile, type ThreadReply, type ThreadRequest } from './thread-host.js';

const config = workerData as Config;
const logger = createLogger({ level: config.logLevel });

// Requests come first: on Linux this lowers the priority of this thread only (and of the parse
// threads it starts), so a rebuild never takes the CPU from the thread answering requests.
try {
  setPriority(BUILD_THREAD_NICE);
} catch (error) {
  logger.warn("could not lower the build thread's priority", { error });
}

const stamp = cacheStamp(config);
const cache = loadBuildCache(config.stateDir, stamp, logger);
/** Gives back what a build or a save grew the heap by, once the thread is idle (heap-release.ts). */
const heap = createHeapReleaser({
  isBusy: () => buildUnderWay !== undefined || saving !== undefined,
  onRelease: (release) => logger.debug('build thread heap released', { ...release }),
});
/** What the main thread serves: each file's hash, by name. */
let sent = new Map<string, string>();

/**
 * The cache is saved once the content has been quiet this long after a build that changed it,
 * so a burst of builds saves once (a save writes every file's line: about a second at 100k
 * articles), and at the latest SAVE_AT_MOST_MS after the first change it has not saved. A process
 * killed before it leaves the older cache, which the next start checks like any other and builds
 * more from.
 */
const SAVE_QUIET_MS = 30_000;
const SAVE_AT_MOST_MS = 5 * 60_000;
let saveTimer: NodeJS.Timeout | undefined;
/** When the first change the saved cache lacks was built (ms since the epoch). */
let unsavedSince: number | undefined;
/** The build under way: stopped when the thread is closing, and telling when it has ended. */
let buildUnderWay: { readonly stop: AbortController; readonly ended: Promise<void> } | undefined;
/** The timer fired during a build, or a stopped build left what it read to save: the save starts when the build ends. */
let saveDue = false;
/** The save under way: it pauses after each megabyte, and a build that arrives stops it. */
let saving: { stop: boolean; done: Promise<void> } | undefined;

function scheduleSave(): void {
  unsavedSince ??= Date.now();
  clearTimeout(saveTimer);
  const delay = Math.min(SAVE_QUIET_MS, unsavedSince + SAVE_AT_MOST_MS - Date.now());
  saveTimer = setTimeout(startSave, Math.max(0, delay));
}

function startSave(): void {
  saveTimer = undefined;
  if (buildUnderWay) {
    saveDue = true;
    return;
  }
  const save = { stop: false, done: Promise.resolve() };
  save.done = (async () => {
    try {
      // A build that arrives meanwhile stops it and schedules the save again when it ends.
      const startedAt = performance.now();
      const saved = await saveBuildCacheUnlessStopped(cache, stamp, liveEntryKeys(cache), () => save.stop);
      if (saved) {
        unsavedSince = undefined;
        // Logged: its work (about a second at 100k articles, then the heap's collections) comes
        // SAVE_QUIET_MS after the build, as load an operator would otherwise see with no build.
        // The bytes it copied from the index it replaced were not written again (cache-index.ts).
        logger.info('build cache saved', { durationMs: elapsedMs(startedAt), bytes: saved.bytes, copiedBytes: saved.copiedBytes });
      }
    } catch (error) {
      logger.warn('build cache could not be saved; the next start builds more', { error });
    } finally {
      saving = undefined;
      heap.afterWork();
    }
  })();
  saving = save;
}

/**
 * Before the thread stops: a build under way is stopped at its next point before it puts a file
 * in place (one putting its files in place finishes), the save under way finishes, and one that
 * is scheduled is made now. A stopped build leaves what it read, parsed and rendered in the
 * cache, so that is saved too, and the next start goes on from there.
 */
async function saveBeforeClosing(): Promise<void> {
  if (buildUnderWay) {
    buildUnderWay.stop.abort();
    await buildUnderWay.ended;
  }
  await saving?.done;
  if (buildUnderWay || (!saveTimer && !saveDue)) return;
  clearTimeout(saveTimer);
  saveTimer = undefined;
  saveDue = false;
  try {
    saveBuildCache(cache, stamp, liveEntryKeys(cache));
  } catch (error) {
    logger.warn('build cache could not be saved; the next start builds more', { error });
  }
}

/** A buffer that owns its whole ArrayBuffer, so it can be transferred instead of copied. */
function standalone(buffer: Buffer): Uint8Array {
  return buffer.byteOffset === 0 && buffer.byteLength === buffer.buffer.byteLength ? buffer : new Uint8Array(buffer);
}

/** Resolves the wait for the host to take the part of a reply posted last (postReply). */
let partTaken: (() => void) | undefined;
const nextPartTaken = () => new Promise<void>((resolve) => (partTaken = resolve));
const postToHost = (message: ThreadReply, transfer: ArrayBuffer[]) => parentPort!.postMessage(message, transfer);

parentPort!.on('message', async (request: ThreadRequest) => {
  if ('partTaken' in request) {
    const taken = partTaken;
    partTaken = undefined;
    taken?.();
    return;
  }
  if ('close' in request) {
    heap.cancel();
    await saveBeforeClosing();
    parentPort!.postMessage({ id: request.id, ok: true, closed: true } satisfies ThreadReply);
    return;
  }
  let stopped = false;
  if (saving) {
    saving.stop = true;
    stopped = true;
    await saving.done;
  }
  const stop = new AbortController();
  let ended!: () => void;
  buildUnderWay = { stop, ended: new Promise<void>((resolve) => (ended = resolve)) };
  /** How many files this build's reply names: a large reply keeps the main thread busy as it ends. */
  let replyFiles = 0;
  try {
    if (request.build.known) sent = new Map(request.build.known.map((file) => [file.name, file.hash]));
    const result = await buildFeeds({
      config,
      logger,
      cache,
      changes: request.build.changes,
      keepBody: isServedFromMemory,
      hasBody: (name, hash) => sent.get(name) === hash,
      saveCache: false,
      // Its first build after a restart makes the model the watcher's builds update (the feeds
      // are served from the folder meanwhile), rather than leaving that to the first change.
      warmModel: true,
      stop: stop.signal,
    });
    const changed: ChangedFile[] = [];
    for (const file of result.changed ?? []) {
      if (sent.get(file.name) === file.hash) continue;
      sent.set(file.name, file.hash);
      const eager = isServedFromMemory(file.name) && file.body !== undefined;
      const bodies = {
        identity: eager ? standalone(file.body) : undefined,
        gzip: eager ? standalone(compress('gzip', file.body)) : undefined,
        br: eager ? standalone(compress('br', file.body)) : undefined,
      };
      changed.push({ name: file.name, contentType: file.contentType, lastModified: file.modified, hash: file.hash, ...bodies });
    }
    const removed = [...(result.removed ?? [])];
    for (const name of removed) sent.delete(name);
    let names: string[] | undefined;
    if (result.complete) {
      names = (result.changed ?? []).map((file) => file.name);
      const current = new Set(names);
      for (const name of sent.keys()) if (!current.has(name)) sent.delete(name);
    }
    replyFiles = changed.length + removed.length + (names?.length ?? 0);
    await postReply(replyMessages(request.id, { kind: 'thread', report: result.report, changed, removed, ...(names ? { names } : {}) }, request.build.replySliceFiles), postToHost, nextPartTaken);
    if (result.report.filesParsed > 0 || result.report.rendered > 0 || result.report.removed.length > 0) scheduleSave();
  } catch (error) {
    // Stopped, the build kept what it had read in the cache: saved before the thread closes.
    if (error instanceof BuildStopped) saveDue = true;
    const reply: ThreadReply = { id: request.id, ok: false, ...failureSummary(error) };
    parentPort!.postMessage(reply);
  } finally {
    buildUnderWay = undefined;
    ended();
    // After a large reply the main thread swaps much of its snapshot and collects the old one:
    // this thread's own collection waits, rather than run beside it (heap-release.ts).
    heap.afterWork({ deferFirst: isLargeReply(replyFiles) });
  }
  if (saveDue || (stopped && unsavedSince !== undefined)) {
    saveDue = false;
    scheduleSave();
  }
});
