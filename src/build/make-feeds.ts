/**
 * The rest of a build, once the scan (build-feeds.ts) found something to do: the model, the
 * entries it still lacks, the plans, and the feeds folder written. Loaded when first needed, with
 * the parsers, renderers and the `feed` package behind it: a run that finds nothing changed (the
 * next CI run with the cache kept) never loads them.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Config } from '../config.js';
import { formatProblem } from '../content/problems.js';
import type { ArticleRecord } from '../feeds/article-record.js';
import { losingClaimants, makeContentModel, updateContentModel, type ContentModel } from '../feeds/content-model.js';
import type { EntryState, RemovalCount } from '../feeds/deleted-entries.js';
import { ALL_TOPICS_PATH } from '../feeds/feed-collections.js';
import { planFeeds, type DocumentPlan, type DocumentSizes } from '../feeds/feed-documents.js';
import { FEED_KIND_NAMES, type FeedSite } from '../feeds/feed-model.js';
import { exceedsRemovalLimit, removalLimit } from '../feeds/removal-guard.js';
import { entryId } from '../feeds/select-articles.js';
import { FeedServiceError } from '../errors.js';
import type { Logger } from '../logger.js';
import { renderBrowserFiles } from '../render/browser-view.js';
import { renderFeedImages } from '../render/feed-images.js';
import { renderIndexHtml, renderOpml } from '../render/feed-index.js';
import { BUDGET_FORMATS, frameSizes } from '../render/render-document.js';
import { liveEntryKeys, saveBuildCache, type BuildCache, type CacheStamp } from './build-cache.js';
import type { BuildDependencies } from './build-feeds.js';
import { buildResult, builtFile, elapsedMs, manifestStat, ms, type BuildReport, type BuildResult, type BuiltFile } from './build-result.js';
import { throwIfStopped } from './build-stopped.js';
import { eraseEntries } from './entry-store.js';
import { readEntryState, writeEntryState } from './entry-state.js';
import { readPageEdges, writePageEdges } from './page-state.js';
import { renderMissingEntries, type ContentScan } from './scan-content.js';
import { documentFileNames, writeDocuments, type DocumentFile } from './write-documents.js';
import { FeedsWriter } from './write-feeds.js';

/** What the scan leaves the rest of the build. */
export interface ScanDone {
  readonly scan: ContentScan;
  /** The code and configuration the build runs under (buildFeeds has it already). */
  readonly stamp: CacheStamp;
  readonly startedAt: Date;
  /** performance.now() when the build started, and when its scan ended. */
  readonly started: number;
  readonly scanned: number;
  /** The scan's problems as JSON (what the next build compares). */
  readonly problemsKey: string;
  /** Whether the caller already holds a file it keeps the bytes of (so it need not be rendered again). */
  readonly held: (file: { name: string; hash: string }) => boolean;
}

