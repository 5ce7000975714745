import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { BuildReport } from './build-feeds.js';
import type { Config } from '../config.js';
import { errorFromSummary, FeedServiceError, type FailureSummary } from '../errors.js';
import type { Logger } from '../logger.js';
import { BUILD_YOUNG_GENERATION_MB, startThread } from './start-thread.js';
import { UNKNOWN_CHANGES, type ContentChangeSet } from '../content/watch-content.js';

/** The build thread's nice value (os.constants.priority.PRIORITY_BELOW_NORMAL). */
export const BUILD_THREAD_NICE = 10;

/**
 * Lowers every thread of this process but the main one to BUILD_THREAD_NICE (Linux, where a nice
 * value is per thread; elsewhere it does nothing). Those are V8's platform threads, which do the
 * parallel and concurrent garbage collection of every thread's heap: at 100k articles they spend
 * about as much CPU on the build's heap as the build itself, and at the main thread's priority
 * they took the CPU from it (p99 of feed requests during a cold rebuild). The main thread's own
 * collections are small. Threads started later inherit their creator's value.
 */
export function lowerBackgroundThreadPriority(): void {
  let threads: string[];
  try {
    threads = readdirSync('/proc/self/task');
  } catch {
    return;
  }
  for (const tid of threads.map(Number)) {
    if (tid === process.pid) continue;
    try {
      if (getPriority(tid) < BUILD_THREAD_NICE) setPriority(tid, BUILD_THREAD_NICE);
    } catch {
      // The thread ended meanwhile, or this process may not change it: leave it.
    }
  }
}

/** What the host asks of the build thread: a build (with what the watcher saw), or to save and stop. */
export type ThreadRequest =
  | { readonly id: number; readonly build: { readonly changes: ContentChangeSet; readonly known?: readonly KnownFile[]; readonly replySliceFiles?: number } }
  | { readonly id: number; readonly close: true }
  /** The host took the part of reply `id` sent last: the next may come (postReply; one reply is under way at a time). */
  | { readonly id: number; readonly partTaken: true };

/** A file the host serves already (loaded from the feeds folder at start-up): the thread need not send it. */
export interface KnownFile {
  readonly name: string;
  readonly hash: string;
}

/** A file whose bytes changed since the thread's last reply. */
export interface ChangedFile {
  readonly name: string;
  readonly contentType: string;
  readonly lastModified: Date;
  readonly hash: string;
  /** The bytes; absent for an archive page, which the server reads from the feeds folder when asked. */
  readonly identity?: Uint8Array;
  readonly gzip?: Uint8Array;
  readonly br?: Uint8Array;
}

export type ThreadReply =
  | ({ readonly id: number; readonly ok: true } & ThreadBuildResult)
  | ThreadReplyPart
  | { readonly id: number; readonly ok: true; readonly closed: true }
  | ({ readonly id: number; readonly ok: false } & FailureSummary);

/**
 * A build done in the build thread: its report, the files whose bytes changed since its last
 * reply, the names of the files that went, and, after a build that looked at every file (the
 * thread's first), every current file name.
 */
export interface ThreadBuildResult {
  readonly kind: 'thread';
  readonly report: BuildReport;
  readonly changed: readonly ChangedFile[];
  readonly removed: readonly string[];
  readonly names?: readonly string[];
}

/** A build asked of the thread: how to answer, and the parts of its reply that have arrived. */
interface PendingBuild {
  readonly resolve: (result: ThreadBuildResult) => void;
  readonly reject: (error: Error) => void;
  readonly changed: ChangedFile[];
  readonly names: string[];
  readonly written: string[];
  parts: number;
}

/**
 * A slice of a large build's files, of the names of the files it wrote (its report's `written`)
 * and, after a build that looked at every file, of every file's name, sent ahead of the reply
 * that ends it (see replyMessages).
 */
