import { statSync } from 'node:fs';
import path from 'node:path';
import type { BuildReport, BuildResult, BuiltFile } from '../build/build-feeds.js';
import type { ThreadBuildResult } from '../build/thread-host.js';
import { failureSummary, type FailureSummary } from '../errors.js';
import { contentHash, MANIFEST_NAME, readManifest } from '../build/write-feeds.js';
import { isServedFromMemory, memoryFile, type DiskFile, type FeedSnapshot } from './feed-snapshot.js';
import { ServedFiles } from './served-files.js';

/** The last failed build: when, and what it reported (failureSummary). */
export interface BuildFailure {
  readonly at: Date;
  readonly summary: FailureSummary;
}

/** This process's last successful build: when, how long, and its counts. */
export interface LastBuild {
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly articles: number;
  readonly drafts: number;
  readonly scheduled: number;
  readonly feeds: number;
  readonly files: number;
  readonly skipped: number;
  readonly problems: number;
}

export interface Health {
  /**
   * `ok`; `degraded`: the last build failed (the last good feeds are still served); `starting`:
   * nothing to serve yet; `failing`: nothing to serve, and the last build failed (503, as
   * `starting`, but a monitor should alert rather than wait).
   */
  readonly status: 'ok' | 'degraded' | 'starting' | 'failing';
  readonly lastBuild: LastBuild | null;
  /** Set while the feeds served are the ones a previous process left in the feeds folder. */
  readonly servingPreviousBuild?: { readonly writtenAt: string; readonly files: number };
  readonly lastScheduledBuildFailed: boolean;
  /** The last failed build: its message (what happened and what to do), code and counts. */
  readonly lastFailure: ({ readonly at: string } & FailureSummary) | null;
  /** The process's memory, for operators watching it over many rebuilds. */
  readonly memory: { readonly rssBytes: number; readonly heapUsedBytes: number };
}

/**
 * Holds what the server serves: the snapshot of the last complete build, swapped in one
 * assignment, and what /healthz reports. At start-up it is the build a previous process left in
 * the feeds folder (loadFromDisk), so a restart answers at once; then each build's. A failed
 * build changes only the failure record: the last good feeds stay served.
 */
export class FeedStore {
  readonly #feedsDir: string;
  /** The feeds folder and a separator: a snapshot's `folder`, which a DiskFile's name is appended to. */
  readonly #folder: string;
  #snapshot: FeedSnapshot | undefined;
  /**
   * The counts of the last build's report, not the report: its lists (every file written, 35 000
   * names after a cold build at 100 000 articles; its problems) would stay in the heap of the
   * thread that answers requests until the next build, for nothing.
   */
  #reported: Omit<LastBuild, 'finishedAt' | 'files'> | undefined;
  #loaded: { readonly writtenAt: Date; readonly files: number } | undefined;
  #failure: BuildFailure | undefined;
  #lastScheduledFailed = false;
  /** Whether the most recent build failed (or was held back): the feeds served are older than the content. */
  #lastFailed = false;
  #succeeded = 0;
  #failed = 0;

  /** `feedsDir`: where the builds write; files not sent with a build (archive pages) are read there. */
  constructor({ feedsDir = 'feeds' }: { feedsDir?: string } = {}) {
    this.#feedsDir = path.resolve(feedsDir);
    this.#folder = this.#feedsDir + path.sep;
  }

  get snapshot(): FeedSnapshot | undefined {
    return this.#snapshot;
  }

