/**
 * The ONE build cache: everything a build keeps so that the next one does only the work that
 * changed. A long-running process keeps it in memory between builds; every build also saves it in
 * STATE_DIR/cache/ (index.json and the entry segments), so that the next process (a restart, the
 * next CI run with the folder restored) starts warm.
 *
 * Stamped with the code and the configuration that produced it: a cache from another version of
 * the service, another configuration, or one that is corrupt or truncated is discarded with one
 * log line, and the build does everything afresh. Nothing read from it is trusted beyond that:
 * a content file counts as unchanged only by its bytes' hash or a stat that cannot lie (see
 * scan-content.ts), and a stored entry is checked against its digest before it is first copied
 * into a feed (entry-store.ts).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config.js';
import type { Problem } from '../content/problems.js';
import type { FileStat } from '../content/read-content.js';
import type { ArticleRecord } from '../feeds/article-record.js';
import type { ContentModel, FileOutcome } from '../feeds/content-model.js';
import type { EntryState } from '../feeds/deleted-entries.js';
import type { DocumentPlan, PlanMemo } from '../feeds/feed-documents.js';
import type { PageEdgeBook } from '../feeds/page-edges.js';
import type { Logger } from '../logger.js';
import { buildFs } from './build-fs.js';
import { DiskWriteError, writingFile } from './disk-write-error.js';
import { CacheIndexUnusable, loadIndex, peekSavedBuild, saveIndex, saveIndexUnlessStopped, type IndexContents, type IndexSaved, type LoadedIndex, type SavedLines, type UnreadIndex } from './cache-index.js';
import { EntryReader, type EntryLocation, type SegmentWriter } from './entry-store.js';
import type { BuildReport, BuildResult } from './build-result.js';
import { folderCounts, type FeedsManifest } from './write-feeds.js';

/** A content file as the last scan found it, and what its bytes gave. */
export interface ScannedFile {
  readonly file: string;
  readonly stat: FileStat;
  /** When that stat was taken (ms since the epoch): a file changed in the same instant is read again. */
  readonly checkedAt: number;
  readonly key: string;
  readonly outcome: FileOutcome<ArticleRecord>;
}

/**
 * Every cache a build keeps, in one place. `entries` and `documents` (and each loaded file's
 * outcome) come from the saved index's unread part the first time anything asks for them: a
 * process whose scan finds nothing changed never reads it.
 */
export class BuildCache {
  /** Content files by path (relative, `/` separators), as the last scan found them. */
  readonly files = new Map<string, ScannedFile>();
  /** Where the entry segments are, and the reader that holds them open. */
  readonly entriesDir: string;
  readonly reader: EntryReader;
  /** The segment this thread appends rendered entries to between builds (memory only). */
  writer?: SegmentWriter;
  /** The last build's selection and grouping, reused when only article texts changed (memory only). */
  model?: ContentModel<ArticleRecord>;
  /** The entry state as the last build left it (memory only; STATE_DIR/entries.json on disk). */
  state?: EntryState;
  /** Where each feed's whole archive pages end, as the last build left it (memory only; STATE_DIR/pages.json on disk). */
  pageEdges?: PageEdgeBook;
  /** The files in the feeds folder as the last build left them (memory only; its manifest on disk). */
  written?: FeedsManifest;
  /**
   * The last build and until when it stays right if no file changes: the next held-back
   * article's date or the next deletion notice's expiry, whichever is first (memory only).
   */
  last?: { readonly result: BuildResult; readonly files: readonly ScannedFile[]; readonly problems: string; readonly validUntil: number };
  /** The last full scan's read problems and when it ran (memory only). */
  lastScan?: { readonly files: readonly ScannedFile[]; readonly problems: readonly Problem[]; readonly at: number };
  /**
   * The last build as saved: a digest of its inputs (every file's path and content key, and the
   * read problems), until when its output stays right, its report, and the feeds folder's manifest
   * as it left it. A new process whose scan gives the same digest has nothing to do.
   */
  lastBuild?: SavedBuild;
  /** The last build of this process, made into lastBuild when the cache is saved (memory only). */
  finishedBuild?: { readonly files: readonly ScannedFile[]; readonly problems: string } & Omit<SavedBuild, 'inputs'>;
  /** Something in the cache changed since it was loaded or saved (memory only). */
  dirty = true;
  /**
   * Where the lines of the saved index lie and what they hold, for the next save to copy those
   * whose items did not change (cache-index.ts): the loaded index's, then each save's (memory
   * only).
   */
  savedLines?: SavedLines;
  /** The last document plans of each collection path, reused where nothing in them changed (memory only). */
  readonly plans = new Map<string, PlanMemo<ArticleRecord>>();
  /**
   * The plans whose four files the last build of this process wrote or found intact: the next
   * build keeps them without looking at the disk (memory only; emptied when a build fails).
   */
  writtenPlans = new WeakSet<DocumentPlan<ArticleRecord>>();
  /** The last build of this process finished and left no temporary file in the feeds folder (memory only). */
  feedsFolderSwept?: boolean;
  /** Values that repeat across articles (topics, providers, categories, segment names), each kept once (memory only). */
  readonly shared = new SharedValues();
  #entries = new Map<string, EntryLocation>();
  #documents = new Map<string, string>();
  /** The saved index's outcomes, entries and documents, not read yet. */
  #unread?: UnreadIndex;
  #onIndexRead?: (entries: ReadonlyMap<string, EntryLocation>) => void;
  #forgetDocumentsOnRead = false;

