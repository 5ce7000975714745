import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { BuildReport, BuildResult } from '../build/build-feeds.js';
import { createSnapshot, servedFile, type FeedSnapshot, type ServedFile } from './feed-snapshot.js';
import type { WorkerBuildResult } from '../build/thread-host.js';

export interface BuildFailure {
  readonly at: Date;
  readonly message: string;
  readonly scheduled: boolean;
}

export interface Health {
  readonly status: 'ok' | 'degraded' | 'starting';
  readonly lastBuild: {
    readonly finishedAt: string;
    readonly durationMs: number;
    readonly articles: number;
    readonly drafts: number;
    readonly scheduled: number;
    readonly feeds: number;
    readonly files: number;
    readonly skipped: number;
    readonly problems: number;
  } | null;
  readonly lastScheduledBuildFailed: boolean;
  readonly lastFailure: { readonly at: string; readonly message: string } | null;
  /** The process's memory, for operators watching it over many rebuilds. */
  readonly memory: { readonly rssBytes: number; readonly heapUsedBytes: number };
}

/**
 * Holds what the server serves: the snapshot of the last good build, swapped in one assignment,
 * and what /healthz reports. A failed build changes only the failure record: the last good
 * feeds stay served.
 */
export class FeedStore {
  readonly #feedsDir: string;
  #snapshot: FeedSnapshot | undefined;

  /** `feedsDir`: where a worker build left the files it does not send (archive pages). */
  constructor({ feedsDir = 'feeds' }: { feedsDir?: string } = {}) {
    this.#feedsDir = feedsDir;
  }

  #report: BuildReport | undefined;
  #failure: BuildFailure | undefined;
  #lastScheduledFailed = false;

  get snapshot(): FeedSnapshot | undefined {
    return this.#snapshot;
  }

  /**
   * Swaps in the snapshot of a build, in one assignment. A build from the worker brings only the
   * files that changed; the others are carried over from the current snapshot.
   */
  publish(result: BuildResult | WorkerBuildResult, finishedAt: Date, { scheduled = false } = {}): void {
    this.#snapshot = 'changed' in result ? this.#updatedSnapshot(result, finishedAt) : createSnapshot(result.files, finishedAt, this.#snapshot);
    this.#report = result.report;
    if (scheduled) this.#lastScheduledFailed = false;
  }

  #updatedSnapshot({ changed, names }: WorkerBuildResult, builtAt: Date): FeedSnapshot {
    const updates = new Map(changed.map((file) => [file.name, file]));
    const files = new Map<string, ServedFile>();
    for (const name of names) {
      const update = updates.get(name);
      const file = update
        ? servedFile({
            name: update.name,
            contentType: update.contentType,
            lastModified: update.lastModified,
            hash: update.hash,
            identity: update.identity ? toBuffer(update.identity) : readFromDisk(this.#feedsDir, update.name),
            gzip: update.gzip && toBuffer(update.gzip),
            br: update.br && toBuffer(update.br),
          })
        : this.#snapshot?.files.get(name);
      if (file) files.set(name, file);
    }
    return { builtAt, files };
  }

  recordFailure(error: unknown, at: Date, { scheduled = false } = {}): void {
    this.#failure = { at, message: error instanceof Error ? error.message : String(error), scheduled };
    if (scheduled) this.#lastScheduledFailed = true;
  }

  health(): Health {
    const report = this.#report;
    const snapshot = this.#snapshot;
    return {
      status: snapshot === undefined ? 'starting' : this.#lastScheduledFailed ? 'degraded' : 'ok',
      lastBuild:
        report && snapshot
          ? {
              finishedAt: snapshot.builtAt.toISOString(),
              durationMs: report.durationMs,
              articles: report.published,
              drafts: report.drafts,
              scheduled: report.scheduled,
              feeds: report.feeds,
              files: snapshot.files.size,
              skipped: report.skipped,
              problems: report.problems.length,
            }
          : null,
      lastScheduledBuildFailed: this.#lastScheduledFailed,
      lastFailure: this.#failure ? { at: this.#failure.at.toISOString(), message: this.#failure.message } : null,
      memory: { rssBytes: process.memoryUsage.rss(), heapUsedBytes: process.memoryUsage().heapUsed },
    };
  }
}

/** A Buffer view of bytes that arrived from the worker (no copy). */
function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Reads a file the build wrote, each time it is served (a name from the build, never from a URL).
 * Writes are atomic renames, so a read sees a whole version; in the moment between a rebuild's
 * rename and its publish the bytes may be newer than the ETag, which only costs a reader one
 * more 200 later.
 */
function readFromDisk(feedsDir: string, name: string): () => Buffer {
  const file = path.join(feedsDir, name);
  return () => readFileSync(file);
}
