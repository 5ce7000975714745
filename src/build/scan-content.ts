/**
 * The first stage of a build: what is in the content folder now, and what each file gives. With
 * a warm cache (build-cache.ts) most files are neither read nor parsed:
 *
 * - a file whose size, mtime, ctime and inode are those recorded when it was last read, and that
 *   had not changed for RACY_MS before that (a write in the same instant as the read could leave
 *   all four as they were, as git's "racily clean" files), is taken as it was;
 * - any other file is read and hashed; if its bytes hash to a known key (a checkout that gave
 *   every file a new mtime, a renamed file, an edit undone) what they gave is reused;
 * - only bytes never seen before are parsed, on every core (parse-threads.ts), and with
 *   `renderEntries` their entries are rendered in the same pass.
 *
 * A file watcher's report (the server) narrows this to the files it names.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import type { Problem } from '../content/problems.js';
import type { ContentChangeSet } from '../content/watch-content.js';
import { contentPath, fileStat, listContent, readNamedFiles, sameStat, statCandidate, type ContentCandidate, type FileStat } from '../content/read-content.js';
import type { ArticleRecord } from '../feeds/article-record.js';
import type { FileChange, FileOutcome, KnownChanges } from '../feeds/content-model.js';
import { compareCodePoints } from '../feeds/code-point-order.js';
import type { BuildCache, ScannedFile } from './build-cache.js';
import { BuildStopped } from './build-stopped.js';
import { SegmentWriter } from './entry-store.js';
import type { KnownKeys, ReadFile, ReadResult } from './parse-threads.js';
import { CandidateStats, PARALLEL_THRESHOLD, startStatHelper, startStats, type PendingStats } from './stat-threads.js';

/**
 * The parsers and renderers (parse-threads.ts and the libraries behind it), loaded when a file is
 * first to be parsed: a scan that finds nothing new never loads them.
 */
const parsing = () => import('./parse-threads.js');

/** A change younger than this when a file was read may share its stat with the next change. */
export const RACY_MS = 2000;

/** A full scan runs at least this often even when a watcher names every change (in case it missed one). */
const FULL_SCAN_INTERVAL_MS = 10 * 60_000;

export interface ContentScan {
  /** Every content file that could be read, sorted by path, with what its bytes gave. */
  readonly files: readonly ScannedFile[];
  /** Files that could not be read (too large, not UTF-8, not Markdown…), sorted by path. */
  readonly problems: readonly Problem[];
  /** Files parsed by this scan (bytes not seen before). */
  readonly filesParsed: number;
  /** Content keys some file held before this scan that no file holds now (their entries may go). */
  readonly replacedKeys: readonly string[];
  /** What changed since the last scan's files, when this scan looked only at named files (a watcher's report). */
  readonly knownChanges?: KnownChanges<ArticleRecord>;
  /**
   * A full scan's listing print (listingPrint), made when asked (a build that saves it); undefined
   * when a stat in it was not settled (a later change could then leave the same print).
   */
  readonly settledListing?: () => string | undefined;
}

export interface ScanOptions {
  /** Render each new published article's entry while it is parsed (archives need them all). */
  readonly renderEntries: boolean;
  /** Told how many of the files to read have been read, as they are (scan-progress.ts). */
  readonly onProgress?: (read: number, total: number) => void;
  /** Aborted: the scan keeps what it has read in the cache and throws BuildStopped (build-stopped.ts). */
  readonly stop?: AbortSignal;
}

const byFile = (a: { file?: string }, b: { file?: string }) => compareCodePoints(a.file ?? '', b.file ?? '');

/**
 * Whether `known` (from an earlier read) may stand for the file whose stat is now `stat`: all four
 * of size, mtime, ctime and inode as recorded, and the file had not changed for RACY_MS when it was
 * read (else a write in the same clock tick could have left all four as they were).
 */
export function isTrusted(known: Pick<ScannedFile, 'stat' | 'checkedAt'> | undefined, stat: FileStat | undefined): known is ScannedFile {
  return (
    known !== undefined &&
    stat !== undefined &&
    sameStat(known.stat, stat) &&
    isSettled(known.stat, known.checkedAt)
  );
}

/**
 * A digest of the content folder as listed and statted: each candidate's path, whether it is a
 * symbolic link, and its size, mtime, ctime and inode (or that it is no file), in listing order.
 * A later listing with the same print holds the same files with the same bytes, if every stat in
 * the first was settled (see settledListing in fullScan): a new process with nothing to do knows
 * it from this alone.
 */