  constructor(entriesDir: string) {
    this.entriesDir = entriesDir;
    this.reader = new EntryReader(entriesDir);
  }

  /** Rendered entries by content key (entry-store.ts). */
  get entries(): Map<string, EntryLocation> {
    this.#readIndex();
    return this.#entries;
  }

  /** The fingerprint of every document the last build wrote, by document path. */
  get documents(): Map<string, string> {
    this.#readIndex();
    return this.#documents;
  }

  /**
   * Forgets every document's fingerprint (after a failed build: the next one compares every
   * document by its bytes), without reading the saved index's rest for it.
   */
  forgetDocuments(): void {
    if (this.#unread) this.#forgetDocumentsOnRead = true;
    else this.#documents.clear();
  }

  /** Takes a loaded index: its files now, the rest when first needed (then `onRead` is called with the entries). */
  adoptIndex(index: LoadedIndex, onRead?: (entries: ReadonlyMap<string, EntryLocation>) => void): void {
    for (const file of index.files) this.files.set(file.file, file);
    this.lastBuild = index.lastBuild;
    this.savedLines = index.savedLines;
    this.#unread = index.rest;
    this.#onIndexRead = onRead;
  }

  /**
   * The saved index's rest, still unread, if `files` are the files it was saved with (the same
   * paths and contents in the same order): it then holds their outcomes, and the entries and
   * documents are as it says.
   */
  unreadIndexFor(files: readonly ScannedFile[]): Buffer | undefined {
    return this.#forgetDocumentsOnRead ? undefined : this.#unread?.bytesFor(files);
  }

  /** Whether the saved index's rest is still unread (nothing but the scan part was needed). */
  get indexUnread(): boolean {
    return this.#unread !== undefined;
  }

  /** Lets the saved index's rest go unread (the cache is being discarded). */
  abandonIndex(): void {
    this.#unread?.abandon();
    this.#unread = undefined;
    this.#onIndexRead = undefined;
  }

  #readIndex(): void {
    const unread = this.#unread;
    if (!unread) return;
    const rest = unread.read();
    this.#unread = undefined;
    this.#entries = rest.entries;
    this.#documents = this.#forgetDocumentsOnRead ? new Map() : rest.documents;
    this.#forgetDocumentsOnRead = false;
    this.#onIndexRead?.(rest.entries);
    this.#onIndexRead = undefined;
  }
}

/**
 * One copy of each value that repeats across articles: a record that arrives from a parse thread
 * (a structured clone) brings its own copies of its topics, provider and category, which at 100k
 * articles add up to tens of megabytes.
 */
export class SharedValues {
  readonly #strings = new Map<string, string>();
  readonly #lists = new Map<string, string[]>();
  readonly #providers = new Map<string, NonNullable<ArticleRecord['provider']>>();

  string(text: string): string {
    const known = this.#strings.get(text);
    if (known !== undefined) return known;
    this.#strings.set(text, text);
    return text;
  }

