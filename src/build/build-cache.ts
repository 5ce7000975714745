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
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config.js';
import type { Issue, Problem } from '../content/problems.js';
import type { FileStat } from '../content/read-content.js';
import { draftRecord, type ArticleRecord } from '../feeds/article-record.js';
import type { ContentModel, FileOutcome } from '../feeds/content-model.js';
import type { EntryState } from '../feeds/deleted-entries.js';
import type { DocumentPlan, PlanMemo } from '../feeds/feed-documents.js';
import type { Logger } from '../logger.js';
import { buildFs } from './build-fs.js';
import { DiskWriteError, writingFile } from './disk-write-error.js';
import { writeAll } from './write-all.js';
import { EntryReader, type EntryLocation, type SegmentWriter } from './entry-store.js';
import type { BuildReport, BuildResult } from './build-feeds.js';
import type { FeedsManifest } from './write-feeds.js';

/** A content file as the last scan found it, and what its bytes gave. */
export interface ScannedFile {
  readonly file: string;
  readonly stat: FileStat;
  /** When that stat was taken (ms since the epoch): a file changed in the same instant is read again. */
  readonly checkedAt: number;
  readonly key: string;
  readonly outcome: FileOutcome<ArticleRecord>;
}

export interface BuildCache {
  /** Content files by path (relative, `/` separators), as the last scan found them. */
  readonly files: Map<string, ScannedFile>;
  /** Rendered entries by content key (entry-store.ts). */
  readonly entries: Map<string, EntryLocation>;
  /** The fingerprint of every document the last build wrote, by document path. */
  readonly documents: Map<string, string>;
  /** Where the entry segments are, and the reader that holds them open. */
  readonly entriesDir: string;
  readonly reader: EntryReader;
  /** The segment this thread appends rendered entries to between builds (memory only). */
  writer?: SegmentWriter;
  /** The last build's selection and grouping, reused when only article texts changed (memory only). */
  model?: ContentModel<ArticleRecord>;
  /** The entry state as the last build left it (memory only; STATE_DIR/entries.json on disk). */
  state?: EntryState;
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
  dirty: boolean;
  /** The last document plans of each collection path, reused where nothing in them changed (memory only). */
  readonly plans: Map<string, PlanMemo<ArticleRecord>>;
  /**
   * The plans whose four files the last build of this process wrote or found intact: the next
   * build keeps them without looking at the disk (memory only; emptied when a build fails).
   */
  writtenPlans: WeakSet<DocumentPlan<ArticleRecord>>;
  /** The last build of this process finished and left no temporary file in the feeds folder (memory only). */
  feedsFolderSwept?: boolean;
  /** Values that repeat across articles (topics, providers, categories, segment names), each kept once (memory only). */
  readonly shared: SharedValues;
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

  /** The record with its repeating values replaced by the shared copies (changed in place: it was just received). */
  record<T extends ArticleRecord>(record: T): T {
    const mutable = record as { -readonly [K in keyof ArticleRecord]: ArticleRecord[K] };
    mutable.topics = this.list(record.topics);
    mutable.provider = this.provider(record.provider);
    if (record.category !== undefined) mutable.category = this.string(record.category);
    return record;
  }
}

export interface SavedBuild {
  readonly inputs: string;
  readonly validUntil: number;
  readonly report: SavedReport;
  /** The feeds folder's manifest file as the build left it: its size and mtime. */
  readonly manifest: { readonly size: number; readonly mtimeMs: number };
}

/** A build report as saved (dates as ISO text). */
export type SavedReport = Omit<BuildReport, 'startedAt' | 'nextScheduled' | 'written' | 'unchanged' | 'removed'> & { readonly nextScheduled?: string };

const CACHE_FOLDER = 'cache';
const INDEX_FILE = 'index.json';
const FORMAT = 'feed-syndication-service build cache';
const FORMAT_VERSION = 1;

export function cacheDir(stateDir: string): string {
  return path.join(stateDir, CACHE_FOLDER);
}

