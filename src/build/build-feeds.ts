import { buildFeedFiles } from './build-feed-files.js';
import type { FeedFile } from '../render/feed-formats.js';
import type { EntryState } from '../feeds/deleted-entries.js';
import { formatProblem, type Problem } from '../content/problems.js';
import { createRenderCache, type RenderCache } from './render-cache.js';
import type { Config } from '../config.js';
import { readEntryState, writeEntryState } from './entry-state.js';
import type { Logger } from '../logger.js';
import { parseContentFile, readAndParseAll, type ParsedFile } from './parse-threads.js';
import { listContent, readContent, readNamedFiles } from '../content/read-content.js';
import { compareCodePoints } from '../feeds/topics.js';
import { writeFeedFiles, type WrittenFile } from './write-feeds.js';

export interface BuildReport {
  readonly startedAt: Date;
  readonly durationMs: number;
  /** Markdown files read from the content folder (including ones unchanged since the last build). */
  readonly filesRead: number;
  /** Files parsed by this build: new or changed since the last build of this process. */
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
  /** Feed documents rendered by this build; the others were unchanged and reused. */
  readonly rendered: number;
  /** Files that were not published because of a problem (each is in `problems`). */
  readonly skipped: number;
  readonly problems: readonly Problem[];
  readonly written: readonly string[];
  readonly unchanged: readonly string[];
  readonly removed: readonly string[];
}

/** A built file and when its bytes last changed (its mtime in the feeds folder). */
export interface BuiltFile extends FeedFile {
  readonly modified: Date;
}

export interface BuildResult {
  readonly report: BuildReport;
  readonly files: readonly BuiltFile[];
}

/**
 * What a long-running process keeps between builds so that a rebuild does only the work that
 * changed: parsed articles by file (size and mtime must match), rendered documents (see
 * core/render-cache.ts), and the files last written (so unchanged ones are neither compared with
 * the disk nor rewritten). A build without a cache does everything, like a first build.
 */
export interface BuildCache {
  readonly parsed: Map<string, ParsedFile>;
  /** The entry state as the last build left it (see core/deleted-entries.ts). */
  state?: EntryState;
  /**
   * The last build, and until when it stays right if no file changes: the next held-back
   * article's date or the next deletion notice's expiry, whichever is first.
   */
  last?: { readonly result: BuildResult; readonly inputs: readonly ParsedFile[]; readonly problems: string; readonly validUntil: number };
  /** The last scan of the content folder, reused while `changes` says nothing happened. */
  lastRead?: { readonly files: ParsedFile[]; readonly problems: Problem[]; readonly at: number };
  /** Tells whether the content folder may have changed since it was last asked (a file watcher). */
  changes?: ContentChanges;
  readonly render: RenderCache;
  readonly written: Map<string, { readonly file: FeedFile; readonly built: BuiltFile }>;
}

/**
 * What a file watcher saw since it was last asked: nothing, changes to these files only (paths
 * relative to the content folder, `/` separators), or something it cannot name (scan everything).
 */
export type ContentChangeSet = { readonly kind: 'files'; readonly files: ReadonlySet<string> } | { readonly kind: 'unknown' };

export const UNKNOWN_CHANGES: ContentChangeSet = { kind: 'unknown' };

/**
 * A file watcher's report. `takeChanges()` answers `unknown` on its first call and after the
 * watcher failed; each call starts a new period. A full scan still runs at least every
 * FULL_SCAN_INTERVAL_MS, in case the platform missed an event.
 */
export interface ContentChanges {
  takeChanges(): ContentChangeSet;
}

const FULL_SCAN_INTERVAL_MS = 10 * 60_000;

export function createBuildCache(): BuildCache {
  return { parsed: new Map(), render: createRenderCache(), written: new Map() };
}

export interface BuildDependencies {
  readonly config: Config;
  readonly logger: Logger;
  readonly clock?: () => Date;
  readonly cache?: BuildCache;
}

/**
 * Reads the content folder and parses what is new. A cold build (empty cache) reads and parses
 * every file, spread over the machine's cores; a rebuild checks each file's size and mtime and
 * reads and parses only the files that changed.
 */