export interface ThreadReplyPart {
  readonly id: number;
  readonly ok: true;
  readonly part: { readonly changed: readonly ChangedFile[]; readonly names?: readonly string[]; readonly written: readonly string[] };
}

/** How many files (and names) one message of a build's reply carries at most. */
export const REPLY_SLICE_FILES = 1000;

/**
 * Whether a reply naming `files` files (changed, removed, and every name after a complete build)
 * keeps the thread that answers requests busy as it arrives: it swaps much of its snapshot then
 * and collects the old one, and the build thread puts its own collection off (heap-release.ts).
 */
export function isLargeReply(files: number): boolean {
  return files > REPLY_SLICE_FILES;
}

/** The `index`th slice of `items`, `size` long at most. */
const sliceOf = <T>(items: readonly T[], index: number, size: number) => items.slice(index * size, (index + 1) * size);

/**
 * The messages that carry a build's reply, the reply itself last, each with the buffers it
 * transfers. A message is deserialized on the thread that answers requests, in one piece: a cold
 * build's reply at 100 000 articles (35 000 files, as many names, and its report's 35 000 written
 * names) stalled that thread, with the snapshot update after it, for 356 ms. In slices of `sliceFiles`, each sent
 * once the host has taken the one before (postReply), requests are answered between them. The
 * removed names go with the reply itself: a build removes few files.
 */
export function replyMessages(id: number, result: ThreadBuildResult, sliceFiles = REPLY_SLICE_FILES): { message: ThreadReply; transfer: ArrayBuffer[] }[] {
  if (!(sliceFiles >= 1)) throw new RangeError(`a reply slice holds at least one file, got ${sliceFiles}`);
  const { changed, names, report } = result;
  const slices = Math.max(1, ...[changed, names ?? [], report.written].map((items) => Math.ceil(items.length / sliceFiles)));
  const messages: { message: ThreadReply; transfer: ArrayBuffer[] }[] = [];
  for (let slice = 0; slice < slices; slice++) {
    const files = sliceOf(changed, slice, sliceFiles);
    const someNames = names && sliceOf(names, slice, sliceFiles);
    const written = sliceOf(report.written, slice, sliceFiles);
    const transfer = files.flatMap((file) => [file.identity, file.gzip, file.br].filter((body) => body !== undefined).map((body) => body.buffer as ArrayBuffer));
    const message: ThreadReply =
      slice < slices - 1
        ? { id, ok: true, part: { changed: files, ...(someNames ? { names: someNames } : {}), written } }
        : { id, ok: true, ...result, report: { ...report, written }, changed: files, ...(someNames ? { names: someNames } : {}) };
    messages.push({ message, transfer });
  }
  return messages;
}

/**
 * Posts a reply's messages (replyMessages), each part once the host has taken the one before
 * (`taken()` resolves when it says so): parts posted at once would arrive together and be
 * deserialized in one turn of the host's event loop, a stall as long as one message's.
 */
export async function postReply(messages: ReturnType<typeof replyMessages>, post: (message: ThreadReply, transfer: ArrayBuffer[]) => void, taken: () => Promise<void>): Promise<void> {
  for (const [index, { message, transfer }] of messages.entries()) {
    const next = index < messages.length - 1 ? taken() : undefined;
    post(message, transfer);
    await next;
  }
}

/**
 * The main thread's side of the build thread (build/thread-main.ts), which keeps the build cache
 * between builds. One build at a time; a thread that dies is replaced by the next build (which
 * then starts from the cache saved in STATE_DIR).
 */
export class BuildThreadHost {
  readonly #config: Config;
  readonly #logger: Logger;
  #thread: Worker | undefined;
  #nextId = 1;
  /** Set by close(): a thread that exits from now on was stopped, not failed. */
  #closing = false;
  #known: readonly KnownFile[] | undefined;
  readonly #replySliceFiles: number | undefined;
  readonly #pending = new Map<number, PendingBuild>();

