import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { BuildReport } from './build-feeds.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { BUILD_YOUNG_GENERATION_MB, startWorker } from './start-thread.js';

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

export interface WorkerRequest {
  readonly id: number;
}

/** A file whose bytes changed since the worker's last reply. */
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

export type WorkerReply =
  | { readonly id: number; readonly ok: true; readonly report: BuildReport; readonly changed: readonly ChangedFile[]; readonly names: readonly string[] }
  | { readonly id: number; readonly ok: false; readonly message: string };

/** A build done in the worker: its report, the files that changed, and every current file name. */
export interface WorkerBuildResult {
  readonly report: BuildReport;
  readonly changed: readonly ChangedFile[];
  readonly names: readonly string[];
}

/**
 * Runs builds in a worker thread (src/build-worker.ts) that keeps its caches between builds. One
 * build at a time; a worker that dies is replaced by the next build.
 */
export class BuildWorker {
  readonly #config: Config;
  readonly #logger: Logger;
  #worker: Worker | undefined;
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (result: WorkerBuildResult) => void; reject: (error: Error) => void }>();

  constructor(config: Config, logger: Logger) {
    this.#config = config;
    this.#logger = logger;
  }

  build(): Promise<WorkerBuildResult> {
    const worker = this.#start();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ id } satisfies WorkerRequest);
    });
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker) await worker.terminate();
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    lowerBackgroundThreadPriority();
    // A cold build with archive pages at 100k articles holds a few GB of rendered text at once.
    const worker = startWorker(import.meta.url, 'thread-main', { workerData: this.#config, resourceLimits: { maxOldGenerationSizeMb: 8192, maxYoungGenerationSizeMb: BUILD_YOUNG_GENERATION_MB } });
    worker.on('message', (reply: WorkerReply) => {
      const pending = this.#pending.get(reply.id);
      if (!pending) return;
      this.#pending.delete(reply.id);
      if (reply.ok) pending.resolve({ report: reply.report, changed: reply.changed, names: reply.names });
      else pending.reject(new Error(reply.message));
    });
    const fail = (error: Error) => {
      if (this.#worker === worker) this.#worker = undefined;
      for (const [id, pending] of this.#pending) {
        this.#pending.delete(id);
        pending.reject(error);
      }
    };
    worker.on('error', (error) => {
      this.#logger.error('build worker failed', { error });
      fail(error);
    });
    worker.on('exit', (code) => fail(new Error(`build worker exited with code ${code}`)));
    this.#worker = worker;
    return worker;
  }
}
