/**
 * The one build: content/ → feeds/ → render/ → the feeds folder. The CLI, the server's build
 * thread and the tests call this; nothing else writes feeds.
 *
 *  1. scan (scan-content.ts): list the content folder; read, hash and parse only what the cache
 *     (build-cache.ts) does not already know, on every core; with archives on, render each new
 *     article's entry in the same pass, into the entry store;
 *  2. model (feeds/): select, order, group and track deletions, over small ArticleRecords;
 *  3. render the entries the scan did not (with archives off, those of subscription feeds), then
 *     plan every document (subscription feeds and RFC 5005 archive pages), cut by FEED_MAX_ITEMS
 *     and by the entries' byte sizes (FEED_MAX_BYTES);
 *  4. write (write-documents.ts): each document assembled from its entries' stored bytes and
 *     written at once, one at a time, unless it is unchanged; then the indexes and the manifest.
 *
 * This module is the scan and the shortcuts for a build with nothing to do; steps 2-4 are in
 * make-feeds.ts, loaded (with the parsers, renderers and the `feed` package) only when a build has
 * work, so that a run that finds nothing changed starts in a fraction of the time.
 *
 * Bad articles are reported, never thrown; an I/O failure throws and leaves the previous files in
 * place (each file is replaced by a rename, and the manifest is written last).
 */
import path from 'node:path';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { cacheStamp, discardBuildCache, INDEX_BYTES_PER_FILE, inputsDigest, liveEntryKeys, loadBuildCache, peekLastBuild, savedIndexBytes, saveBuildCache, type BuildCache, type CacheStamp, type SavedBuild, type SavedReport, type ScannedFile } from './build-cache.js';
import { buildResult, builtFile, elapsedMs, everyFile, fileCount, keptBuildResult, manifestStat, unchangedBuildResult, type BuildReport, type BuildResult } from './build-result.js';
import { CacheIndexUnusable } from './cache-index.js';
import { BuildStopped, throwIfStopped } from './build-stopped.js';
import { assertFolderSetting, DiskWriteError } from './disk-write-error.js';
import { EntryStoreCorrupt } from './entry-store.js';
import { UNKNOWN_CHANGES, type ContentChangeSet } from '../content/watch-content.js';
import { ContentChangedDuringBuild, dropSurvey, listingPrint, scanContent, surveyContent, type ContentSurvey } from './scan-content.js';
import { scanProgressLog } from './scan-progress.js';
import { PARALLEL_THRESHOLD } from './stat-threads.js';
import { folderCounts, hasUnfinishedWrite, noListedFileGone, readManifest, removeAbandonedTemporaryFiles, sameMtime, type FeedsManifest } from './write-feeds.js';

export { createBuildCache, type BuildCache } from './build-cache.js';
export { UNKNOWN_CHANGES, type ContentChangeSet } from '../content/watch-content.js';
export type { BuildReport, BuildResult, BuiltFile } from './build-result.js';

export interface BuildDependencies {
  readonly config: Config;
  readonly logger: Logger;
  readonly clock?: () => Date;
  /**
   * Kept between builds by a long-running process. Without one, the build loads the cache that
   * the last build saved in STATE_DIR (or starts empty) and saves it again at the end.
   */
  readonly cache?: BuildCache;
  /** What a file watcher saw since the last build (default: anything may have changed). */
  readonly changes?: ContentChangeSet;
  /** Which written files' bytes to return in BuildResult.files (the server keeps subscription feeds). */
  readonly keepBody?: (name: string) => boolean;
  /** Whether the caller holds these bytes already (so an unchanged document is not rendered to give them). */
  readonly hasBody?: (name: string, hash: string) => boolean;
  /** Save the cache to STATE_DIR at the end (default true); the server saves it after answering. */
  readonly saveCache?: boolean;
  /**
   * The caller keeps `cache` for the builds to come (the server): build the content model even
   * when the saved last build shows nothing changed, so that the first change after a restart is
   * as quick as any (without it, that change would build the model from scratch). The CLI leaves
   * it off: a run with nothing to do then only scans.
   */
  readonly warmModel?: boolean;
  /**
   * Documents a build renders on its own before a document write thread joins in with the new
   * files (write-threads.ts; default 200). Tests give 0 to use it on small content.
   */
  readonly writeThreadAfter?: number;
  /** Called after each stage (scan, model, entries, write) with its name: bench:profile takes memory there. */
  readonly onStage?: (stage: 'scan' | 'model' | 'entries' | 'write') => void;
  /**
   * Aborted: the build stops at the next point before it puts a file in place (build-stopped.ts)
   * and throws BuildStopped, keeping in the cache what it read, parsed and rendered (saved here
   * unless `saveCache` is false, when the caller saves it).
   */
  readonly stop?: AbortSignal;
}

