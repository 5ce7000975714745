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
 * Bad articles are reported, never thrown; an I/O failure throws and leaves the previous files in
 * place (each file is replaced by a rename, and the manifest is written last).
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import { formatProblem, type Problem } from '../content/problems.js';
import type { ArticleRecord } from '../feeds/article-record.js';
import { makeContentModel, updateContentModel, type ContentModel, type FileOutcome } from '../feeds/content-model.js';
import { entryId } from '../feeds/select-articles.js';
import { compareCodePoints } from '../feeds/topics.js';
import { exceedsRemovalLimit, removalLimit } from '../feeds/removal-guard.js';
import type { RemovalCount } from '../feeds/deleted-entries.js';
import { FeedServiceError } from '../errors.js';
import { planFeedDocuments, type DocumentPlan, type DocumentSizes } from '../feeds/feed-documents.js';
import { ALL_TOPICS_PATH, type FeedCollection } from '../feeds/feed-collections.js';
import type { FeedSite } from '../feeds/feed-model.js';
import type { Logger } from '../logger.js';
import { renderBrowserFiles } from '../render/browser-view.js';
import { renderFeedImages } from '../render/feed-images.js';
import { renderIndexHtml, renderOpml } from '../render/feed-index.js';
import { BUDGET_FORMATS, frameSizes } from '../render/render-document.js';
import { cacheStamp, discardBuildCache, inputsDigest, loadBuildCache, saveBuildCache, type BuildCache, type SavedReport, type ScannedFile } from './build-cache.js';
import { CacheIndexUnusable } from './cache-index.js';
import { DiskWriteError } from './disk-write-error.js';
import { eraseEntries, EntryStoreCorrupt, type EntryLocation } from './entry-store.js';
import { readEntryState, writeEntryState } from './entry-state.js';
import { UNKNOWN_CHANGES, type ContentChangeSet } from '../content/watch-content.js';
import { ContentChangedDuringBuild, renderMissingEntries, scanContent, type ContentScan } from './scan-content.js';
import { documentFileNames, writeDocuments, type DocumentFile } from './write-documents.js';
import { FeedsWriter, hasUnfinishedWrite, MANIFEST_NAME, readManifest, removeAbandonedTemporaryFiles, sameMtime, type FeedsManifest, type ManifestFile } from './write-feeds.js';

export { createBuildCache, type BuildCache } from './build-cache.js';
export { UNKNOWN_CHANGES, type ContentChangeSet } from '../content/watch-content.js';

export interface BuildReport {
  readonly startedAt: Date;
  readonly durationMs: number;
  /** Markdown files read from the content folder (including ones unchanged since the last build). */
  readonly filesRead: number;
  /** Files parsed by this build: bytes not seen by an earlier build (of this process or, through the cache, any). */
  readonly filesParsed: number;
  readonly published: number;
  readonly drafts: number;
  readonly scheduled: number;
  readonly nextScheduled?: Date;
  readonly topics: number;
  readonly feeds: number;
  readonly archivePages: number;
  /** Entries announced as deleted (RFC 6721). */
  readonly deleted: number;
  /** Feed documents rendered by this build; the others were unchanged and kept. */
  readonly rendered: number;
  /** Files that were not published because of a problem (each is in `problems`). */
  readonly skipped: number;
  readonly problems: readonly Problem[];
  readonly written: readonly string[];
  readonly unchanged: readonly string[];
  readonly removed: readonly string[];
  /**
   * What the byte budget (FEED_MAX_BYTES) did, when it did anything: how many subscription
   * documents it cut short and by how many of their newest `FEED_MAX_ITEMS` entries in all (in
   * archive pages, or with archives off in no document), and the content files whose entry alone
   * is over the budget (each published alone in a document).
   */
  readonly overBudget?: { readonly feeds: number; readonly entries: number; readonly archived: boolean; readonly oversized: readonly string[] };
  /** Where the time went, in ms: scanning (list, read, parse), the model and planning, rendering entries not yet rendered, writing. */
  readonly stages?: { readonly scanMs: number; readonly modelMs: number; readonly entriesMs: number; readonly writeMs: number };
}

/** A file of the feeds folder after a build: what the server needs to serve it. */
export interface BuiltFile {
  readonly name: string;
  readonly contentType: string;
  /** sha256 of the bytes, base64url, 27 characters. */
  readonly hash: string;
  readonly size: number;
  /** When its bytes last changed (its mtime in the feeds folder). */
  readonly modified: Date;
  /** Its bytes, when the caller asked for them (BuildDependencies.keepBody). */
  readonly body?: Buffer;
}