  /** The list, shared (frozen: a shared list is never changed). */
  list(items: readonly string[]): string[] {
    const key = items.join('\0');
    const known = this.#lists.get(key);
    if (known) return known;
    const list = Object.freeze(items.map((item) => this.string(item))) as string[];
    this.#lists.set(key, list);
    return list;
  }

  provider(provider: ArticleRecord['provider']): ArticleRecord['provider'] {
    if (provider === undefined) return undefined;
    const key = `${provider.name}\0${provider.domain ?? ''}`;
    const known = this.#providers.get(key);
    if (known) return known;
    const shared = provider.domain === undefined ? { name: this.string(provider.name) } : { name: this.string(provider.name), domain: this.string(provider.domain) };
    this.#providers.set(key, shared);
    return shared;
  }

  /**
   * The record with its repeating values replaced by the shared copies, and its path by `file`
   * when they are equal (the string the scan keeps for it): changed in place, it was just received.
   */
  record<T extends ArticleRecord>(record: T, file?: string): T {
    const mutable = record as { -readonly [K in keyof ArticleRecord]: ArticleRecord[K] };
    if (file !== undefined && record.file === file) mutable.file = file;
    mutable.topics = this.list(record.topics);
    mutable.provider = this.provider(record.provider);
    if (record.category !== undefined) mutable.category = this.string(record.category);
    return record;
  }
}

export interface SavedBuild {
  readonly inputs: string;
  /**
   * The content folder's listing print as the build found it (scan-content.ts, listingPrint),
   * when every stat in it was settled: a new process whose listing gives the same print has
   * nothing to do, known without loading the index's file rows. Absent otherwise (a scan of named
   * files only, a file changed moments before it was read).
   */
  readonly listing?: string;
  readonly validUntil: number;
  readonly report: SavedReport;
  /** The feeds folder's manifest file as the build left it: its size and mtime, and how many files it lists. */
  readonly manifest: { readonly size: number; readonly mtimeMs: number; readonly files?: number };
  /** Each folder of the feeds folder and how many entries the manifest accounts for in it (write-feeds.ts, folderCounts). */
  readonly folders?: readonly (readonly [string, number])[];
}

/** A build report as saved (dates as ISO text). */
export type SavedReport = Omit<BuildReport, 'startedAt' | 'nextScheduled' | 'written' | 'unchanged' | 'removed'> & { readonly nextScheduled?: string };

const CACHE_FOLDER = 'cache';
const INDEX_FILE = 'index.json';

export function cacheDir(stateDir: string): string {
  return path.join(stateDir, CACHE_FOLDER);
}

/** An empty cache whose entries go to STATE_DIR/cache/. */
export function createBuildCache(stateDir: string): BuildCache {
  return new BuildCache(cacheDir(stateDir));
}

// ---------------------------------------------------------------- the stamp

/**
 * What produced a cache: the service's code (every module file beside this one, hashed) and the
 * versions of the packages whose output it holds, and the configuration that shapes the output.
 */
export interface CacheStamp {
  readonly code: string;
  readonly config: string;
}

let codeStamp: string | undefined;

const RENDERING_PACKAGES = ['feed', 'gray-matter', 'htmlparser2', 'js-yaml', 'markdown-it', 'sanitize-html', 'zod', '@sindresorhus/transliterate'];

/** A hash of this service's own code (src/ or dist/, whichever runs) and of its renderers' versions. */
function currentCodeStamp(): string {
  if (codeStamp) return codeStamp;
  const hash = createHash('sha256');
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const files = readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((name) => /\.(?:js|ts)$/.test(name) && !name.endsWith('.d.ts'))
    .sort();
  for (const name of files) hash.update(name).update('\0').update(readFileSync(path.join(root, name))).update('\0');
  for (const name of RENDERING_PACKAGES) {
    let version = 'absent';
    try {
      version = (JSON.parse(readFileSync(fileURLToPath(import.meta.resolve(`${name}/package.json`)), 'utf8')) as { version?: string }).version ?? 'unknown';
    } catch {
      // Not resolvable as name/package.json (no such export): its main file decides below.
      try {
        version = createHash('sha256').update(readFileSync(fileURLToPath(import.meta.resolve(name)))).digest('hex');
      } catch {
        version = 'unresolvable';
      }
    }
    hash.update(`${name}@${version}\0`);
  }
  codeStamp = hash.digest('base64url').slice(0, 22);
  return codeStamp;
}