/** An empty cache whose entries go to STATE_DIR/cache/. */
export function createBuildCache(stateDir: string): BuildCache {
  const entriesDir = cacheDir(stateDir);
  return {
    files: new Map(),
    entries: new Map(),
    documents: new Map(),
    entriesDir,
    reader: new EntryReader(entriesDir),
    dirty: true,
    shared: new SharedValues(),
    plans: new Map(),
    writtenPlans: new WeakSet(),
  };
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

const RENDERING_PACKAGES = ['feed', 'gray-matter', 'js-yaml', 'markdown-it', 'sanitize-html', 'zod', '@sindresorhus/transliterate'];

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

/** A digest of what a build reads: every file's path and content key, in order, and the read problems. */
export function inputsDigest(files: readonly ScannedFile[], problemsKey: string): string {
  const hash = createHash('sha256');
  for (const file of files) hash.update(file.file).update('\0').update(file.key).update('\n');
  return hash.update(problemsKey).digest('base64url');
}

// ---------------------------------------------------------------- on disk

/**
 * index.json, one JSON value per line: the header (format, version, stamp), then one line per
 * content file, rendered entry and written document, then a trailer with the line count and the
 * sha256 of every line before it, so a truncated or altered index is recognised as such.
 */
type FileLine = ['f', string, number, number, number, number, number, string, StoredOutcome];
type EntryLine = ['e', string, string, number, number, number, number, number, string];
type DocumentLine = ['d', string, string];
type BuildLine = ['b', SavedBuild];
type StoredOutcome = { r: StoredRecord } | { p: { code: Problem['code']; issues: readonly Issue[] } };
/** A draft is stored as a draft and nothing more. */
const DRAFT: StoredRecord = { s: '', d: false, p: 0, t: [] };

interface StoredRecord {
  i?: string;
  s: string;
  d: boolean;
  p: number;
  u?: number;
  t: readonly string[];
  n?: string;
  m?: string;
  c?: string;
}

function storeOutcome(outcome: FileOutcome<ArticleRecord>): StoredOutcome {
  if (!outcome.ok) return { p: { code: outcome.problem.code, issues: outcome.problem.issues } };
  const article = outcome.article;
  if (!article.published) return { r: DRAFT };
  return {
    r: {
      i: article.id,
      s: article.sourceUrl,
      d: article.published,
      p: article.publishedDateTime.getTime(),
      u: article.updatedDateTime?.getTime(),
      t: article.topics,
      n: article.provider?.name,
      m: article.provider?.domain,
      c: article.category,
    },
  };
}

function loadOutcome(stored: StoredOutcome, file: string, key: string, shared: SharedValues): FileOutcome<ArticleRecord> {
  if ('p' in stored) return { ok: false, problem: { code: stored.p.code, file, issues: stored.p.issues } };
  const r = stored.r;
  if (!r.d) return { ok: true, article: draftRecord(file, key) };
  if (typeof r.s !== 'string' || typeof r.p !== 'number' || !Array.isArray(r.t)) throw new Error('bad record');
  return {
    ok: true,
    article: {
      file,
      key,
      id: r.i,
      sourceUrl: r.s,
      published: r.d,
      publishedDateTime: new Date(r.p),
      updatedDateTime: r.u === undefined ? undefined : new Date(r.u),
      topics: shared.list(r.t),
      provider: shared.provider(r.n === undefined ? undefined : r.m === undefined ? { name: r.n } : { name: r.n, domain: r.m }),
      category: r.c === undefined ? undefined : shared.string(r.c),
    },
  };
}

/**
 * Reads STATE_DIR/cache/index.json into a cache for this code and configuration. A cache that is
 * missing gives an empty one; one that is unreadable, truncated, altered, or stamped by other code
 * or another configuration is removed with one log line, and an empty one is returned.
 */
export function loadBuildCache(stateDir: string, stamp: CacheStamp, logger: Logger): BuildCache {
  const cache = createBuildCache(stateDir);
  const dir = cacheDir(stateDir);
  let text: string;
  try {
    text = readFileSync(path.join(dir, INDEX_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') discard(dir, logger, `it cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    else removeSegments(dir, new Set());
    return cache;
  }
  const reason = parseIndex(text, stamp, cache);
  if (reason !== undefined) {
    discard(dir, logger, reason);
    return createBuildCache(stateDir);
  }
  cache.dirty = false;
  // Segments no entry points to are left by an interrupted build or by compaction.
  removeSegments(dir, new Set([...cache.entries.values()].map((entry) => entry.segment)));
  return cache;
}

/** Fills `cache` from the index text; returns why it cannot be used, or undefined. */
function parseIndex(text: string, stamp: CacheStamp, cache: BuildCache): string | undefined {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const trailerLine = lines.pop();
  let trailer: { lines?: unknown; sha256?: unknown };
  try {
    trailer = JSON.parse(trailerLine ?? '') as typeof trailer;
  } catch {
    return 'it is truncated (no trailer)';
  }
  if (trailer.lines !== lines.length) return 'it is truncated';
  const digest = createHash('sha256');
  for (const line of lines) digest.update(line).update('\n');
  if (trailer.sha256 !== digest.digest('base64url')) return 'its checksum does not match (corrupt)';
  let header: { format?: unknown; version?: unknown; code?: unknown; config?: unknown };
  try {
    header = JSON.parse(lines[0] ?? '') as typeof header;
  } catch {
    return 'its header is unreadable';
  }
  if (header.format !== FORMAT || header.version !== FORMAT_VERSION) return 'it is in another format';
  if (header.code !== stamp.code) return 'it was made by another version of the service';
  if (header.config !== stamp.config) return 'it was made with another configuration';
  const intern = (text: string) => cache.shared.string(text);
  try {
    for (let index = 1; index < lines.length; index++) {
      const line = JSON.parse(lines[index]!) as FileLine | EntryLine | DocumentLine | BuildLine;
      if (line[0] === 'f') {
        const [, file, size, mtimeMs, ctimeMs, ino, checkedAt, key, outcome] = line;
        cache.files.set(file, { file, stat: { size, mtimeMs, ctimeMs, ino }, checkedAt, key, outcome: loadOutcome(outcome, file, key, cache.shared) });
      } else if (line[0] === 'e') {
        const [, key, segment, offset, rss, atom, json, html, digestText] = line;
        cache.entries.set(key, { segment: intern(segment), offset, lengths: [rss, atom, json, html], digest: digestText });
      } else if (line[0] === 'd') {
        cache.documents.set(line[1], line[2]);
      } else if (line[0] === 'b') {
        cache.lastBuild = line[1];
      } else {
        return 'it has a line of an unknown kind';
      }
    }
  } catch {
    return 'a line of it is unreadable';
  }
  return undefined;
}

/**
 * Empties `cache` in place and removes its folder, after an entry in it turned out not to be what
 * was written (a truncated or altered segment): the caller then builds everything afresh.
 */
export function discardBuildCache(cache: BuildCache, logger: Logger, reason: string): void {
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

/** Removes entry segments not in `keep` (and temporary files of an index being written). */
function removeSegments(dir: string, keep: ReadonlySet<string>): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if ((name.startsWith('entries-') && name.endsWith('.bin') && !keep.has(name)) || name.endsWith('.tmp')) rmSync(path.join(dir, name), { force: true });
  }
}

/**
 * Writes the cache's index (atomically: a temporary file renamed over the old one), keeping only
 * the entries that `live` says are still used.
 */
export function saveBuildCache(cache: BuildCache, stamp: CacheStamp, liveKeys: ReadonlySet<string>): void {
  writingFile(cache.entriesDir, () => buildFs.mkdirSync(cache.entriesDir, { recursive: true }));
  if (cache.finishedBuild) {
    const { files, problems, ...saved } = cache.finishedBuild;
    cache.lastBuild = { ...saved, inputs: inputsDigest(files, problems) };
    cache.finishedBuild = undefined;
  }
  // Written line by line through a buffer, not built whole: at a million files it is hundreds of megabytes.
  const out = new LineWriter(path.join(cache.entriesDir, INDEX_FILE));
  try {
    out.line(JSON.stringify({ format: FORMAT, version: FORMAT_VERSION, code: stamp.code, config: stamp.config }));
    for (const scanned of cache.files.values()) out.line(fileLine(scanned));
    for (const [key, entry] of cache.entries) if (liveKeys.has(key)) out.line(entryLine(key, entry));
    for (const [document, fingerprint] of cache.documents) out.line(JSON.stringify(['d', document, fingerprint] satisfies DocumentLine));
    if (cache.lastBuild) out.line(JSON.stringify(['b', cache.lastBuild] satisfies BuildLine));
    out.finish((count, sha256) => JSON.stringify({ lines: count, sha256 }));
  } catch (error) {
    out.abandon();
    throw new DiskWriteError(path.join(cache.entriesDir, INDEX_FILE), error);
  }
  cache.dirty = false;
}

/** Each line made once per object: a file or an entry that did not change keeps its line. */
const fileLines = new WeakMap<ScannedFile, string>();
const entryLines = new WeakMap<EntryLocation, string>();

function fileLine(scanned: ScannedFile): string {
  let line = fileLines.get(scanned);
  if (line === undefined) {
    const { stat } = scanned;
    line = JSON.stringify(['f', scanned.file, stat.size, stat.mtimeMs, stat.ctimeMs, stat.ino, scanned.checkedAt, scanned.key, storeOutcome(scanned.outcome)] satisfies FileLine);
    fileLines.set(scanned, line);
  }
  return line;
}

function entryLine(key: string, entry: EntryLocation): string {
  let line = entryLines.get(entry);
  if (line === undefined) {
    const [rss, atom, json, html] = entry.lengths;
    line = JSON.stringify(['e', key, entry.segment, entry.offset, rss, atom, json, html, entry.digest] satisfies EntryLine);
    entryLines.set(entry, line);
  }
  return line;
}

/**
 * Writes a file of lines through a temporary file and a rename, a megabyte at a time, counting
 * the lines and hashing them for the trailer that `finish` adds.
 */
class LineWriter {
  readonly #target: string;
  readonly #temporary: string;
  readonly #fd: number;
  readonly #hash = createHash('sha256');
  #pending: string[] = [];
  #pendingLength = 0;
  #count = 0;
  #closed = false;

  constructor(target: string) {
    this.#target = target;
    this.#temporary = `${target}.${process.pid}.${Date.now().toString(36)}.tmp`;
    this.#fd = buildFs.openSync(this.#temporary, 'w');
  }

  line(text: string): void {
    this.#hash.update(text).update('\n');
    this.#count++;
    this.#pending.push(text);
    this.#pendingLength += text.length + 1;
    if (this.#pendingLength >= 1 << 20) this.#flush();
  }

  #flush(): void {
    if (this.#pending.length === 0) return;
    const bytes = Buffer.from(`${this.#pending.join('\n')}\n`, 'utf8');
    this.#pending = [];
    this.#pendingLength = 0;
    writeAll(this.#fd, bytes);
  }

  /** Adds the trailer (made from the line count and hash) and puts the file in place. */
  finish(trailer: (count: number, sha256: string) => string): void {
    const text = trailer(this.#count, this.#hash.digest('base64url'));
    this.#pending.push(text);
    this.#flush();
    this.#closed = true;
    buildFs.closeSync(this.#fd);
    buildFs.renameSync(this.#temporary, this.#target);
  }

  abandon(): void {
    try {
      if (!this.#closed) buildFs.closeSync(this.#fd);
    } catch {
      // The disk fails: what matters is that the temporary file goes.
    }
    this.#closed = true;
    try {
      buildFs.rmSync(this.#temporary, { force: true });
    } catch {
      // Removed by the next load of the cache (removeSegments), or its sweep.
    }
  }
}