export interface BuildResult {
  readonly report: BuildReport;
  /** Every file of the feeds folder after the build, sorted by name (made when first read). */
  readonly files: readonly BuiltFile[];
  /** The feeds folder the files are in (absolute). */
  readonly feedsDir?: string;
  /**
   * The files this build wrote or looked at, with the bytes the caller asked for (keepBody);
   * every file when `complete`. A caller that holds the last build's files applies these and
   * `removed` (the build thread's host does).
   */
  readonly changed?: readonly BuiltFile[];
  readonly removed?: readonly string[];
  readonly complete?: boolean;
}

/** A file of the manifest as a BuiltFile (no bytes). */
function builtFile(file: ManifestFile): BuiltFile {
  return { name: file.name, contentType: file.contentType, hash: file.hash, size: file.size, modified: new Date(Math.round(file.mtimeMs)) };
}

/** A result whose `files` are read from the manifest when first asked for. */
function buildResult(
  report: BuildReport,
  manifest: FeedsManifest,
  feedsDir: string,
  delta: { readonly changed: readonly BuiltFile[]; readonly removed: readonly string[]; readonly complete: boolean },
): BuildResult {
  let files: BuiltFile[] | undefined;
  // The manifest's files as they are now (a later partial build changes its map in place).
  const snapshot = [...manifest.files.values()];
  return {
    report,
    feedsDir,
    ...delta,
    get files(): BuiltFile[] {
      if (!files) {
        // With the bytes of the files this build returned them for.
        const given = new Map(delta.changed.filter((file) => file.body).map((file) => [file.name, file]));
        files = snapshot.sort((a, b) => compareCodePoints(a.name, b.name)).map((file) => given.get(file.name) ?? builtFile(file));
      }
      return files;
    },
  };
}

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
  /** Called after each stage (scan, model, entries, write) with its name: bench:profile takes memory there. */
  readonly onStage?: (stage: 'scan' | 'model' | 'entries' | 'write') => void;
}

const ms = (duration: number) => Math.round(duration);

/** Milliseconds since `started` (performance.now()), to the microsecond: monotonic, unlike Date. */
function elapsedMs(started: number): number {
  return Math.round((performance.now() - started) * 1000) / 1000;
}

export async function buildFeeds(dependencies: BuildDependencies): Promise<BuildResult> {
  const { config, logger } = dependencies;
  const stamp = cacheStamp(config);
  const cache = dependencies.cache ?? loadBuildCache(config.stateDir, stamp, logger);
  // Left by a build killed while writing its state or cache (a minute old: not one running now).
  removeAbandonedTemporaryFiles(config.stateDir);
  let result: BuildResult;
  try {
    try {
      result = await buildOnce(dependencies, cache);
    } catch (error) {
      if (error instanceof ContentChangedDuringBuild) {
        // A file changed between the scan and its rendering: once more, with what is there now,
        // and a model made afresh (the entries the cut attempt did not render are not in the
        // changes an update of its model would see).
        logger.info('content changed during the build; building again', { reason: error.message });
        cache.model = undefined;
      } else if (error instanceof EntryStoreCorrupt) {
        // A stored entry is not what was written: nothing of the cache is used, and nothing wrong was written.
        discardBuildCache(cache, logger, `an entry in it is damaged (${error.message})`);
      } else if (error instanceof CacheIndexUnusable) {
        // The part of the index read when first needed did not parse: the same, before anything was written.
        discardBuildCache(cache, logger, error.message);
      } else {
        throw error;
      }
      result = await buildOnce({ ...dependencies, changes: UNKNOWN_CHANGES }, cache);
    }
    // A build that wrote nothing (its files were all as the last build left them) saves here.
    if (dependencies.saveCache !== false && cache.dirty) saveBuildCache(cache, stamp, liveEntryKeys(cache));
  } catch (error) {
    forgetFailedBuild(cache, error, logger);
    throw error;
  }
  return result;
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
  cache.dirty = true;
}