/** The settings that shape what a build writes (not where it listens or how much it logs). */
export function configStamp(config: Config): string {
  const shaping = { site: config.site, deletedEntryDays: config.deletedEntryDays, maxFileBytes: config.maxFileBytes };
  return createHash('sha256').update(JSON.stringify(shaping)).digest('base64url').slice(0, 22);
}

export function cacheStamp(config: Config): CacheStamp {
  return { code: currentCodeStamp(), config: configStamp(config) };
}

/** Files whose lines inputsDigest hashes in one call. */
const DIGEST_CHUNK = 1024;

/**
 * A digest of what a build reads: every file's path and content key, in order (`path\0key\n`
 * each), and the read problems. The lines are handed to the hash a thousand at a time: four calls
 * into it per file took 35 ms at 100 000 files, twice in a build that something changed.
 */
export function inputsDigest(files: readonly ScannedFile[], problemsKey: string): string {
  const hash = createHash('sha256');
  for (let start = 0; start < files.length; start += DIGEST_CHUNK) {
    const end = Math.min(files.length, start + DIGEST_CHUNK);
    let lines = '';
    for (let index = start; index < end; index++) lines += `${files[index]!.file}\0${files[index]!.key}\n`;
    hash.update(lines);
  }
  return hash.update(problemsKey).digest('base64url');
}

// ---------------------------------------------------------------- on disk

/** The size of STATE_DIR's saved index (not whether it can be used), known without reading it; undefined when there is none. */
export function savedIndexBytes(stateDir: string): number | undefined {
  return statSync(path.join(cacheDir(stateDir), INDEX_FILE), { throwIfNoEntry: false })?.size;
}

/** Bytes of a saved index per content file, at least (its file row alone is about 100). */
export const INDEX_BYTES_PER_FILE = 100;

/** The last build saved in STATE_DIR for this code and configuration, read without the rest of the cache (cache-index.ts, peekSavedBuild). */
export function peekLastBuild(stateDir: string, stamp: CacheStamp): SavedBuild | undefined {
  return peekSavedBuild(path.join(cacheDir(stateDir), INDEX_FILE), stamp);
}

/**
 * Reads STATE_DIR/cache/index.json (cache-index.ts) into a cache for this code and configuration:
 * the files a scan compares with now, their outcomes, the entries and the documents when first
 * needed. A cache that is missing gives an empty one; one that is unreadable, truncated, altered,
 * or stamped by other code or another configuration is removed with one log line, and an empty
 * one is returned.
 */