export function listingPrint(candidates: readonly ContentCandidate[], stats: CandidateStats): string {
  const names: string[] = new Array(candidates.length);
  // Per candidate: 1 if a file (its four numbers then set; zeros otherwise), 2 if a symbolic link.
  const kinds = new Uint8Array(candidates.length);
  for (let index = 0; index < candidates.length; index++) {
    const candidate = candidates[index]!;
    names[index] = candidate.relative;
    kinds[index] = stats.isFile[index]! | (candidate.isSymlink ? 2 : 0);
  }
  const { numbers } = stats;
  return createHash('sha256')
    .update(names.join('\0'))
    .update(kinds)
    .update(new Uint8Array(numbers.buffer, numbers.byteOffset, numbers.byteLength))
    .digest('base64url');
}

/** isTrusted for candidate `index` of a full scan's stats, compared where they are (no object per file). */
export function isTrustedAt(known: Pick<ScannedFile, 'stat' | 'checkedAt'> | undefined, stats: CandidateStats, index: number): known is ScannedFile {
  return known !== undefined && stats.is(index, known.stat) && isSettled(known.stat, known.checkedAt);
}

/** Whether `stat` was taken RACY_MS or more after its file last changed, at `checkedAt`. */
function isSettled(stat: FileStat, checkedAt: number): boolean {
  return stat.mtimeMs < checkedAt - RACY_MS && stat.ctimeMs < checkedAt - RACY_MS;
}

/** An outcome found by content key, given to the file that now holds those bytes. */
function forFile(outcome: FileOutcome<ArticleRecord>, file: string): FileOutcome<ArticleRecord> {
  if (outcome.ok) return outcome.article.file === file ? outcome : { ok: true, article: { ...outcome.article, file } };
  return outcome.problem.file === file ? outcome : { ok: false, problem: { ...outcome.problem, file } };
}

/** Writes entries rendered on this thread (rebuilds): one segment, opened when first needed. */
export function entryWriter(cache: BuildCache): SegmentWriter {
  if (!cache.writer) {
    mkdirSync(cache.entriesDir, { recursive: true });
    cache.writer = new SegmentWriter(cache.entriesDir);
  }
  return cache.writer;
}

/** The content folder listed, and its files' stats being taken (see startStats); or why it could not be listed. */
export type ContentSurvey = { readonly root: string; readonly candidates: readonly ContentCandidate[]; readonly stats: PendingStats } | { readonly error: unknown };

/**
 * Lists the content folder and starts taking its files' stats on a helper thread, unless no cache
 * will compare them (`compared` false: a first build reads every file). A new process (the CLI)
 * does this before it loads its cache, and loads the cache meanwhile. `manyFiles`: the caller
 * expects enough files for the helper, which is then started before the listing. A folder that
 * cannot be listed throws when a scan takes the survey, as the scan itself would.
 */
export function surveyContent(contentDir: string, compared: boolean, { manyFiles = false }: { manyFiles?: boolean } = {}): ContentSurvey {
  // Expecting enough files for the helper thread: started first, its start-up overlaps the listing.
  const helper = compared && manyFiles ? startStatHelper() : undefined;
  try {
    const { root, candidates } = listContent(contentDir);
    return { root, candidates, stats: startStats(root, candidates, compared ? undefined : Infinity, helper) };
  } catch (error) {
    helper?.stop();
    return { error };
  }
}

/** Lets a survey go unused: its helper stops. */
export function dropSurvey(survey: ContentSurvey | undefined): void {
  if (survey && 'stats' in survey) survey.stats.stop();
}

/**
 * Scans the content folder into `cache.files` and returns what it holds now. `changes` narrows
 * the scan to the files a watcher named (when the last full scan is recent enough). `survey`: the
 * folder as surveyed at the start of this build (surveyContent), used by a full scan.
 */
export async function scanContent(config: Config, cache: BuildCache, changes: ContentChangeSet, options: ScanOptions, survey?: ContentSurvey): Promise<ContentScan> {
  const last = cache.lastScan;
  if (changes.kind === 'files' && last && Date.now() - last.at < FULL_SCAN_INTERVAL_MS) {
    const scan =
      changes.files.size === 0
        ? { files: last.files, problems: last.problems, filesParsed: 0, replacedKeys: [], knownChanges: { base: last.files, changes: [] } }
        : await rescanFiles(config, cache, last, changes.files, options);
    if (scan) {
      dropSurvey(survey);
      cache.lastScan = { files: scan.files, problems: scan.problems, at: last.at };
      return scan;
    }
  }
  const scan = await fullScan(config, cache, options, survey ?? surveyContent(config.contentDir, cache.files.size > 0, { manyFiles: cache.files.size >= PARALLEL_THRESHOLD }));
  cache.lastScan = { files: scan.files, problems: scan.problems, at: Date.now() };
  return scan;
}