export async function buildFeeds(dependencies: BuildDependencies): Promise<BuildResult> {
  const { config, logger } = dependencies;
  assertFolderSetting(config.stateDir, 'STATE_DIR');
  assertFolderSetting(config.feedsDir, 'FEEDS_DIR');
  const stamp = cacheStamp(config);
  // A new process lists the content folder and starts its stats on a helper thread first, and
  // loads its cache meanwhile (at 100k files each takes about 0.2 s).
  const indexBytes = dependencies.cache ? undefined : savedIndexBytes(config.stateDir);
  const survey = dependencies.cache ? undefined : surveyContent(config.contentDir, indexBytes !== undefined, { manyFiles: (indexBytes ?? 0) >= PARALLEL_THRESHOLD * INDEX_BYTES_PER_FILE });
  if (survey && !dependencies.warmModel) {
    let unchanged: BuildResult | undefined;
    try {
      unchanged = await unchangedSinceSavedBuild(dependencies, stamp, survey);
    } catch (error) {
      dropSurvey(survey);
      throw error;
    }
    if (unchanged) {
      removeAbandonedTemporaryFiles(config.stateDir);
      return unchanged;
    }
  }
  let cache: BuildCache;
  try {
    cache = dependencies.cache ?? loadBuildCache(config.stateDir, stamp, logger);
  } catch (error) {
    dropSurvey(survey);
    throw error;
  }
  // Left by a build killed while writing its state or cache (a minute old: not one running now).
  removeAbandonedTemporaryFiles(config.stateDir);
  let result: BuildResult;
  try {
    try {
      result = await buildOnce(dependencies, cache, stamp, survey);
    } catch (error) {
      if (error instanceof ContentChangedDuringBuild) {
        // A file changed between the scan and its rendering: once more, with what is there now,
        // and a model made afresh (the entries the cut attempt did not render are not in the
        // changes an update of its model would see). Nor is the last build compared with: a
        // watcher's rescan changed its list of files in place (the file may be back as the scan
        // saw it, and the next scan then finds nothing new).
        logger.info('content changed during the build; building again', { reason: error.message });
        cache.model = undefined;
        cache.last = undefined;
        cache.finishedBuild = undefined;
      } else if (error instanceof EntryStoreCorrupt) {
        // A stored entry is not what was written: nothing of the cache is used, and nothing wrong was written.
        discardBuildCache(cache, logger, `an entry in it is damaged (${error.message})`);
      } else if (error instanceof CacheIndexUnusable) {
        // The part of the index read when first needed did not parse: the same, before anything was written.
        discardBuildCache(cache, logger, error.message);
      } else {
        throw error;
      }
      result = await buildOnce({ ...dependencies, changes: UNKNOWN_CHANGES }, cache, stamp);
    }
    // A build that wrote nothing (its files were all as the last build left them) saves here.
    if (dependencies.saveCache !== false && cache.dirty) {
      try {
        saveBuildCache(cache, stamp, liveEntryKeys(cache));
      } catch (error) {
        // The saved index's rest, copied as it was, failed its checksum: this build did not use
        // it (its files are right), the next one starts without a cache.
        if (!(error instanceof CacheIndexUnusable)) throw error;
        discardBuildCache(cache, logger, error.message);
      }
    }
  } catch (error) {
    if (error instanceof BuildStopped) {
      keepStoppedBuild(cache);
      if (dependencies.saveCache !== false && cache.dirty) saveBuildCache(cache, stamp, liveEntryKeys(cache));
    } else {
      forgetFailedBuild(cache, error, logger);
    }
    throw error;
  }
  return result;
}

/**
 * After a build stopped before it put a file in place (BuildStopped), the cache keeps what the build read,
 * parsed and rendered, and the last finished build, which is still what the feeds folder holds.
 * What the stopped build had made of them in memory goes (the model, the entry state it changed
 * in place, its plans, the scan's list, which may be partial), so that a later build of this
 * process scans everything and makes them afresh.
 */
function keepStoppedBuild(cache: BuildCache): void {
  cache.last = undefined;
  cache.lastScan = undefined;
  cache.model = undefined;
  cache.state = undefined;
  cache.pageEdges = undefined;
  cache.plans.clear();
  cache.writtenPlans = new WeakSet();
}

/**
 * After a failed build, nothing the cache learnt from it is kept: the feeds folder is as the last
 * good build left it (the build took its files back) or, after a double fault, holds part of
 * one, and the entry state on disk is the last one written. The next build reads the manifest
 * and the state again, makes the model afresh, and compares every document by its bytes
 * (fingerprints recorded for files that never became visible would keep old files). A write
 * that failed in the cache's own folder (a segment or the index cut short by ENOSPC; from a
 * parse thread it arrives as a plain Error with the same message) may have left entries that are
 * not what their locations say: the cache is discarded with a warning. Any other failure (an
 * unreadable content folder, say) keeps the parses and rendered entries.
 */