export function loadBuildCache(stateDir: string, stamp: CacheStamp, logger: Logger): BuildCache {
  const cache = createBuildCache(stateDir);
  const dir = cacheDir(stateDir);
  let index: LoadedIndex | undefined;
  try {
    index = loadIndex(path.join(dir, INDEX_FILE), stamp, cache.shared);
  } catch (error) {
    discard(dir, logger, error instanceof CacheIndexUnusable ? error.message : `it cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    return createBuildCache(stateDir);
  }
  const { segments, temporary } = cacheFolderFiles(dir);
  removeFiles(dir, temporary);
  if (index === undefined) {
    removeFiles(dir, segments);
    return cache;
  }
  // Segments no entry points to (left by an interrupted build) go once the entries are read: a
  // build with nothing to do does not read them. Segments written after this load are not in the list.
  cache.adoptIndex(index, (entries) => {
    const used = new Set<string>();
    for (const entry of entries.values()) used.add(entry.segment);
    removeFiles(dir, segments.filter((name) => !used.has(name)));
  });
  cache.dirty = false;
  return cache;
}

/**
 * Empties `cache` in place and removes its folder, after an entry in it turned out not to be what
 * was written (a truncated or altered segment), or its index could not be read: the caller then
 * builds everything afresh.
 */
export function discardBuildCache(cache: BuildCache, logger: Logger, reason: string): void {
  cache.abandonIndex();
  cache.reader.close();
  try {
    cache.writer?.close();
  } catch {
    // A segment that cannot be written (a full disk) goes with the folder.
  }
  cache.writer = undefined;
  discard(cache.entriesDir, logger, reason);
  cache.files.clear();
  cache.entries.clear();
  cache.documents.clear();
  cache.model = undefined;
  cache.last = undefined;
  cache.lastScan = undefined;
  cache.lastBuild = undefined;
  cache.finishedBuild = undefined;
  cache.writtenPlans = new WeakSet();
  cache.plans.clear();
  cache.savedLines = undefined;
  cache.dirty = true;
}

function discard(dir: string, logger: Logger, reason: string): void {
  logger.warn(`build cache discarded: ${reason}; the build reads, parses and renders everything afresh`, { cache: dir });
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch (error) {
    // Its index is not trusted anyway when next read (stamp, checksum, entry digests).
    logger.warn('build cache folder could not be removed', { cache: dir, error });
  }
}

/** The entry segments and the temporary files (of an index being written) in the cache folder. */
function cacheFolderFiles(dir: string): { segments: string[]; temporary: string[] } {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return { segments: [], temporary: [] };
  }
  return { segments: names.filter((name) => name.startsWith('entries-') && name.endsWith('.bin')), temporary: names.filter((name) => name.endsWith('.tmp')) };
}

function removeFiles(dir: string, names: readonly string[]): void {
  for (const name of names) rmSync(path.join(dir, name), { force: true });
}

/**
 * Writes the cache's index (atomically: a temporary file renamed over the old one), keeping only
 * the entries whose keys are in `liveKeys` (every one when undefined). When the index's rest was
 * never read and the files are those it was saved with (a scan that only found new stats, as
 * after a checkout), the rest is copied as it is; otherwise the lines of the index this process
 * loaded that no change touched are (cache-index.ts, SavedLines). Returns what it wrote.
 */
export function saveBuildCache(cache: BuildCache, stamp: CacheStamp, liveKeys: ReadonlySet<string> | undefined): IndexSaved {
  const { file, contents } = indexToSave(cache, liveKeys);
  let saved: IndexSaved;
  try {
    saved = saveIndex(file, stamp, contents);
  } catch (error) {
    throw new DiskWriteError(file, error);
  }
  cache.savedLines = saved.lines;
  cache.dirty = false;
  return saved;
}

/**
 * The same save, pausing after each megabyte so that other work (a build the watcher asks for)
 * is not held up by it: once `stop()` is true at one of those pauses, the save stops, leaving the
 * saved index as it was and the cache dirty, and resolves to false (else to what it wrote).
 * Nothing may change the cache during a pause unless `stop()` is then true.
 */
export async function saveBuildCacheUnlessStopped(cache: BuildCache, stamp: CacheStamp, liveKeys: ReadonlySet<string> | undefined, stop: () => boolean): Promise<IndexSaved | false> {
  const { file, contents } = indexToSave(cache, liveKeys);
  let saved: IndexSaved | false;
  try {
    saved = await saveIndexUnlessStopped(file, stamp, contents, stop);
  } catch (error) {
    throw new DiskWriteError(file, error);
  }
  if (!saved) return false;
  cache.savedLines = saved.lines;
  cache.dirty = false;
  return saved;
}

function indexToSave(cache: BuildCache, liveKeys: ReadonlySet<string> | undefined): { file: string; contents: IndexContents } {
  writingFile(cache.entriesDir, () => buildFs.mkdirSync(cache.entriesDir, { recursive: true }));
  if (cache.finishedBuild) {
    const { files, problems, ...saved } = cache.finishedBuild;
    // The folders are counted here, not after each build: at 100k articles that is 35 000 names.
    cache.lastBuild = { ...saved, inputs: inputsDigest(files, problems), ...(cache.written ? { folders: folderCounts(cache.written) } : {}) };
    cache.finishedBuild = undefined;
  }
  const file = path.join(cache.entriesDir, INDEX_FILE);
  const files = [...cache.files.values()];
  const unreadRest = liveKeys === undefined ? cache.unreadIndexFor(files) : undefined;
  if (unreadRest) return { file, contents: { files, rest: unreadRest, lastBuild: cache.lastBuild } };
  const entries = liveKeys === undefined ? [...cache.entries] : [...cache.entries].filter(([key]) => liveKeys.has(key));
  return { file, contents: { files, entries, documents: [...cache.documents], lastBuild: cache.lastBuild, saved: cache.savedLines } };
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