async function fullScan(config: Config, cache: BuildCache, options: ScanOptions, survey: ContentSurvey): Promise<ContentScan> {
  const checkedAt = Date.now();
  if ('error' in survey) throw survey.error;
  const { root, candidates } = survey;
  const files: (ScannedFile | undefined)[] = new Array(candidates.length);
  const toRead: number[] = [];
  if (cache.files.size === 0) {
    survey.stats.stop();
    for (let index = 0; index < candidates.length; index++) toRead.push(index);
  } else {
    const stats = await survey.stats.take();
    candidates.forEach((candidate, index) => {
      const known = cache.files.get(contentPath(candidate.relative));
      if (isTrustedAt(known, stats, index)) files[index] = known;
      else toRead.push(index);
    });
  }
  const byKey = new Map<string, ScannedFile>();
  if (toRead.length > 0) for (const known of cache.files.values()) byKey.set(known.key, known);
  const results = toRead.length === 0 ? [] : await readNew(config, cache, root, toRead.map((index) => candidates[index]!), byKey, options);
  if (results.length < toRead.length) keepStoppedScan(cache, results, toRead, candidates, checkedAt, byKey);
  const problems: Problem[] = [];
  let filesParsed = 0;
  results.forEach((result, position) => {
    if (result === undefined) return;
    const index = toRead[position]!;
    const listed = contentPath(candidates[index]!.relative);
    // Listed, then gone before it was read: the folder changed under the scan (a file deleted, or
    // the whole folder swapped or unmounted midway). Not taken as a deletion: a scan that saw only
    // part of the files would remove the rest a few at a time, each build under the removal
    // guard's limit. The build starts again from a new listing (build-feeds.ts).
    if (result === 'gone') throw new ContentChangedDuringBuild(listed, 'was listed, then gone before it was read');
    if ('issues' in result) {
      problems.push(result);
      return;
    }
    if (result.outcome) filesParsed++;
    files[index] = scanned(cache, result, checkedAt, byKey, listed);
  });
  const present = files.filter((file): file is ScannedFile => file !== undefined);
  // Each file as it was read (or trusted), each other candidate as it is after the reads: every
  // stat settled when its bytes were read means no change since that the print would not show.
  const settledListing = () => {
    const stats = candidates.map((candidate, index) => files[index]?.stat ?? statCandidate(root, candidate));
    const settled = stats.every((stat, index) => stat === undefined || isSettled(stat, files[index]?.checkedAt ?? checkedAt));
    return settled ? listingPrint(candidates, CandidateStats.of(stats)) : undefined;
  };
  // Every file trusted as the cache knows it, and none gone: nothing replaced (the usual rebuild).
  if (toRead.length === 0 && present.length === cache.files.size) return { files: present, problems, filesParsed, replacedKeys: [], settledListing };
  cache.dirty = true;
  const keys = new Set(present.map((file) => file.key));
  const replacedKeys = [...new Set([...cache.files.values()].map((file) => file.key))].filter((key) => !keys.has(key));
  // Forget files that are gone, so the cache holds no more than the content folder.
  cache.files.clear();
  for (const file of present) cache.files.set(file.file, file);
  return { files: present, problems, filesParsed, replacedKeys, settledListing };
}

/**
 * A scan stopped partway (results for the first `results.length` files to read): the files read
 * go into the cache beside those it knew, each as it was read, and the build stops. Nothing is
 * forgotten, since what was not read may still be there; the next scan compares every file again.
 */
function keepStoppedScan(cache: BuildCache, results: readonly ReadResult[], toRead: readonly number[], candidates: readonly ContentCandidate[], checkedAt: number, byKey: ReadonlyMap<string, ScannedFile>): never {
  results.forEach((result, position) => {
    if (result === undefined || result === 'gone' || 'issues' in result) return;
    const listed = contentPath(candidates[toRead[position]!]!.relative);
    const file = scanned(cache, result, checkedAt, byKey, listed);
    cache.files.set(file.file, file);
    cache.dirty = true;
  });
  throw new BuildStopped(`The build was stopped during its scan, after reading ${results.length} of ${toRead.length} files; the next build reads the rest.`);
}

