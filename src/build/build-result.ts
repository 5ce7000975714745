/**
 * What a build gives its caller (the CLI, the server's build thread, the tests): its report, and
 * the files of the feeds folder as the server serves them. Shared by the two halves of a build:
 * the scan with its shortcuts (build-feeds.ts) and the rest (make-feeds.ts).
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import type { Problem } from '../content/problems.js';
import { compareCodePoints } from '../feeds/code-point-order.js';
import { MANIFEST_NAME, whenFilesChange, type FeedsManifest, type ManifestFile } from './write-feeds.js';
import { journalOf } from './journaled-file.js';

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
  /** Of them, the ones a document write thread wrote (a large build's new files: write-threads.ts). */
  readonly renderedByWriteThread: number;
  /** Files that were not published because of a problem (each is in `problems`). */
  readonly skipped: number;
  readonly problems: readonly Problem[];
  readonly written: readonly string[];
  /** How many files of the feeds folder the build left as they were (a count: at a million articles they are over a million). */
  readonly unchanged: number;
  readonly removed: readonly string[];
  /**
   * What the byte budget (FEED_MAX_BYTES) did, when it did anything: how many subscription
   * documents it cut short and by how many of their newest `FEED_MAX_ITEMS` entries in all (in
   * archive pages, or, `leftOut` of them, in no document: feeds of a kind without archives), and
   * the content files whose entry alone is over the budget (each published alone in a document).
   */
  readonly overBudget?: { readonly feeds: number; readonly entries: number; readonly leftOut: number; readonly oversized: readonly string[] };
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
export function builtFile(file: ManifestFile): BuiltFile {
  return { name: file.name, contentType: file.contentType, hash: file.hash, size: file.size, modified: new Date(Math.round(file.mtimeMs)) };
}

/** A file's name and the hash of its bytes: what a build compares with what its caller holds. */
export type FileHash = Pick<BuiltFile, 'name' | 'hash'>;

/**
 * For each result of `buildResult` (and `unchangedBuildResult`), its files as they stand without
 * making a BuiltFile of each: the manifest's rows (or their copy, see `rowsAsTheyStand`), or its
 * files once made.
 */
const fileHashes = new WeakMap<BuildResult, () => { readonly count: number; readonly files: Iterable<FileHash> }>();

/**
 * Whether `test` holds for every file of `result`. A result whose files were not read yet is
 * answered from the manifest's rows, and its files stay unmade: a server's build thread asks this
 * of its last build before each scheduled rebuild (build-feeds.ts), and files made then would
 * stay alive with that build (35 000 of them at 100k articles, 340 000 at a million).
 */
export function everyFile(result: BuildResult, test: (file: FileHash) => boolean): boolean {
  for (const file of hashesOf(result).files) if (!test(file)) return false;
  return true;
}

/** How many files `result` has, its files left unmade as by `everyFile`. */
export function fileCount(result: BuildResult): number {
  return hashesOf(result).count;
}

/** `result`'s files without making them where it can tell them so; otherwise its files. */
function hashesOf(result: BuildResult): { readonly count: number; readonly files: Iterable<FileHash> } {
  return fileHashes.get(result)?.() ?? { count: result.files.length, files: result.files };
}

/** A result whose `files` are read from the manifest when first asked for. */
export function buildResult(
  report: BuildReport,
  manifest: FeedsManifest,
  feedsDir: string,
  delta: { readonly changed: readonly BuiltFile[]; readonly removed: readonly string[]; readonly complete: boolean },
): BuildResult {
  const rows = rowsAsTheyStand(manifest);
  let files: BuiltFile[] | undefined;
  const result: BuildResult = {
    report,
    feedsDir,
    ...delta,
    get files(): BuiltFile[] {
      if (!files) {
        // With the bytes of the files this build returned them for.
        const given = new Map(delta.changed.filter((file) => file.body).map((file) => [file.name, file]));
        files = rows.take().sort((a, b) => compareCodePoints(a.name, b.name)).map((file) => given.get(file.name) ?? builtFile(file));
      }
      return files;
    },
  };
  fileHashes.set(result, () => (files ? { count: files.length, files } : rows.peek()));
  return result;
}

