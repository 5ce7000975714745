import { buildFeedFiles } from './core/build-feed-files.js';
import type { FeedFile } from './core/feed-formats.js';
import { formatProblem, type Problem } from './core/problems.js';
import type { Config } from './config.js';
import type { Logger } from './io/logger.js';
import { readContent } from './io/read-content.js';
import { readEntryState, writeEntryState } from './io/entry-state.js';
import { writeFeedFiles } from './io/write-feeds.js';

export interface BuildReport {
  readonly startedAt: Date;
  readonly durationMs: number;
  /** Markdown files read from the content folder. */
  readonly filesRead: number;
  readonly published: number;
  readonly drafts: number;
  readonly scheduled: number;
  readonly nextScheduled?: Date;
  readonly topics: number;
  readonly feeds: number;
  readonly archivePages: number;
  /** Entries announced as deleted (RFC 6721). */
  readonly deleted: number;
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

export interface BuildDependencies {
  readonly config: Config;
  readonly logger: Logger;
  readonly clock?: () => Date;
}

/**
 * The one build: read content/, turn it into feeds, write them to feeds/. The CLI, the boot build
 * and every scheduled build call this; the server serves the files it returns, which are the same
 * bytes it wrote. Bad articles are reported, never thrown; an I/O failure throws and leaves the
 * previous files in place.
 */
export async function buildFeeds({ config, logger, clock = () => new Date() }: BuildDependencies): Promise<BuildResult> {
  const startedAt = clock();
  const read = await readContent(config.contentDir, { maxFileBytes: config.maxFileBytes });
  const previousState = await readEntryState(config.stateDir);
  const build = buildFeedFiles(read.sources, config.site, startedAt, { previousState, deletedEntryDays: config.deletedEntryDays });
  const written = await writeFeedFiles(config.feedsDir, build.files);
  await writeEntryState(config.stateDir, build.state);
  const modified = new Map(written.files.map((file) => [file.name, file.modified]));
  const problems = [...read.problems, ...build.problems];
  for (const problem of problems) {
    logger.warn(formatProblem(problem, config.contentDir).join('\n'), { code: problem.code, file: problem.file, issues: problem.issues });
  }
  const report: BuildReport = {
    startedAt,
    durationMs: clock().getTime() - startedAt.getTime(),
    filesRead: read.sources.length,
    ...build.counts,
    nextScheduled: build.nextScheduled,
    skipped: problems.filter((problem) => problem.file !== undefined).length,
    problems,
    written: written.written,
    unchanged: written.unchanged,
    removed: written.removed,
  };
  return { report, files: build.files.map((file) => ({ ...file, modified: modified.get(file.name) ?? startedAt })) };
}