export async function makeFeeds(dependencies: BuildDependencies, cache: BuildCache, { scan, stamp, startedAt, started, scanned, problemsKey, held }: ScanDone): Promise<BuildResult> {
  const { config, logger, keepBody, hasBody, onStage } = dependencies;
  // The state file is read once per process; after that the last build's state is current.
  const previousState = cache.state ?? readStateWarned(config, logger);
  const lastModel = cache.model;
  const model =
    updateContentModel(cache.model, scan.files, startedAt, previousState, config.deletedEntryDays, scan.knownChanges) ??
    makeContentModel(scan.files, startedAt, previousState, config.deletedEntryDays);
  // Held back like any failed build: forgetFailedBuild drops the model and the state, which the
  // incremental path changed in place, so the next build starts from the state on disk.
  if (!config.removalGuard.allow && exceedsRemovalLimit(model.tracked.removal, config.removalGuard)) throw massRemovalRefused(model.tracked.removal, config);
  cache.model = model;
  const modelled = performance.now();
  onStage?.('model');
  throwIfStopped(dependencies.stop);
  // Documents are cut by their entries' byte sizes (FEED_MAX_BYTES), so every entry a document may
  // hold is rendered before planning: with archives off only these were not rendered while parsing.
  await renderMissingEntries(config, cache, entriesToPlan(model, config.site), dependencies.stop);
  const rendered = performance.now();
  onStage?.('entries');
  // Planning records page edges and plans: not stopped in. Writing then looks again between
  // documents, until the staged files are put in place (writer.finish).
  throwIfStopped(dependencies.stop);
  // Page edges matter with archives only; with them off the recorded ones are kept for later.
  const pageSettings = { maxItems: config.site.maxItems, maxBytes: config.site.maxBytes, stamp: `${stamp.code}.${stamp.config}` };
  const pageEdges = config.site.archives.length > 0 ? (cache.pageEdges ??= readPageEdges(config.stateDir, pageSettings, logger)) : undefined;
  const planned = planFeeds(model.collections, config.site, {
    tombstones: model.tracked.tombstones,
    memo: cache.plans,
    sizes: storedSizes(cache),
    ...(pageEdges ? { edges: pageEdges } : {}),
    ...(model.moved && lastModel ? { moved: { since: lastModel.collections, articles: model.moved } } : {}),
  });
  const { plans } = planned;
  const overBudget = budgetReport(plans, cache, config, logger);
  const plannedAt = performance.now();

  // A rebuild in a process whose last build finished writes only what changed (a partial write).
  const partial = cache.written !== undefined && cache.feedsFolderSwept === true;
  const writer = new FeedsWriter(config.feedsDir, cache.written, { sweep: !partial });
  cache.feedsFolderSwept = false;
  // Until settled, every file this build puts in the feeds folder can be taken back: a failure
  // writing a feed, the manifest, the entry state or the cache index (ENOSPC, EIO, EACCES…)
  // leaves the folder exactly as the last good build left it.
  let result: BuildResult;
  try {
    // The indexes list the subscription documents (not every archive page: at a million articles there are 100k).
    const indexed = planned.subscriptions.map((plan) => ({ ...plan.document, entryCount: plan.articles.length }));
    const extras = [...renderBrowserFiles(), ...renderFeedImages(), renderOpml(indexed, config.site), renderIndexHtml(indexed, config.site)];
    writer.claim([...documentFileNames(partial ? planned.made : plans), ...extras.map((file) => file.name)]);
    const documents = await writeDocuments(writer, planned, cache, { keepBody, hasBody, partial, writeThreadAfter: dependencies.writeThreadAfter, stop: dependencies.stop });
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
    // Unchanged, it is what the file holds (the state is only ever read from it or written to it).
    if (tracked.changed) writeEntryState(config.stateDir, tracked.state, cache.state === undefined ? undefined : tracked.changedIds);
    cache.state = tracked.state;
    if (pageEdges?.changed) writePageEdges(config.stateDir, pageEdges, pageSettings);

    const wrote = performance.now();
    onStage?.('write');
    const touched = [...documents.files, ...extraFiles];
    const problems = [...scan.problems, ...model.problems];
    for (const problem of problems) {
      logger.warn(formatProblem(problem, config.contentDir).join('\n'), { code: problem.code, file: problem.file, issues: problem.issues });
    }
    const { selection, collections } = model;
    const written = touched.filter((file) => file.changed).map((file) => file.name);
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
      feeds: indexed.length,
      archivePages: plans.length - indexed.length,
      deleted: tracked.deleted,
      rendered: documents.rendered,
      renderedByWriteThread: documents.renderedByWriteThread,
      skipped: problems.filter((problem) => problem.file !== undefined).length,
      problems,
      written,
      unchanged: manifest.files.size - written.filter((name) => manifest.files.has(name)).length,
      removed,
      ...(overBudget ? { overBudget } : {}),
      stages: { scanMs: ms(scanned - started), modelMs: ms(modelled - scanned + (plannedAt - rendered)), entriesMs: ms(rendered - modelled), writeMs: ms(wrote - plannedAt) },
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
    const listing = scan.settledListing?.();
    cache.finishedBuild = {
      files: scan.files,
      problems: problemsKey,
      ...(listing ? { listing } : {}),
      validUntil: Math.min(model.validUntil, Number.MAX_SAFE_INTEGER),
      report: { ...kept, ...(nextScheduled ? { nextScheduled: nextScheduled.toISOString() } : {}) },
      manifest: { ...(manifestStat(config.feedsDir) ?? { size: -1, mtimeMs: -1 }), files: manifest.files.size },
    };
    cache.dirty = true;
    // Saved before the build is settled: a cache index that cannot be written fails the build too.
    if (dependencies.saveCache !== false) saveBuildCache(cache, stamp, liveEntryKeys(cache));
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

/**
 * Erases the stored entries no article to publish holds any more (removed, made a draft, edited,
 * or a second article with an id already taken), so that nothing of them stays in the cache.
 * Looks at the keys the scan saw go and at articles that lost their id, not at every entry (at
 * a million articles that pass would be most of a one-file rebuild); a model made afresh (a
 * first build) has no such list, and then every entry is looked at.
 */
function eraseDeadEntries(cache: BuildCache, replacedKeys: readonly string[] | undefined, model: ContentModel<ArticleRecord>): void {
  const dead = (replacedKeys !== undefined && deadEntryKeysOfChanges(cache, replacedKeys, model)) || deadEntryKeysOfAllFiles(cache, replacedKeys, model);
  if (dead.length === 0) return;
  const locations = dead.map((key) => cache.entries.get(key)!);
  // Forgotten before they are overwritten: an erasure cut short by a failing disk leaves no entry
  // that this process would trust (and copy into a feed) with zeros or half its bytes.
  for (const key of dead) cache.entries.delete(key);
  cache.dirty = true;
  eraseEntries(cache.entriesDir, locations);
}

/**
 * The dead entries among the keys the scan saw go and the keys of articles that lost their id,
 * told from the model alone: the bytes of a key give one id and one date, so the only files that
 * can still hold it are that id's claimants (the winner keeps it) or, when the date is not due,
 * articles held back. Undefined when a key's article is not known from the changes (the caller
 * then looks at every file).
 */
function deadEntryKeysOfChanges(cache: BuildCache, replacedKeys: readonly string[], model: ContentModel<ArticleRecord>): string[] | undefined {
  if (model.changes === undefined) return undefined;
  const articleOf = new Map<string, ArticleRecord>();
  for (const { before } of model.changes) if (before?.ok) articleOf.set(before.article.key, before.article);
  const candidates = new Set<string>();
  for (const key of replacedKeys) if (cache.entries.has(key)) candidates.add(key);
  for (const { article: loser } of losingClaimants(model.index)) {
    if (!cache.entries.has(loser.key)) continue;
    candidates.add(loser.key);
    articleOf.set(loser.key, loser);
  }
  let heldBack: Set<string> | undefined;
  const dead: string[] = [];
  for (const key of candidates) {
    const article = articleOf.get(key);
    if (article === undefined) return undefined;
    if (!article.published) {
      dead.push(key);
    } else if (article.publishedDateTime.getTime() <= model.nowMs) {
      if (model.index.claimants.get(entryId(article))?.[0]?.key !== key) dead.push(key);
    } else {
      heldBack ??= new Set(model.selection.scheduled.map((scheduled) => scheduled.key));
      if (!heldBack.has(key)) dead.push(key);
    }
  }
  return dead;
}

/** The dead entries found by looking at every file (a model made afresh, or a key whose article the changes do not tell). */
function deadEntryKeysOfAllFiles(cache: BuildCache, replacedKeys: readonly string[] | undefined, model: ContentModel<ArticleRecord>): string[] {
  let candidates: Set<string>;
  if (replacedKeys === undefined || model.changes === undefined) {
    candidates = new Set(cache.entries.keys());
  } else {
    candidates = new Set(replacedKeys);
    for (const { article: loser } of losingClaimants(model.index)) candidates.add(loser.key);
  }
  for (const key of [...candidates]) if (!cache.entries.has(key)) candidates.delete(key);
  if (candidates.size === 0) return [];
  // Kept: an entry some article to publish (now or when due) still holds.
  const nowMs = model.nowMs;
  for (const file of cache.files.values()) {
    if (!candidates.has(file.key) || !file.outcome.ok) continue;
    const article = file.outcome.article;
    if (!article.published) continue;
    const due = article.publishedDateTime.getTime() <= nowMs;
    if (!due || model.index.claimants.get(entryId(article))?.[0] === article) candidates.delete(file.key);
  }
  return [...candidates];
}

/**
 * The entry state on disk, with a warning when it cannot tell what the last build published: a
 * damaged entries.json, or none while FEEDS_DIR holds an earlier build (STATE_DIR not kept, or
 * lost). Such a build announces no deletion and its removal guard has nothing to compare with.
 */
function readStateWarned(config: Config, logger: Logger): EntryState {
  const { state, fault, file } = readEntryState(config.stateDir);
  const consequence = 'this build announces no deleted entry, and the mass-removal guard has no last build to compare with';
  if (fault === 'damaged') {
    logger.warn(`the entry state ${file} is damaged (not what a build writes): ${consequence}; it is written afresh`, { file });
  } else if (fault === 'missing' && manifestStat(config.feedsDir) !== undefined) {
    logger.warn(`no entry state in STATE_DIR (${path.resolve(config.stateDir)}) though FEEDS_DIR holds an earlier build: ${consequence}; keep STATE_DIR between builds`, { file });
  }
  return state;
}

/** The error of a build held back by the removal guard: what it would do, and what to do about it. */
function massRemovalRefused({ before, removed }: RemovalCount, config: Config): FeedServiceError {
  const { percent, minimum } = config.removalGuard;
  const limit = removalLimit(before, config.removalGuard);
  return new FeedServiceError(
    'MASS_REMOVAL_REFUSED',
    `Not published: this build would remove ${removed} of the ${before} published entries, more than the limit of ${limit} ` +
      `(the larger of REMOVAL_LIMIT_PERCENT=${percent}% and REMOVAL_LIMIT_ENTRIES=${minimum}); an entry is removed when its file is removed, ` +
      `made a draft (published: false) or no longer valid. Nothing was written and no deletion was announced; ` +
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
  if (site.archives.length === 0) return model.collections.map((collection) => ({ articles: collection.articles.slice(0, site.maxItems) }));
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
    // Content keys: the same bytes give the same entry under the same code and configuration (the stamp).
    pageDigest: (articles, start, end, name) => {
      let keys = `${name}\n`;
      for (let index = start; index < end; index++) keys += `${articles[index]!.key}\n`;
      return createHash('sha1').update(keys).digest('base64url');
    },
  };
}

/** What the budget did (see BuildReport.overBudget), logged: a warning for what readers miss or may refuse. */
function budgetReport(plans: readonly DocumentPlan<ArticleRecord>[], cache: BuildCache, config: Config, logger: Logger): BuildReport['overBudget'] {
  const { archives, maxBytes, maxItems } = config.site;
  let feeds = 0;
  let entries = 0;
  let leftOut = 0;
  const oversized = new Map<string, { readonly key: string; readonly paths: string[] }>();
  for (const plan of plans) {
    if (plan.overBudget) {
      feeds++;
      entries += plan.overBudget;
      if (!archives.includes(plan.document.kind)) {
        leftOut += plan.overBudget;
        logger.warn(`${config.feedsDir}/${plan.document.path}: ${plan.overBudget} of its newest ${maxItems} entries left out to stay under FEED_MAX_BYTES (${maxBytes} bytes); with archive pages for ${FEED_KIND_NAMES[plan.document.kind]} (FEED_ARCHIVES) they would be on archive pages`, {
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
  if (entries > leftOut) logger.info(`${entries - leftOut} entries moved to archive pages to stay under FEED_MAX_BYTES (${maxBytes} bytes)`, { feeds, entries: entries - leftOut });
  return { feeds, entries, leftOut, oversized: [...oversized.keys()] };
}