async function readAndParse(config: Config, cache: BuildCache): Promise<Scan> {
  // Asked first, so an event during the scan below is reported to the next build.
  const changes = cache.changes?.takeChanges() ?? UNKNOWN_CHANGES;
  const lastRead = cache.lastRead;
  if (changes.kind === 'files' && lastRead && Date.now() - lastRead.at < FULL_SCAN_INTERVAL_MS) {
    const scan = changes.files.size === 0 ? { files: lastRead.files, problems: lastRead.problems, filesParsed: 0 } : rescanFiles(config, cache, lastRead, changes.files);
    if (scan) {
      cache.lastRead = { ...scan, at: lastRead.at };
      return scan;
    }
  }
  const scanned = await scanAndParse(config, cache);
  cache.lastRead = { files: scanned.files, problems: scanned.problems, at: Date.now() };
  // Forget files that are gone, so the cache holds no more than the content folder.
  cache.parsed.clear();
  for (const file of scanned.files) cache.parsed.set(file.file, file);
  return scanned;
}

interface Scan {
  readonly files: ParsedFile[];
  readonly problems: Problem[];
  readonly filesParsed: number;
}

const byFile = (a: { file?: string }, b: { file?: string }) => compareCodePoints(a.file ?? '', b.file ?? '');

/**
 * The last scan with the named files read again (the watcher's report): changed ones parsed,
 * removed ones dropped, new ones added in path order. Undefined when only a full scan can tell
 * (a name is now a folder, the folder itself is gone).
 */
function rescanFiles(config: Config, cache: BuildCache, lastRead: NonNullable<BuildCache['lastRead']>, names: ReadonlySet<string>): Scan | undefined {
  const read = readNamedFiles(config.contentDir, names, {
    maxFileBytes: config.maxFileBytes,
    isUnchanged: isKnownUnchanged(cache),
  });
  if (read === undefined) return undefined;
  let filesParsed = 0;
  const problems = lastRead.problems.filter((problem) => problem.file === undefined || !read.has(problem.file));
  const replacements = new Map<string, ParsedFile | undefined>();
  for (const [file, result] of read) {
    if (result === 'gone' || 'issues' in result) {
      if (result !== 'gone') problems.push(result);
      replacements.set(file, undefined);
      cache.parsed.delete(file);
    } else if (result.text === undefined) {
      replacements.set(file, cache.parsed.get(file));
    } else {
      const parsed = parseContentFile(result);
      replacements.set(file, parsed);
      cache.parsed.set(file, parsed);
      filesParsed++;
    }
  }
  // The scan is sorted by path: each named file is found by binary search, not by a pass over all.
  const files = [...lastRead.files];
  const removed: number[] = [];
  let added = false;
  for (const [file, replacement] of replacements) {
    const index = indexOfFile(files, file);
    if (index >= 0 && replacement) files[index] = replacement;
    else if (index >= 0) removed.push(index);
    else if (replacement) {
      files.push(replacement);
      added = true;
    }
  }
  for (const index of removed.sort((a, b) => b - a)) files.splice(index, 1);
  if (added) files.sort(byFile);
  return { files, problems: problems.sort(byFile), filesParsed };
}

/** Whether a file's size and mtime are those of its parse in the cache (so it need not be read). */
function isKnownUnchanged(cache: BuildCache): (file: string, size: number, mtimeMs: number) => boolean {
  return (file, size, mtimeMs) => {
    const known = cache.parsed.get(file);
    return known !== undefined && known.size === size && known.mtimeMs === mtimeMs;
  };
}

/** Index of `file` in `files` (sorted by path), or -1. */
function indexOfFile(files: readonly ParsedFile[], file: string): number {
  let low = 0;
  let high = files.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const order = compareCodePoints(files[middle]!.file, file);
    if (order === 0) return middle;
    if (order < 0) low = middle + 1;
    else high = middle - 1;
  }
  return -1;
}