  /**
   * `known`: the files the server already serves (from the feeds folder), so the first build sends
   * only what differs; `replySliceFiles`: the files a message of a reply carries at most
   * (REPLY_SLICE_FILES).
   */
  constructor(config: Config, logger: Logger, { known, replySliceFiles }: { known?: readonly KnownFile[]; replySliceFiles?: number } = {}) {
    this.#config = config;
    this.#logger = logger;
    this.#known = known;
    this.#replySliceFiles = replySliceFiles;
  }

  build(changes: ContentChangeSet = UNKNOWN_CHANGES): Promise<ThreadBuildResult> {
    const thread = this.#start();
    const id = this.#nextId++;
    const known = this.#known;
    this.#known = undefined;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, changed: [], names: [], written: [], parts: 0 });
      const replySliceFiles = this.#replySliceFiles;
      thread.postMessage({ id, build: { changes, ...(known ? { known } : {}), ...(replySliceFiles ? { replySliceFiles } : {}) } } satisfies ThreadRequest);
    });
  }

  /** Lets the thread save its cache (bounded by `timeoutMs`), then stops it. */
  async close(timeoutMs = 5000): Promise<void> {
    const thread = this.#thread;
    this.#thread = undefined;
    if (!thread) return;
    this.#closing = true;
    const id = this.#nextId++;
    const saved = new Promise<void>((resolve) => {
      thread.on('message', (reply: ThreadReply) => {
        if (reply.id === id) resolve();
      });
      thread.once('exit', () => resolve());
    });
    thread.postMessage({ id, close: true } satisfies ThreadRequest);
    await Promise.race([saved, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
    await thread.terminate();
  }

  #start(): Worker {
    if (this.#thread) return this.#thread;
    lowerBackgroundThreadPriority();
    // A limit, not a reservation: the build thread holds the article index, about 1 KB an article.
    const worker = startThread(import.meta.url, 'thread-main', { workerData: this.#config, resourceLimits: { maxOldGenerationSizeMb: 8192, maxYoungGenerationSizeMb: BUILD_YOUNG_GENERATION_MB } });
    worker.on('message', (reply: ThreadReply) => {
      const pending = this.#pending.get(reply.id);
      if (!pending) return;
      if (reply.ok && 'part' in reply) {
        pending.parts++;
        for (const file of reply.part.changed) pending.changed.push(file);
        for (const name of reply.part.names ?? []) pending.names.push(name);
        for (const name of reply.part.written) pending.written.push(name);
        worker.postMessage({ id: reply.id, partTaken: true } satisfies ThreadRequest);
        return;
      }
      this.#pending.delete(reply.id);
      if (!reply.ok) pending.reject(errorFromSummary(reply));
      else if ('report' in reply) {
        const { id: _id, ok: _ok, ...result } = reply;
        if (pending.parts === 0) {
          pending.resolve(result);
          return;
        }
        this.#logger.debug('build reply arrived in parts', { parts: pending.parts + 1, files: pending.changed.length + result.changed.length });
        pending.resolve({
          ...result,
          report: { ...result.report, written: pending.written.concat(result.report.written) },
          changed: pending.changed.concat(result.changed),
          ...(result.names ? { names: pending.names.concat(result.names) } : {}),
        });
      }
    });
    const fail = (error: Error) => {
      if (this.#thread === worker) this.#thread = undefined;
      for (const [id, pending] of this.#pending) {
        this.#pending.delete(id);
        pending.reject(error);
      }
    };
    worker.on('error', (error) => {
      this.#logger.error('build thread failed', { error });
      fail(error);
    });
    worker.on('exit', (code) =>
      fail(
        this.#closing
          ? // Stopped by close() (the server is stopping) in the middle of a build: not a failure.
            new FeedServiceError('BUILD_STOPPED', 'The server stopped during this build; the next start builds again.')
          : new Error(`build thread exited with code ${code}`),
      ),
    );
    this.#thread = worker;
    return worker;
  }
}