  /**
   * Serves the last complete build in the feeds folder, as its manifest lists it (names, content
   * types, dates). Nothing is read yet: every file is read on its first request, its ETag taken
   * from the bytes read (so a body always matches its ETag), and the feeds readers poll are then
   * kept in memory. Returns the files' manifest hashes (what the build thread may assume the
   * server holds), empty when there is no build there.
   */
  loadFromDisk(): ReadonlyMap<string, string> {
    const manifest = readManifest(this.#feedsDir);
    if (!manifest || manifest.files.size === 0) return new Map();
    const files = new ServedFiles();
    const hashes = new Map<string, string>();
    // readManifest keeps only names inside the folder: a file's path is the folder and its name.
    for (const file of manifest.files.values()) {
      files.setOnDisk(file.name, file.contentType, Math.round(file.mtimeMs), file.hash);
      if (isServedFromMemory(file.name)) hashes.set(file.name, file.hash);
    }
    let writtenAt: Date;
    try {
      writtenAt = statSync(path.join(this.#feedsDir, MANIFEST_NAME)).mtime;
    } catch {
      writtenAt = new Date();
    }
    this.#snapshot = { builtAt: writtenAt, folder: this.#folder, files };
    this.#loaded = { writtenAt, files: files.size };
    return hashes;
  }

  /**
   * Keeps in memory a file read from disk on request (`file` marked keepInMemory), unless a
   * build has replaced it since, or its bytes are not the ones its build recorded (see
   * DiskFile.hash: they are read again on the next request, until a build puts the right ones).
   */
  keep(file: DiskFile, identity: Buffer, hash: string): void {
    const files = this.#snapshot?.files as ServedFiles | undefined;
    if (files?.get(file.name) !== file || (file.hash !== undefined && file.hash !== hash)) return;
    files.set(memoryFile({ name: file.name, contentType: file.contentType, lastModified: file.lastModified, hash, identity }));
  }

  /**
   * Swaps in the snapshot of a build, in one assignment. A build from the build thread brings only
   * the files that changed; the others are carried over from the current snapshot.
   */
  publish(result: BuildResult | ThreadBuildResult, finishedAt: Date, { scheduled = false } = {}): void {
    this.#snapshot = 'kind' in result ? this.#updatedSnapshot(result, finishedAt) : this.#snapshotOf(result.files, finishedAt, result.feedsDir ?? this.#feedsDir);
    this.#reported = reportedCounts(result.report);
    this.#loaded = undefined;
    this.#lastFailed = false;
    this.#succeeded++;
    if (scheduled) this.#lastScheduledFailed = false;
  }

  /** The builds this process published and the ones that failed (for /metrics), and whether the most recent one failed. */
  buildCounts(): { readonly succeeded: number; readonly failed: number; readonly lastFailed: boolean } {
    return { succeeded: this.#succeeded, failed: this.#failed, lastFailed: this.#lastFailed };
  }

  #snapshotOf(built: readonly BuiltFile[], builtAt: Date, feedsDir: string): FeedSnapshot {
    const previous = this.#snapshot?.files;
    const folder = path.resolve(feedsDir) + path.sep;
    const files = new ServedFiles();
    for (const file of built) {
      const known = previous?.get(file.name);
      if (known?.kind === 'memory' && known.hash === file.hash && known.contentType === file.contentType) {
        files.set(known);
        continue;
      }
      setServedFile(files, { name: file.name, contentType: file.contentType, lastModified: file.modified, identity: file.body, hash: file.hash });
    }
    return { builtAt, folder, files };
  }

  /**
   * The current snapshot with a thread build's changes applied: changed files replaced, removed
   * ones dropped; after a build that named every file, the others dropped too.
   */
  #updatedSnapshot({ changed, removed, names }: ThreadBuildResult, builtAt: Date): FeedSnapshot {
    // Changed in place, not copied: a copy was a pass over every file on the thread that answers
    // requests, after every build (35 000 files at 100 000 articles, 350 000 at a million). No
    // request sees half of a build: each looks its file up synchronously, and this runs to the end
    // before the next one does (as `keep` changes the map in place too).
    const files = (this.#snapshot?.files as ServedFiles | undefined) ?? new ServedFiles();
    if (names) {
      const current = new Set(names);
      for (const name of files.keys()) if (!current.has(name)) files.delete(name);
    }
    for (const name of removed) files.delete(name);
    for (const update of changed) {
      if (update.identity) {
        files.set(
          memoryFile({
            name: update.name,
            contentType: update.contentType,
            lastModified: update.lastModified,
            hash: update.hash,
            identity: toBuffer(update.identity),
            gzip: update.gzip && toBuffer(update.gzip),
            br: update.br && toBuffer(update.br),
          }),
        );
      } else setServedFile(files, { name: update.name, contentType: update.contentType, lastModified: update.lastModified, hash: update.hash });
    }
    return { builtAt, folder: this.#folder, files };
  }

  recordFailure(error: unknown, at: Date, { scheduled = false } = {}): void {
    this.#failure = { at, summary: failureSummary(error) };
    this.#lastFailed = true;
    this.#failed++;
    if (scheduled) this.#lastScheduledFailed = true;
  }

  /** This process's last successful build (what /healthz and /metrics report of it); undefined before it. */
  lastBuild(): LastBuild | undefined {
    const reported = this.#reported;
    const snapshot = this.#snapshot;
    if (!reported || !snapshot) return undefined;
    const { durationMs, articles, drafts, scheduled, feeds, skipped, problems } = reported;
    return { finishedAt: snapshot.builtAt.toISOString(), durationMs, articles, drafts, scheduled, feeds, files: snapshot.files.size, skipped, problems };
  }

  health(): Health {
    const snapshot = this.#snapshot;
    const loaded = this.#loaded;
    return {
      status: snapshot === undefined ? (this.#lastFailed ? 'failing' : 'starting') : this.#lastFailed || this.#lastScheduledFailed ? 'degraded' : 'ok',
      lastBuild: this.lastBuild() ?? null,
      ...(loaded ? { servingPreviousBuild: { writtenAt: loaded.writtenAt.toISOString(), files: loaded.files } } : {}),
      lastScheduledBuildFailed: this.#lastScheduledFailed,
      lastFailure: this.#failure ? { at: this.#failure.at.toISOString(), ...this.#failure.summary } : null,
      memory: { rssBytes: process.memoryUsage.rss(), heapUsedBytes: process.memoryUsage().heapUsed },
    };
  }
}

/** What LastBuild reports of a build's report. */
function reportedCounts(report: BuildReport): Omit<LastBuild, 'finishedAt' | 'files'> {
  return {
    durationMs: report.durationMs,
    articles: report.published,
    drafts: report.drafts,
    scheduled: report.scheduled,
    feeds: report.feeds,
    skipped: report.skipped,
    problems: report.problems.length,
  };
}

/** A Buffer view of bytes that arrived from the build thread (no copy). */
function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Serves a file of the feeds folder: from memory when its bytes are given, else from disk (kept
 * in memory after its first request when it is a feed readers poll). Nothing is read here: this
 * runs on the thread that answers requests.
 */
function setServedFile(files: ServedFiles, { name, contentType, lastModified, identity, hash }: { name: string; contentType: string; lastModified: Date; identity?: Buffer; hash?: string }): void {
  if (!isServedFromMemory(name) || identity === undefined) files.setOnDisk(name, contentType, lastModified.getTime(), hash);
  else files.set(memoryFile({ name, contentType, lastModified, hash: hash ?? contentHash(identity), identity }));
}