/**
 * A manifest's rows as they stand now, for a result to read later: copied only if a later
 * partial build is about to change the map in place before they were taken. A function of its
 * own, so that the hook it leaves with the manifest holds the manifest and the copy and nothing
 * else: made beside the result's getter, it shared that getter's closure, which holds all the
 * result describes (the first build's 35 000 files at 100k articles, and their bytes where the
 * caller kept them), for as long as the manifest went unchanged.
 */
function rowsAsTheyStand(manifest: FeedsManifest): { peek(): { count: number; files: Iterable<ManifestFile> }; take(): ManifestFile[] } {
  let copy: ManifestFile[] | undefined;
  let taken = false;
  whenFilesChange(manifest.files, () => {
    if (!taken) copy = [...manifest.files.values()];
  });
  return {
    peek: () => (copy ? { count: copy.length, files: copy } : { count: manifest.files.size, files: manifest.files.values() }),
    take: () => {
      const rows = copy ?? [...manifest.files.values()];
      taken = true;
      copy = undefined;
      return rows;
    },
  };
}

/**
 * A build that changed nothing: `last`'s files (made when first read, by `last`) under this
 * build's report. A copy of `last` would make them at once ({...last} reads every getter).
 */
export function unchangedBuildResult(last: BuildResult, report: BuildReport): BuildResult {
  const result: BuildResult = {
    report,
    feedsDir: last.feedsDir,
    changed: [],
    removed: [],
    complete: false,
    get files() {
      return last.files;
    },
  };
  fileHashes.set(result, () => hashesOf(last));
  return result;
}

/**
 * The result of a build that kept every file as the manifest in `feedsDir` lists them (the saved
 * build of an earlier process): the manifest is read only when `files` or `changed` is first
 * asked for (the CLI asks for neither: at 100k articles that read is about 60 ms of a run with
 * nothing to do). A manifest gone or unreadable by then throws, naming the folder.
 */
export function keptBuildResult(report: BuildReport, feedsDir: string, readFiles: () => FeedsManifest | undefined): BuildResult {
  let result: BuildResult | undefined;
  const read = (): BuildResult => {
    if (!result) {
      const manifest = readFiles();
      if (!manifest) throw new Error(`the manifest of ${feedsDir} could not be read after the build kept its files`);
      result = buildResult(report, manifest, feedsDir, { changed: [...manifest.files.values()].map(builtFile), removed: [], complete: true });
    }
    return result;
  };
  return {
    report,
    feedsDir,
    removed: [],
    complete: true,
    get files() {
      return read().files;
    },
    get changed() {
      return read().changed;
    },
  };
}

/**
 * The feeds folder's manifest as its files stand: the snapshot's size plus its journal's, and the
 * later of their mtimes; undefined when there is none. (With the journal: a build whose manifest
 * change was an append, or one whose append was taken back, changes it too.)
 */
export function manifestStat(feedsDir: string): { size: number; mtimeMs: number } | undefined {
  let stats;
  try {
    stats = statSync(path.join(feedsDir, MANIFEST_NAME));
  } catch {
    return undefined;
  }
  const journal = statSync(path.join(feedsDir, journalOf(MANIFEST_NAME)), { throwIfNoEntry: false });
  return { size: stats.size + (journal?.size ?? 0), mtimeMs: Math.max(stats.mtimeMs, journal?.mtimeMs ?? 0) };
}

export const ms = (duration: number) => Math.round(duration);

/** Milliseconds since `started` (performance.now()), to the microsecond: monotonic, unlike Date. */
export function elapsedMs(started: number): number {
  return Math.round((performance.now() - started) * 1000) / 1000;
}
