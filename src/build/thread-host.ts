import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { BuildReport } from './build-feeds.js';
import type { Config } from '../config.js';
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
export type ThreadRequest = { readonly id: number; readonly build: { readonly changes: ContentChangeSet; readonly known?: readonly KnownFile[] } } | { readonly id: number; readonly close: true };

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
  | { readonly id: number; readonly ok: true; readonly closed: true }
  | { readonly id: number; readonly ok: false; readonly message: string; readonly file?: string; readonly errno?: string };

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
  #known: readonly KnownFile[] | undefined;
  readonly #pending = new Map<number, { resolve: (result: ThreadBuildResult) => void; reject: (error: Error) => void }>();

  /** `known`: the files the server already serves (from the feeds folder), so the first build sends only what differs. */
  constructor(config: Config, logger: Logger, { known }: { known?: readonly KnownFile[] } = {}) {
    this.#config = config;
    this.#logger = logger;
    this.#known = known;
  }

  build(changes: ContentChangeSet = UNKNOWN_CHANGES): Promise<ThreadBuildResult> {
    const thread = this.#start();
    const id = this.#nextId++;
    const known = this.#known;
    this.#known = undefined;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      thread.postMessage({ id, build: { changes, ...(known ? { known } : {}) } } satisfies ThreadRequest);
    });
  }

  /** Lets the thread save its cache (bounded by `timeoutMs`), then stops it. */
  async close(timeoutMs = 5000): Promise<void> {
    const thread = this.#thread;
    this.#thread = undefined;
    if (!thread) return;
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
      this.#pending.delete(reply.id);
      // A disk fault keeps the file and the code it names (DiskWriteError), for the log.
      if (!reply.ok) pending.reject(Object.assign(new Error(reply.message), reply.file === undefined ? {} : { file: reply.file, errno: reply.errno }));
      else if ('report' in reply) {
        const { id: _id, ok: _ok, ...result } = reply;
        pending.resolve(result);
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
    worker.on('exit', (code) => fail(new Error(`build thread exited with code ${code}`)));
    this.#thread = worker;
    return worker;
  }
}