/** Reads `candidates`, parsing (and rendering, if asked) those whose bytes are not among `knownKeys`. */
async function readNew(config: Config, cache: BuildCache, root: string, candidates: readonly ContentCandidate[], knownKeys: KnownKeys, options: ScanOptions) {
  const { readAndParseAll } = await parsing();
  return readAndParseAll({
    root,
    baseUrl: config.site.baseUrl,
    candidates,
    maxFileBytes: config.maxFileBytes,
    knownKeys,
    entriesDir: options.renderEntries ? cache.entriesDir : undefined,
    writer: options.renderEntries ? entryWriter(cache) : undefined,
    onProgress: options.onProgress,
    stop: options.stop,
  });
}

/** A file as read; `listed` is its path as the listing gave it, whose string the file and its article keep (not the parse thread's copies). */
function scanned(cache: BuildCache, result: ReadFile, checkedAt: number, byKey: ReadonlyMap<string, ScannedFile>, listed: string): ScannedFile {
  if (result.entry) {
    const entry = { ...result.entry, segment: cache.shared.string(result.entry.segment) };
    cache.entries.set(result.key, entry);
    cache.reader.wrote(entry);
  }
  const file = result.file === listed ? listed : result.file;
  if (result.outcome?.ok) cache.shared.record(result.outcome.article, file);
  // The stat as a KeptStat: one a parse thread sent is a plain object, whose fields V8 may box.
  const stat = fileStat(result.stat);
  if (result.outcome) return { file, stat, checkedAt, key: result.key, outcome: result.outcome };
  return new SameBytesFile(file, stat, checkedAt, result.key, byKey.get(result.key)!);
}

/**
 * A file whose bytes some file already gave (a checkout that gave every file a new mtime and
 * inode, a rename): its outcome is that file's, taken when first asked for, so that a build with
 * nothing to do does not read the saved outcomes at all (build-cache.ts).
 */
class SameBytesFile implements ScannedFile {
  readonly file: string;
  readonly stat: FileStat;
  readonly checkedAt: number;
  readonly key: string;
  #known: ScannedFile | undefined;
  #outcome: FileOutcome<ArticleRecord> | undefined;

  constructor(file: string, stat: FileStat, checkedAt: number, key: string, known: ScannedFile) {
    this.file = file;
    this.stat = stat;
    this.checkedAt = checkedAt;
    this.key = key;
    this.#known = known;
  }

  get outcome(): FileOutcome<ArticleRecord> {
    if (this.#outcome === undefined) {
      this.#outcome = forFile(this.#known!.outcome, this.file);
      this.#known = undefined;
    }
    return this.#outcome;
  }
}

/**
 * The last scan with the named files read again (the watcher's report): changed ones parsed,
 * removed ones dropped, new ones added in path order. Undefined when only a full scan can tell
 * (a name is now a folder, the folder itself is gone).
 */