function isInsideFolder(file: string, folder: string): boolean {
  const relative = path.relative(path.resolve(folder), path.resolve(file));
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * Erases the stored entries no article to publish holds any more (removed, made a draft, edited,
 * or a second article with an id already taken), so that nothing of them stays in the cache.
 * Looks at the keys the scan saw go and at articles that lost their id, not at every entry (at
 * a million articles that pass would be most of a one-file rebuild); a model made afresh (a
 * first build) has no such list, and then every entry is looked at.
 */
function eraseDeadEntries(cache: BuildCache, replacedKeys: readonly string[] | undefined, model: ContentModel<ArticleRecord>): void {
  let candidates: Set<string>;
  if (replacedKeys === undefined || model.changes === undefined) {
    candidates = new Set(cache.entries.keys());
  } else {
    candidates = new Set(replacedKeys);
    for (const claimants of model.index.claimants.values()) for (let position = 1; position < claimants.length; position++) candidates.add(claimants[position]!.key);
  }
  for (const key of [...candidates]) if (!cache.entries.has(key)) candidates.delete(key);
  if (candidates.size === 0) return;
  // Kept: an entry some article to publish (now or when due) still holds.
  const nowMs = model.nowMs;
  for (const file of cache.files.values()) {
    if (!candidates.has(file.key) || !file.outcome.ok) continue;
    const article = file.outcome.article;
    if (!article.published) continue;
    const due = article.publishedDateTime.getTime() <= nowMs;
    if (!due || model.index.claimants.get(entryId(article))?.[0] === article) candidates.delete(file.key);
  }
  if (candidates.size === 0) return;
  const dead = [...candidates].map((key) => cache.entries.get(key)!);
  // Forgotten before they are overwritten: an erasure cut short by a failing disk leaves no entry
  // that this process would trust (and copy into a feed) with zeros or half its bytes.
  for (const key of candidates) cache.entries.delete(key);
  cache.dirty = true;
  eraseEntries(cache.entriesDir, dead);
}

/**
 * The feeds folder's manifest as its files stand: the snapshot's size plus its journal's, and the
 * later of their mtimes; undefined when there is none. (With the journal: a build whose manifest
 * change was an append, or one whose append was taken back, changes it too.)
 */
function manifestStat(feedsDir: string): { size: number; mtimeMs: number } | undefined {
  let stats;
  try {
    stats = statSync(path.join(feedsDir, MANIFEST_NAME));
  } catch {
    return undefined;
  }
  const journal = statSync(path.join(feedsDir, `${MANIFEST_NAME}.journal`), { throwIfNoEntry: false });
  return { size: stats.size + (journal?.size ?? 0), mtimeMs: Math.max(stats.mtimeMs, journal?.mtimeMs ?? 0) };
}

/** The report of a build that changed nothing, from a saved report. */
function unchangedReport(saved: SavedReport, startedAt: Date, durationMs: number, names: readonly string[]): BuildReport {
  // The saved stages are the last build's, not this one's: left out.
  const { nextScheduled, stages: _stages, ...rest } = saved;
  return {
    ...rest,
    startedAt,
    durationMs,
    filesParsed: 0,
    rendered: 0,
    ...(nextScheduled ? { nextScheduled: new Date(nextScheduled) } : {}),
    written: [],
    unchanged: names,
    removed: [],
  };
}

/**
 * Content keys whose entries the cache keeps: those of the articles to publish, now or when due;
 * undefined (every entry) when no build of this process made a selection.
 */
export function liveEntryKeys(cache: BuildCache): Set<string> | undefined {
  const selection = cache.model?.selection;
  if (!selection) return undefined;
  const keys = new Set<string>();
  for (const record of selection.publishable) keys.add(record.key);
  for (const record of selection.scheduled) keys.add(record.key);
  return keys;
}

async function buildOnce(dependencies: BuildDependencies, cache: BuildCache): Promise<BuildResult> {
  const { config, logger, clock = () => new Date(), changes = UNKNOWN_CHANGES, keepBody, hasBody, onStage } = dependencies;
  const startedAt = clock();
  const started = performance.now();
  const scan = await scanContent(config, cache, changes, { renderEntries: config.site.archives });
  const scanned = performance.now();
  onStage?.('scan');

  // The caller must already hold every file it keeps the bytes of: they are not rendered again.
  const held = (file: { name: string; hash: string }) => keepBody?.(file.name) !== true || hasBody?.(file.name, file.hash) === true;

  // Nothing changed since the last build, and nothing it depends on has come due: its files are
  // still right, so nothing is grouped, rendered or written (the usual scheduled rebuild).
  const last = cache.last;
  const problemsKey = JSON.stringify(scan.problems);
  if (
    last &&
    scan.filesParsed === 0 &&
    startedAt.getTime() < last.validUntil &&
    problemsKey === last.problems &&
    sameFiles(scan.files, last.files) &&
    last.result.files.every(held) &&
    !hasUnfinishedWrite(config.feedsDir)
  ) {
    const { stages: _stages, ...lastReport } = last.result.report;
    const report: BuildReport = {
      ...lastReport,
      startedAt,
      durationMs: elapsedMs(started),
      filesParsed: 0,
      rendered: 0,
      written: [],
      unchanged: last.result.files.map((file) => file.name),
      removed: [],
    };
    return { ...last.result, report, changed: [], removed: [], complete: false, files: last.result.files };
  }

  // The same, for the build a previous process saved with the cache (the next CI run; a restarted
  // server builds its model instead, see warmModel).
  const saved = last || dependencies.warmModel ? undefined : cache.lastBuild;
  // A build killed while writing leaves its claims file: the folder may then hold part of it.
  if (saved && saved.inputs === inputsDigest(scan.files, problemsKey) && startedAt.getTime() < saved.validUntil && !hasUnfinishedWrite(config.feedsDir)) {
    const manifest = manifestStat(config.feedsDir);
    const files = manifest && manifest.size === saved.manifest.size && sameMtime(saved.manifest.mtimeMs, manifest.mtimeMs) ? readManifest(config.feedsDir) : undefined;
    if (files && [...files.files.values()].every(held)) {
      const report = unchangedReport(saved.report, startedAt, elapsedMs(started), [...files.files.keys()].sort());
      return buildResult(report, files, path.resolve(config.feedsDir), { changed: [...files.files.values()].map(builtFile), removed: [], complete: true });
    }
  }

  // The state file is read once per process; after that the last build's state is current.
  const previousState = cache.state ?? readEntryState(config.stateDir);
  const results: FileOutcome<ArticleRecord>[] = scan.files.map((file) => file.outcome);
  const model =
    updateContentModel(cache.model, results, startedAt, previousState, config.deletedEntryDays) ??
    makeContentModel(results, startedAt, previousState, config.deletedEntryDays);
  // Held back like any failed build: forgetFailedBuild drops the model and the state, which the
  // incremental path changed in place, so the next build starts from the state on disk.
  if (!config.removalGuard.allow && exceedsRemovalLimit(model.tracked.removal, config.removalGuard)) throw massRemovalRefused(model.tracked.removal, config);
  cache.model = model;
  const modelled = performance.now();
  onStage?.('model');
  // Documents are cut by their entries' byte sizes (FEED_MAX_BYTES), so every entry a document may
  // hold is rendered before planning: with archives off only these were not rendered while parsing.
  await renderMissingEntries(config, cache, entriesToPlan(model, config.site));
  const rendered = performance.now();
  onStage?.('entries');
  const plans = planFeedDocuments(model.collections, config.site, { tombstones: model.tracked.tombstones, memo: cache.plans, sizes: storedSizes(cache) });
  const overBudget = budgetReport(plans, cache, config, logger);
  const planned = performance.now();

  // A rebuild in a process whose last build finished writes only what changed (a partial write).
  const partial = cache.written !== undefined && cache.feedsFolderSwept === true;
  const writer = new FeedsWriter(config.feedsDir, cache.written, { sweep: !partial });
  cache.feedsFolderSwept = false;
  // Until settled, every file this build puts in the feeds folder can be taken back: a failure
  // writing a feed, the manifest, the entry state or the cache index (ENOSPC, EIO, EACCES…)
  // leaves the folder exactly as the last good build left it.
  let result: BuildResult;
  try {
    const indexed = plans.map((plan) => ({ ...plan.document, entryCount: plan.articles.length }));
    const extras = [...renderBrowserFiles(), ...renderFeedImages(), renderOpml(indexed, config.site), renderIndexHtml(indexed, config.site)];
    writer.claim([...documentFileNames(partial ? plans.filter((plan) => !cache.writtenPlans.has(plan)) : plans), ...extras.map((file) => file.name)]);
    const documents = writeDocuments(writer, plans, cache, { keepBody, hasBody, partial });
    const extraFiles: DocumentFile[] = extras.map((file) => {
      const bytes = typeof file.body === 'string' ? Buffer.from(file.body, 'utf8') : file.body;
      const written = writer.write(file.name, file.contentType, bytes);
      return keepBody?.(file.name) ? { ...written, body: bytes } : written;
    });
    const { manifest, removed } = writer.finish({ complete: !partial });
    cache.written = manifest;
    cache.feedsFolderSwept = !writer.leftTemporaryFiles;
    eraseDeadEntries(cache, scan.replacedKeys, model);
    const { tracked } = model;
    if (tracked.changed || cache.state === undefined) writeEntryState(config.stateDir, tracked.state, cache.state === undefined ? undefined : tracked.changedIds);
    cache.state = tracked.state;

    const wrote = performance.now();
    onStage?.('write');
    const touched = [...documents.files, ...extraFiles];
    const problems = [...scan.problems, ...model.problems];
    for (const problem of problems) {
      logger.warn(formatProblem(problem, config.contentDir).join('\n'), { code: problem.code, file: problem.file, issues: problem.issues });
    }
    const { selection, collections } = model;
    const written = touched.filter((file) => file.changed).map((file) => file.name);
    const writtenSet = new Set(written);
    const report: BuildReport = {
      startedAt,
      durationMs: elapsedMs(started),
      filesRead: scan.files.length,
      filesParsed: scan.filesParsed,
      published: selection.publishable.length,
      drafts: selection.drafts.length,
      scheduled: selection.scheduled.length,
      nextScheduled: model.nextScheduled,
      topics: collections.filter((collection) => collection.kind === 'topic' && collection.articles.length > 0).length,
      feeds: plans.filter((plan) => plan.document.archive === undefined).length,
      archivePages: plans.filter((plan) => plan.document.archive !== undefined).length,
      deleted: tracked.deleted,
      rendered: documents.rendered,
      skipped: problems.filter((problem) => problem.file !== undefined).length,
      problems,
      written,
      unchanged: [...manifest.files.keys()].filter((name) => !writtenSet.has(name)),
      removed,
      ...(overBudget ? { overBudget } : {}),
      stages: { scanMs: ms(scanned - started), modelMs: ms(modelled - scanned + (planned - rendered)), entriesMs: ms(rendered - modelled), writeMs: ms(wrote - planned) },
    };
    const feedsDir = path.resolve(config.feedsDir);
    const changed = touched.map((file): BuiltFile => ({ ...builtFile(file), ...(file.body ? { body: file.body } : {}) }));
    result = buildResult(report, manifest, feedsDir, { changed, removed, complete: !partial });
    // Bytes are returned once, not kept: the caller has them.
    cache.last = {
      result: buildResult(report, manifest, feedsDir, { changed: [], removed: [], complete: false }),
      files: scan.files,
      problems: problemsKey,
      validUntil: model.validUntil,
    };
    const { startedAt: _startedAt, nextScheduled, written: _written, unchanged: _unchanged, removed: _removed, ...kept } = report;
    cache.finishedBuild = {
      files: scan.files,
      problems: problemsKey,
      validUntil: Math.min(model.validUntil, Number.MAX_SAFE_INTEGER),
      report: { ...kept, ...(nextScheduled ? { nextScheduled: nextScheduled.toISOString() } : {}) },
      manifest: manifestStat(config.feedsDir) ?? { size: -1, mtimeMs: -1 },
    };
    cache.dirty = true;
    // Saved before the build is settled: a cache index that cannot be written fails the build too.
    if (dependencies.saveCache !== false) saveBuildCache(cache, cacheStamp(config), liveEntryKeys(cache));
  } catch (error) {
    if (!writer.rollback()) logger.error('the feeds folder could not be put back as the last good build left it; the next build repairs it', { feedsDir: config.feedsDir, error });
    // What this attempt recorded of the folder describes files that were taken back (a second
    // attempt after ContentChangedDuringBuild must not keep them): read from disk again.
    cache.written = undefined;
    cache.forgetDocuments();
    cache.writtenPlans = new WeakSet();
    throw error;
  }
  const left = writer.settle();
  if (left > 0) logger.warn(`${left} file(s) of the feeds folder could not be removed; the next build removes them`, { feedsDir: config.feedsDir });
  return result;
}

/** The error of a build held back by the removal guard: what it would do, and what to do about it. */
function massRemovalRefused({ before, removed }: RemovalCount, config: Config): FeedServiceError {
  const { percent, minimum } = config.removalGuard;
  const limit = removalLimit(before, config.removalGuard);
  return new FeedServiceError(
    'MASS_REMOVAL_REFUSED',
    `Not published: this build would remove ${removed} of the ${before} published entries, more than the limit of ${limit} ` +
      `(the larger of REMOVAL_LIMIT_PERCENT=${percent}% and REMOVAL_LIMIT_ENTRIES=${minimum}). Nothing was written and no deletion was announced; ` +
      `the last feeds stay served. Check that CONTENT_DIR (${path.resolve(config.contentDir)}) is the right folder and fully mounted. ` +
      `If the removal is intended, build once with ALLOW_MASS_REMOVAL=true (or npm run build:feeds -- --allow-mass-removal).`,
    { details: { wouldRemove: removed, published: before, limit } },
  );
}

/**
 * The articles whose entries planning measures and that must therefore be rendered: with archives
 * off, the newest FEED_MAX_ITEMS of each collection; with archives on, every published one (each
 * is in the all-topics collection). An updated model narrows the latter to what changed: with
 * archives on the scan renders each published article's entry as it parses it, and an entry
 * goes only with its article (eraseDeadEntries: removed, edited, made a draft, or a second
 * claimant of an id) or with the whole cache (then the model is made afresh). So only a changed
 * article, or a claimant of an id a change touched (a second claimant that now wins it), can lack
 * one: at a million articles this is not a pass over every article on each edit.
 */
function entriesToPlan(model: ContentModel<ArticleRecord>, site: FeedSite): { readonly articles: readonly ArticleRecord[] }[] {
  if (!site.archives) return model.collections.map((collection) => ({ articles: collection.articles.slice(0, site.maxItems) }));
  if (model.changes === undefined) return model.collections.filter((collection) => collection.path === ALL_TOPICS_PATH);
  const articles: ArticleRecord[] = [];
  for (const { before, after } of model.changes) {
    for (const outcome of [before, after]) if (outcome?.ok) articles.push(...(model.index.claimants.get(entryId(outcome.article)) ?? []));
  }
  return [{ articles }];
}

/** Documents' frames as rendered, and entries' sizes as stored (entry-store.ts: rss, atom, json first). */
function storedSizes(cache: BuildCache): DocumentSizes<ArticleRecord> {
  return {
    frame: frameSizes,
    entry: (article) => {
      const location = cache.entries.get(article.key);
      if (!location) throw new Error(`no rendered entry for ${article.file}`);
      return location.lengths;
    },
  };
}

/** What the budget did (see BuildReport.overBudget), logged: a warning for what readers miss or may refuse. */
function budgetReport(plans: readonly DocumentPlan<ArticleRecord>[], cache: BuildCache, config: Config, logger: Logger): BuildReport['overBudget'] {
  const { archives, maxBytes, maxItems } = config.site;
  let feeds = 0;
  let entries = 0;
  const oversized = new Map<string, { readonly key: string; readonly paths: string[] }>();
  for (const plan of plans) {
    if (plan.overBudget) {
      feeds++;
      entries += plan.overBudget;
      if (!archives) {
        logger.warn(`${config.feedsDir}/${plan.document.path}: ${plan.overBudget} of its newest ${maxItems} entries left out to stay under FEED_MAX_BYTES (${maxBytes} bytes); with FEED_ARCHIVES=true they would be in archive pages`, {
          feed: plan.document.path,
          entries: plan.overBudget,
        });
      }
    }
    if (plan.oversized) {
      const { file, key } = plan.articles[0]!;
      const known = oversized.get(file) ?? { key, paths: [] };
      known.paths.push(plan.document.path);
      oversized.set(file, known);
    }
  }
  for (const [file, { key, paths }] of oversized) {
    const bytes = Math.max(...cache.entries.get(key)!.lengths.slice(0, BUDGET_FORMATS.length));
    logger.warn(`${path.join(config.contentDir, file)}: its entry alone (${bytes} bytes) is over FEED_MAX_BYTES (${maxBytes} bytes); published alone in ${paths.map((name) => `${config.feedsDir}/${name}`).join(', ')}`, { file, bytes, feeds: paths });
  }
  if (feeds === 0 && oversized.size === 0) return undefined;
  if (archives && feeds > 0) logger.info(`${entries} entries of ${feeds} feed(s) moved to archive pages to stay under FEED_MAX_BYTES (${maxBytes} bytes)`, { feeds, entries });
  return { feeds, entries, archived: archives, oversized: [...oversized.keys()] };
}

/** Whether two scans hold the same files with the same bytes, in order. */
function sameFiles(a: readonly ScannedFile[], b: readonly ScannedFile[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) if (a[index]!.file !== b[index]!.file || a[index]!.key !== b[index]!.key) return false;
  return true;
}