function forgetFailedBuild(cache: BuildCache, error: unknown, logger: Logger): void {
  const inCache =
    error instanceof DiskWriteError ? isInsideFolder(error.file, cache.entriesDir) : error instanceof Error && error.message.startsWith(`cannot write ${path.join(cache.entriesDir, path.sep)}`);
  if (inCache) {
    try {
      discardBuildCache(cache, logger, `the build that used it failed (${error instanceof Error ? error.message : String(error)})`);
    } catch (discardError) {
      logger.warn('build cache could not be removed; the next build checks it again', { error: discardError });
    }
  }
  cache.last = undefined;
  cache.lastBuild = undefined;
  cache.finishedBuild = undefined;
  cache.written = undefined;
  cache.writtenPlans = new WeakSet();
  cache.feedsFolderSwept = false;
  cache.forgetDocuments();
  cache.plans.clear();
  cache.model = undefined;
  cache.state = undefined;
  cache.pageEdges = undefined;
  cache.dirty = true;
}

function isInsideFolder(file: string, folder: string): boolean {
  const relative = path.relative(path.resolve(folder), path.resolve(file));
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}


/** Whether the feeds folder holds its manifest and every file `written` (its files as this process last wrote them) lists. */
function feedsFolderWhole(feedsDir: string, written: FeedsManifest): boolean {
  const manifest = manifestStat(feedsDir);
  return manifest !== undefined && noListedFileGone(feedsDir, folderCounts(written), manifest.mtimeMs);
}

/** The report of a build that changed nothing, from a saved report. */
function unchangedReport(saved: SavedReport, startedAt: Date, durationMs: number, unchanged: number): BuildReport {
  // The saved stages are the last build's, not this one's: left out.
  const { nextScheduled, stages: _stages, ...rest } = saved;
  return {
    ...rest,
    startedAt,
    durationMs,
    filesParsed: 0,
    rendered: 0,
    renderedByWriteThread: 0,
    ...(nextScheduled ? { nextScheduled: new Date(nextScheduled) } : {}),
    written: [],
    unchanged,
    removed: [],
  };
}

async function buildOnce(dependencies: BuildDependencies, cache: BuildCache, stamp: CacheStamp, survey?: ContentSurvey): Promise<BuildResult> {
  const { config, logger, clock = () => new Date(), changes = UNKNOWN_CHANGES, onStage } = dependencies;
  const startedAt = clock();
  const started = performance.now();
  const scan = await scanContent(config, cache, changes, { renderEntries: config.site.archives.length > 0, onProgress: scanProgressLog(logger), stop: dependencies.stop }, survey);
  const scanned = performance.now();
  onStage?.('scan');
  throwIfStopped(dependencies.stop);

  // The caller must already hold every file it keeps the bytes of: they are not rendered again.
  const bodies = heldBodies(dependencies);
  const held = bodies ?? (() => true);

  // Nothing changed since the last build, and nothing it depends on has come due: its files are
  // still right, so nothing is grouped, rendered or written (the usual scheduled rebuild).
  const last = cache.last;
  const problemsKey = JSON.stringify(scan.problems);
  const nothingChanged =
    last !== undefined &&
    scan.filesParsed === 0 &&
    startedAt.getTime() < last.validUntil &&
    problemsKey === last.problems &&
    // A watcher's rescan changes the last scan's list in place: its changes tell.
    (scan.knownChanges ? scan.knownChanges.changes.length === 0 : sameFiles(scan.files, last.files)) &&
    everyFile(last.result, held) &&
    !hasUnfinishedWrite(config.feedsDir);
  // A build that rescans everything (the schedule: the safety net) also looks at the feeds folder's
  // folders, to find a file deleted under this process since its last build; a watcher's build,
  // which names its changes, does not.
  const folderWhole = changes.kind !== 'unknown' || cache.written === undefined || feedsFolderWhole(config.feedsDir, cache.written);
  if (nothingChanged && folderWhole) {
    const { stages: _stages, ...lastReport } = last.result.report;
    const report: BuildReport = {
      ...lastReport,
      startedAt,
      durationMs: elapsedMs(started),
      filesParsed: 0,
      rendered: 0,
      renderedByWriteThread: 0,
      written: [],
      unchanged: fileCount(last.result),
      removed: [],
    };
    return unchangedBuildResult(last.result, report);
  }

  if (!folderWhole) {
    // A file of the feeds folder went since the last build: this one looks at each file on disk
    // instead of trusting what it wrote last, and writes it again.
    cache.writtenPlans = new WeakSet();
    cache.feedsFolderSwept = false;
  }

  // The same, for the build a previous process saved with the cache (the next CI run; a restarted
  // server builds its model instead, see warmModel), when its listing print could not tell.
  const saved = last || dependencies.warmModel ? undefined : cache.lastBuild;
  if (saved && saved.inputs === inputsDigest(scan.files, problemsKey) && startedAt.getTime() < saved.validUntil) {
    const kept = savedBuildKept(config.feedsDir, saved, startedAt, started, bodies);
    if (kept) {
      // The saved build had no listing print (a file had changed moments before it was read, as
      // after a checkout or a copy) or another one (files touched, bytes the same): this scan's,
      // if settled, is saved with it, so that the next process with nothing to do need not load
      // the cache (unchangedSinceSavedBuild, above). Otherwise every later run loaded it.
      const listing = scan.settledListing?.();
      if (listing !== undefined && listing !== saved.listing) {
        cache.lastBuild = { ...saved, listing };
        cache.dirty = true;
      }
      return kept;
    }
  }

  const { makeFeeds } = await import('./make-feeds.js');
  return makeFeeds(dependencies, cache, { scan, stamp, startedAt, started, scanned, problemsKey, held });
}