async function rescanFiles(config: Config, cache: BuildCache, last: NonNullable<BuildCache['lastScan']>, names: ReadonlySet<string>, options: ScanOptions): Promise<ContentScan | undefined> {
  const { parseContentFile } = await parsing();
  const checkedAt = Date.now();
  const read = readNamedFiles(config.contentDir, names, {
    maxFileBytes: config.maxFileBytes,
    isUnchanged: (file, stat) => isTrusted(cache.files.get(file), stat),
  });
  if (read === undefined) return undefined;
  if (read.size > 0) cache.dirty = true;
  let filesParsed = 0;
  const oldKeys: string[] = [];
  const problems = last.problems.filter((problem) => problem.file === undefined || !read.has(problem.file));
  const replacements = new Map<string, ScannedFile | undefined>();
  const byKey = new Map<string, ScannedFile>();
  for (const file of read.keys()) {
    const known = cache.files.get(file);
    if (known) byKey.set(known.key, known);
  }
  for (const [file, result] of read) {
    const before = cache.files.get(file)?.key;
    if (result === 'unchanged') {
      replacements.set(file, cache.files.get(file));
      continue;
    }
    if (before !== undefined) oldKeys.push(before);
    if (result === 'gone' || 'issues' in result) {
      if (result !== 'gone') problems.push(result);
      replacements.set(file, undefined);
      cache.files.delete(file);
    } else {
      const known = cache.files.get(file)?.key === result.key ? cache.files.get(file) : byKey.get(result.key);
      const parsed = known ? { file, stat: result.stat, key: result.key, outcome: forFile(known.outcome, file) } : parseContentFile(result, config.site.baseUrl, options.renderEntries ? entryWriter(cache) : undefined);
      if (!known) filesParsed++;
      const file_ = scanned(cache, parsed, checkedAt, byKey, file);
      replacements.set(file, file_);
      cache.files.set(file, file_);
    }
  }
  cache.writer?.flush();
  // The scan is sorted by path: each named file is found by binary search, not by a pass over all.
  // The last scan's list is changed in place, not copied: a copy as long as the folder (0.8 MB at
  // 100k files, 8 MB at a million) would stay alive until the next build, every build. Nothing
  // needs the list as it was: the model and the last build made of it are the ones this build
  // updates, and a failed build drops both (build-feeds.ts, forgetFailedBuild), as does a build
  // that runs again because content changed under it.
  const files = last.files as ScannedFile[];
  const changed: FileChange<ArticleRecord>[] = [];
  for (const [file, replacement] of [...replacements].sort(([a], [b]) => compareCodePoints(a, b))) {
    const index = indexOfFile(files, file);
    const before = index >= 0 ? files[index]!.outcome : undefined;
    if (index >= 0 && replacement) files[index] = replacement;
    else if (index >= 0) files.splice(index, 1);
    else if (replacement) files.splice(-index - 1, 0, replacement);
    if (before !== replacement?.outcome) changed.push({ ...(before ? { before } : {}), ...(replacement ? { after: replacement.outcome } : {}) });
  }
  // A key another file still holds (the same bytes twice) stays: the caller looks again.
  const nowHeld = new Set([...replacements.values()].flatMap((replacement) => (replacement ? [replacement.key] : [])));
  return {
    files,
    problems: problems.sort(byFile),
    filesParsed,
    replacedKeys: oldKeys.filter((key) => !nowHeld.has(key)),
    knownChanges: { base: last.files, changes: changed },
  };
}

/** Index of `file` in `files` (sorted by path), or -(where it would go + 1). */
function indexOfFile(files: readonly ScannedFile[], file: string): number {
  let low = 0;
  let high = files.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const order = compareCodePoints(files[middle]!.file, file);
    if (order === 0) return middle;
    if (order < 0) low = middle + 1;
    else high = middle - 1;
  }
  return -(low + 1);
}

/** Thrown when a file is no longer what the scan saw (its bytes changed, or it went, during the build). */
export class ContentChangedDuringBuild extends Error {
  constructor(file: string, what = 'changed while the build was running') {
    super(`${file} ${what}`);
    this.name = 'ContentChangedDuringBuild';
  }
}

/**
 * Renders the entries of `records` that the cache does not have yet (with archives off, only
 * the articles that a document holds are ever rendered): their files are read and parsed again,
 * on every core when there are many, and must still hold the bytes the scan saw.
 */
export async function renderMissingEntries(config: Config, cache: BuildCache, documents: readonly { readonly articles: readonly ArticleRecord[] }[], stop?: AbortSignal): Promise<number> {
  const missing = new Map<string, ArticleRecord>();
  for (const document of documents) for (const record of document.articles) if (!cache.entries.has(record.key)) missing.set(record.file, record);
  if (missing.size === 0) return 0;
  cache.dirty = true;
  const files = [...missing.keys()].sort(compareCodePoints);
  const { readAndParseAll } = await parsing();
  const results = await readAndParseAll({
    root: realpathSync(config.contentDir),
    baseUrl: config.site.baseUrl,
    // As links, so a file that became a link out of the content folder is refused, as a scan would.
    candidates: files.map((file) => ({ relative: file.split('/').join(path.sep), isSymlink: true })),
    maxFileBytes: config.maxFileBytes,
    entriesDir: cache.entriesDir,
    writer: entryWriter(cache),
    stop,
  });
  results.forEach((result, index) => {
    const file = files[index]!;
    if (result === undefined || result === 'gone' || 'issues' in result || result.key !== missing.get(file)!.key || !result.entry) throw new ContentChangedDuringBuild(file);
    cache.entries.set(result.key, result.entry);
    cache.reader.wrote(result.entry);
  });
  // Stopped partway: the entries rendered are kept with the rest of the cache.
  if (results.length < files.length) throw new BuildStopped(`The build was stopped while rendering entries, after ${results.length} of ${files.length}; the next build renders the rest.`);
  return missing.size;
}