async function scanAndParse(config: Config, cache: BuildCache): Promise<Scan> {
  const files: ParsedFile[] = [];
  const problems: Problem[] = [];
  if (cache.parsed.size === 0) {
    const { root, candidates } = listContent(config.contentDir);
    for (const result of await readAndParseAll(root, candidates, config.maxFileBytes)) {
      if (result === undefined) continue;
      if ('issues' in result) problems.push(result);
      else files.push(result);
    }
    return { files, problems, filesParsed: files.length };
  }
  const read = readContent(config.contentDir, {
    maxFileBytes: config.maxFileBytes,
    isUnchanged: isKnownUnchanged(cache),
  });
  let filesParsed = 0;
  for (const file of read.files) {
    if (file.text === undefined) {
      files.push(cache.parsed.get(file.file)!);
    } else {
      files.push(parseContentFile(file));
      filesParsed++;
    }
  }
  return { files, problems: [...read.problems], filesParsed };
}

/** Milliseconds since `started` (performance.now()), to the microsecond: monotonic, unlike Date. */
function elapsedMs(started: number): number {
  return Math.round((performance.now() - started) * 1000) / 1000;
}

/**
 * The one build: read content/, turn it into feeds, write them to feeds/. The CLI, the boot build
 * and every scheduled build call this; the server serves the files it returns, which are the same
 * bytes it wrote. Bad articles are reported, never thrown; an I/O failure throws and leaves the
 * previous files in place.
 */
export async function buildFeeds({ config, logger, clock = () => new Date(), cache = createBuildCache() }: BuildDependencies): Promise<BuildResult> {
  const startedAt = clock();
  const started = performance.now();
  const { files: readFiles, problems: readProblems, filesParsed } = await readAndParse(config, cache);

  // Nothing changed since the last build, and nothing it depends on has come due: its files are
  // still right, so nothing is grouped, rendered or written (the usual scheduled rebuild).
  const last = cache.last;
  const problemsKey = JSON.stringify(readProblems);
  if (
    last &&
    filesParsed === 0 &&
    startedAt.getTime() < last.validUntil &&
    problemsKey === last.problems &&
    readFiles.length === last.inputs.length &&
    readFiles.every((file, index) => file === last.inputs[index])
  ) {
    const names = last.result.files.map((file) => file.name);
    const report: BuildReport = {
      ...last.result.report,
      startedAt,
      durationMs: elapsedMs(started),
      filesParsed: 0,
      rendered: 0,
      written: [],
      unchanged: names,
      removed: [],
    };
    return { report, files: last.result.files };
  }

  // The state file is read once per process; after that the last build's state is current.
  const previousState = cache.state ?? (await readEntryState(config.stateDir));
  const build = buildFeedFiles(readFiles, config.site, startedAt, {
    previousState,
    deletedEntryDays: config.deletedEntryDays,
    renderCache: cache.render,
  });
  const written = await writeFeedFiles(config.feedsDir, build.files, { isUnchanged: (file) => cache.written.get(file.name)?.file === file });
  if (build.stateChanged || cache.state === undefined) await writeEntryState(config.stateDir, build.state);
  cache.state = build.state;

  const modified = new Map<string, WrittenFile>(written.files.map((file) => [file.name, file]));
  const files = build.files.map((file): BuiltFile => {
    const previous = cache.written.get(file.name);
    if (previous?.file === file) return previous.built;
    return { ...file, modified: modified.get(file.name)?.modified ?? startedAt };
  });
  cache.written.clear();
  build.files.forEach((file, index) => cache.written.set(file.name, { file, built: files[index]! }));

  const problems = [...readProblems, ...build.problems];
  for (const problem of problems) {
    logger.warn(formatProblem(problem, config.contentDir).join('\n'), { code: problem.code, file: problem.file, issues: problem.issues });
  }
  const report: BuildReport = {
    startedAt,
    durationMs: elapsedMs(started),
    filesRead: readFiles.length,
    filesParsed,
    ...build.counts,
    nextScheduled: build.nextScheduled,
    skipped: problems.filter((problem) => problem.file !== undefined).length,
    problems,
    written: written.written,
    unchanged: written.unchanged,
    removed: written.removed,
  };
  const result = { report, files };
  cache.last = { result, inputs: readFiles, problems: problemsKey, validUntil: validUntil(build) };
  return result;
}

/** When a build's output would change with no file changing: a held-back article comes due, or a deletion notice expires. */
function validUntil(build: { nextScheduled?: Date; nextExpiry: number }): number {
  return Math.min(build.nextScheduled?.getTime() ?? Number.POSITIVE_INFINITY, build.nextExpiry);
}