/**
 * A new process's build when the content folder lists and stats as the saved build found it (its
 * listing print, scan-content.ts) and nothing has come due since: the saved build's files, from
 * the feeds folder's manifest if that is as the build left it, without loading the cache's
 * index (at 100k files its file rows take about a quarter of a second to load). Undefined
 * otherwise, and the build goes the usual way (its stats already taken: the cache then loads
 * after them, not meanwhile).
 */
async function unchangedSinceSavedBuild(dependencies: BuildDependencies, stamp: CacheStamp, survey: ContentSurvey): Promise<BuildResult | undefined> {
  const { config, logger, clock = () => new Date() } = dependencies;
  const startedAt = clock();
  const started = performance.now();
  if (!('stats' in survey)) return undefined;
  const saved = peekLastBuild(config.stateDir, stamp);
  if (saved?.listing === undefined || startedAt.getTime() >= saved.validUntil) return undefined;
  if (listingPrint(survey.candidates, await survey.stats.take()) !== saved.listing) return undefined;
  const kept = savedBuildKept(config.feedsDir, saved, startedAt, started, heldBodies(dependencies));
  if (kept) logger.debug('nothing changed since the saved build: its files stand, the cache was not loaded', { feedsDir: config.feedsDir });
  return kept;
}

/** Whether the caller already holds a file's bytes, for each file it keeps the bytes of; undefined when it keeps none. */
function heldBodies({ keepBody, hasBody }: BuildDependencies): HeldBodies | undefined {
  return keepBody && ((file) => keepBody(file.name) !== true || hasBody?.(file.name, file.hash) === true);
}

type HeldBodies = (file: { readonly name: string; readonly hash: string }) => boolean;

/**
 * The saved build's result, if the feeds folder is as it left it: no claims file of a build
 * killed while writing, the manifest of the size and mtime it wrote, no file it lists gone from
 * the folders (one deleted by hand is written again by the usual way), and every file the caller
 * keeps the bytes of (`held`, when it keeps any) held already. When it keeps none, the manifest
 * is read only if the caller looks at the files.
 */
function savedBuildKept(feedsDir: string, saved: SavedBuild, startedAt: Date, started: number, held: HeldBodies | undefined): BuildResult | undefined {
  if (hasUnfinishedWrite(feedsDir) || saved.folders === undefined) return undefined;
  const manifest = manifestStat(feedsDir);
  if (!manifest || manifest.size !== saved.manifest.size || !sameMtime(saved.manifest.mtimeMs, manifest.mtimeMs)) return undefined;
  if (!noListedFileGone(feedsDir, saved.folders, manifest.mtimeMs)) return undefined;
  if (!held && saved.manifest.files !== undefined) {
    return keptBuildResult(unchangedReport(saved.report, startedAt, elapsedMs(started), saved.manifest.files), path.resolve(feedsDir), () => readManifest(feedsDir));
  }
  const files = readManifest(feedsDir);
  if (!files || (held && ![...files.files.values()].every(held))) return undefined;
  const report = unchangedReport(saved.report, startedAt, elapsedMs(started), files.files.size);
  return buildResult(report, files, path.resolve(feedsDir), { changed: [...files.files.values()].map(builtFile), removed: [], complete: true });
}

/** Whether two scans hold the same files with the same bytes, in order. */
function sameFiles(a: readonly ScannedFile[], b: readonly ScannedFile[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) if (a[index]!.file !== b[index]!.file || a[index]!.key !== b[index]!.key) return false;
  return true;
}
