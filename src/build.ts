import { buildFeedFiles, type ParsedSource, type SourceFile } from './core/build-feed-files.js';
import type { FeedFile } from './core/feed-formats.js';
import { parseArticle, type ParseResult } from './core/parse-article.js';
import { formatProblem, type Problem } from './core/problems.js';
import { createRenderCache, type RenderCache } from './core/render-cache.js';
import type { Config } from './config.js';
import { readEntryState, writeEntryState } from './io/entry-state.js';
import type { Logger } from './io/logger.js';
import { readContent } from './io/read-content.js';
import { writeFeedFiles, type WrittenFile } from './io/write-feeds.js';

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
  readonly parsed: Map<string, { readonly size: number; readonly mtimeMs: number; readonly result: ParseResult }>;
  readonly render: RenderCache;
  readonly written: Map<string, { readonly file: FeedFile; readonly built: BuiltFile }>;
}

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
 * The one build: read content/, turn it into feeds, write them to feeds/. The CLI, the boot build
 * and every scheduled build call this; the server serves the files it returns, which are the same
 * bytes it wrote. Bad articles are reported, never thrown; an I/O failure throws and leaves the
 * previous files in place.
 */
export async function buildFeeds({ config, logger, clock = () => new Date(), cache = createBuildCache() }: BuildDependencies): Promise<BuildResult> {
  const startedAt = clock();
  const read = readContent(config.contentDir, {
    maxFileBytes: config.maxFileBytes,
    isUnchanged: (file, size, mtimeMs) => {
      const known = cache.parsed.get(file);
      return known !== undefined && known.size === size && known.mtimeMs === mtimeMs;
    },
  });

  const sources: (SourceFile | ParsedSource)[] = [];
  const parsed = new Map<string, { size: number; mtimeMs: number; result: ParseResult }>();
  let filesParsed = 0;
  for (const file of read.files) {
    const result = file.text === undefined ? cache.parsed.get(file.file)!.result : parseArticle(file.text, file.file);
    if (file.text !== undefined) filesParsed++;
    parsed.set(file.file, { size: file.size, mtimeMs: file.mtimeMs, result });
    sources.push({ file: file.file, parsed: result });
  }
  // Forget files that are gone, so the cache holds no more than the content folder.
  cache.parsed.clear();
  for (const [file, entry] of parsed) cache.parsed.set(file, entry);

  const previousState = await readEntryState(config.stateDir);
  const build = buildFeedFiles(sources, config.site, startedAt, {
    previousState,
    deletedEntryDays: config.deletedEntryDays,
    renderCache: cache.render,
  });
  const written = await writeFeedFiles(config.feedsDir, build.files, { isUnchanged: (file) => cache.written.get(file.name)?.file === file });
  await writeEntryState(config.stateDir, build.state);

  const modified = new Map<string, WrittenFile>(written.files.map((file) => [file.name, file]));
  const files = build.files.map((file): BuiltFile => {
    const previous = cache.written.get(file.name);
    if (previous?.file === file) return previous.built;
    return { ...file, modified: modified.get(file.name)?.modified ?? startedAt };
  });
  cache.written.clear();
  build.files.forEach((file, index) => cache.written.set(file.name, { file, built: files[index]! }));

  const problems = [...read.problems, ...build.problems];
  for (const problem of problems) {
    logger.warn(formatProblem(problem, config.contentDir).join('\n'), { code: problem.code, file: problem.file, issues: problem.issues });
  }
  const report: BuildReport = {
    startedAt,
    durationMs: clock().getTime() - startedAt.getTime(),
    filesRead: read.files.length,
    filesParsed,
    ...build.counts,
    nextScheduled: build.nextScheduled,
    skipped: problems.filter((problem) => problem.file !== undefined).length,
    problems,
    written: written.written,
    unchanged: written.unchanged,
    removed: written.removed,
  };
  return { report, files };
}
