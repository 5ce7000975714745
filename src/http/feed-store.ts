import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { BuildReport, BuildResult, BuiltFile } from '../build/build-feeds.js';
import type { ThreadBuildResult } from '../build/thread-host.js';
import { contentHash, MANIFEST_NAME, readManifest } from '../build/write-feeds.js';
import { isServedFromMemory, memoryFile, type FeedSnapshot, type ServedFile } from './feed-snapshot.js';

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
  /** Set while the feeds served are the ones a previous process left in the feeds folder. */
  readonly servingPreviousBuild?: { readonly writtenAt: string; readonly files: number };
  readonly lastScheduledBuildFailed: boolean;
  readonly lastFailure: { readonly at: string; readonly message: string } | null;
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
  #snapshot: FeedSnapshot | undefined;
  #report: BuildReport | undefined;
  #loaded: { readonly writtenAt: Date; readonly files: number } | undefined;
  #failure: BuildFailure | undefined;
  #lastScheduledFailed = false;

  /** `feedsDir`: where the builds write; files not sent with a build (archive pages) are read there. */
  constructor({ feedsDir = 'feeds' }: { feedsDir?: string } = {}) {
    this.#feedsDir = path.resolve(feedsDir);
  }

  get snapshot(): FeedSnapshot | undefined {
    return this.#snapshot;
  }

  /**
   * Serves the last complete build in the feeds folder, as its manifest lists it (names, content
   * types, dates). Files served from memory are read now, and their hash is taken from their bytes,
   * so a body always matches its ETag. Returns the number of files, 0 when there is no build there.
   */
  loadFromDisk(): number {
    const manifest = readManifest(this.#feedsDir);
    if (!manifest || manifest.files.size === 0) return 0;
    const files = new Map<string, ServedFile>();
    for (const file of manifest.files.values()) {
      const served = servedFile(this.#feedsDir, { name: file.name, contentType: file.contentType, lastModified: new Date(Math.round(file.mtimeMs)) });
      if (served) files.set(file.name, served);
    }
    let writtenAt: Date;
    try {
      writtenAt = statSync(path.join(this.#feedsDir, MANIFEST_NAME)).mtime;
    } catch {
      writtenAt = new Date();
    }
    this.#snapshot = { builtAt: writtenAt, files };
    this.#loaded = { writtenAt, files: files.size };
    return files.size;
  }

  /**
   * Swaps in the snapshot of a build, in one assignment. A build from the build thread brings only
   * the files that changed; the others are carried over from the current snapshot.
   */
  publish(result: BuildResult | ThreadBuildResult, finishedAt: Date, { scheduled = false } = {}): void {
    this.#snapshot = 'kind' in result ? this.#updatedSnapshot(result, finishedAt) : this.#snapshotOf(result.files, finishedAt, result.feedsDir ?? this.#feedsDir);
    this.#report = result.report;
    this.#loaded = undefined;
    if (scheduled) this.#lastScheduledFailed = false;
  }

  #snapshotOf(built: readonly BuiltFile[], builtAt: Date, feedsDir: string): FeedSnapshot {
    const previous = this.#snapshot?.files;
    const files = new Map<string, ServedFile>();
    for (const file of built) {
      const known = previous?.get(file.name);
      if (known?.kind === 'memory' && known.hash === file.hash && known.contentType === file.contentType) {
        files.set(file.name, known);
        continue;
      }
      const served = servedFile(feedsDir, { name: file.name, contentType: file.contentType, lastModified: file.modified, identity: file.body, hash: file.hash });
      if (served) files.set(file.name, served);
    }
    return { builtAt, files };
  }

  /**
   * The current snapshot with a thread build's changes applied: changed files replaced, removed
   * ones dropped; after a build that named every file, the others dropped too.
   */
  #updatedSnapshot({ changed, removed, names }: ThreadBuildResult, builtAt: Date): FeedSnapshot {
    const files = new Map<string, ServedFile>(this.#snapshot?.files ?? []);
    if (names) {
      const current = new Set(names);
      for (const name of files.keys()) if (!current.has(name)) files.delete(name);
    }
    for (const name of removed) files.delete(name);
    for (const update of changed) {
      const file = update.identity
        ? memoryFile({
            name: update.name,
            contentType: update.contentType,
            lastModified: update.lastModified,
            hash: update.hash,
            identity: toBuffer(update.identity),
            gzip: update.gzip && toBuffer(update.gzip),
            br: update.br && toBuffer(update.br),
          })
        : servedFile(this.#feedsDir, { name: update.name, contentType: update.contentType, lastModified: update.lastModified });
      if (file) files.set(update.name, file);
      else files.delete(update.name);
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
    const loaded = this.#loaded;
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
      ...(loaded ? { servingPreviousBuild: { writtenAt: loaded.writtenAt.toISOString(), files: loaded.files } } : {}),
      lastScheduledBuildFailed: this.#lastScheduledFailed,
      lastFailure: this.#failure ? { at: this.#failure.at.toISOString(), message: this.#failure.message } : null,
      memory: { rssBytes: process.memoryUsage.rss(), heapUsedBytes: process.memoryUsage().heapUsed },
    };
  }
}

/** A Buffer view of bytes that arrived from the build thread (no copy). */
function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * A file of the feeds folder as served: from memory (its bytes given, or read now) or from disk.
 * Undefined when a file to hold in memory cannot be read (it is then not served).
 */
function servedFile(feedsDir: string, { name, contentType, lastModified, identity, hash }: { name: string; contentType: string; lastModified: Date; identity?: Buffer; hash?: string }): ServedFile | undefined {
  const file = path.join(feedsDir, name);
  if (!isServedFromMemory(name)) return { kind: 'disk', name, contentType, lastModified, path: file };
  let bytes = identity;
  if (bytes === undefined) {
    try {
      bytes = readFileSync(file);
    } catch {
      return undefined;
    }
    hash = undefined;
  }
  return memoryFile({ name, contentType, lastModified, hash: hash ?? contentHash(bytes), identity: bytes });
}
