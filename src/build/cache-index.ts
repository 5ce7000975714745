/**
 * STATE_DIR/cache/index.json: the build cache (build-cache.ts) as the next process finds it.
 * Lines of JSON, in two parts, so that a process with nothing to do reads only the small one:
 *
 *   header                           {"format", "version", "code", "config"}
 *   the rest, read when first needed ["O", outcome…] (what each file gave, in the files' order),
 *                                    ["E", key, segment, offset, rss, atom, json, html, digest, …],
 *                                    ["D", document, fingerprint, …]
 *   the scan part, read at load      ["B", last build] and ["F", path, size, mtime, ctime, ino,
 *                                    checkedAt, key, …]: what a scan compares each file with
 *   trailer                          {"sha256", "restSha256", "scanBytes"}: the hash of the header
 *                                    and the scan part, the hash of the rest, and where the scan
 *                                    part begins (bytes before the trailer)
 *
 * Each kind is written in chunks of CHUNK items per line: one JSON.parse per thousand files, not
 * per file. A load reads only the header, the scan part and the trailer, and checks the first
 * hash (a truncated or altered index is recognised there, before anything of it is used). The
 * rest stays on disk, read through the same open file (a later save renames a new index over
 * it), until a build needs an outcome, an entry or a document: its own hash is checked then
 * (IndexedFile, UnreadIndex). `peekSavedBuild` reads and checks the same parts but parses only
 * the "B" line, the scan part's first: a new process that can tell from it that nothing changed
 * parses no file row (build-feeds.ts).
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { Issue, Problem } from '../content/problems.js';
import type { FileStat } from '../content/read-content.js';
import { draftRecord, type ArticleRecord } from '../feeds/article-record.js';
import type { FileOutcome } from '../feeds/content-model.js';
import type { CacheStamp, SavedBuild, ScannedFile, SharedValues } from './build-cache.js';
import { buildFs } from './build-fs.js';
import type { EntryLocation } from './entry-store.js';
import { PendingText, writeAll } from './write-all.js';

const FORMAT = 'feed-syndication-service build cache';
const FORMAT_VERSION = 3;
/** Items per line. */
const CHUNK = 1024;

/** Fields per item of each chunked kind. */
const FILE_FIELDS = 7;
const ENTRY_FIELDS = 8;
const DOCUMENT_FIELDS = 2;

/** An index that cannot be used, and why (one line of the log). */
export class CacheIndexUnusable extends Error {}

/** The part of the index a build may never need: read (and parsed) at most once, on demand. */
export interface IndexRest {
  readonly outcomes: readonly FileOutcome<ArticleRecord>[];
  readonly entries: Map<string, EntryLocation>;
  readonly documents: Map<string, string>;
}

/**
 * The outcomes, entries and documents of an index, still on disk: bytes [start, end) of the open
 * file `fd`, whose sha256 must be `sha256`. `read()` reads and parses them the first time it is
 * called; bytes that fail their hash, or do not parse, throw CacheIndexUnusable.
 */
export class UnreadIndex {
  #fd: number | undefined;
  readonly #start: number;
  readonly #end: number;
  readonly #sha256: string;
  #bytes: Buffer | undefined;
  #files: readonly IndexedFile[] | undefined;
  readonly #shared: SharedValues;
  #read: IndexRest | undefined;

  constructor(fd: number, range: { readonly start: number; readonly end: number; readonly sha256: string }, files: readonly IndexedFile[], shared: SharedValues) {
    this.#fd = fd;
    this.#start = range.start;
    this.#end = range.end;
    this.#sha256 = range.sha256;
    this.#files = files;
    this.#shared = shared;
  }

  read(): IndexRest {
    if (this.#read) return this.#read;
    const files = this.#files;
    if (!files) throw new CacheIndexUnusable('its rest was let go before it was read');
    const bytes = this.#verifiedBytes();
    this.#bytes = undefined;
    this.#files = undefined;
    this.#read = parseRest(bytes, files, this.#shared);
    return this.#read;
  }

  /**
   * The rest's bytes, if `files` are the files they were saved with (the same paths and keys in
   * the same order). Throws CacheIndexUnusable when they fail their hash.
   */
  bytesFor(files: readonly ScannedFile[]): Buffer | undefined {
    const saved = this.#files;
    if (!saved || saved.length !== files.length) return undefined;
    for (let index = 0; index < files.length; index++) if (files[index]!.file !== saved[index]!.file || files[index]!.key !== saved[index]!.key) return undefined;
    return this.#verifiedBytes();
  }

  /** Lets the bytes go unread (the cache is being discarded). */
  abandon(): void {
    this.#close();
    this.#bytes = undefined;
    this.#files = undefined;
  }

  #verifiedBytes(): Buffer {
    if (this.#bytes) return this.#bytes;
    if (this.#fd === undefined) throw new CacheIndexUnusable('its rest was let go before it was read');
    const bytes = Buffer.allocUnsafe(this.#end - this.#start);
    try {
      readFully(this.#fd, bytes, this.#start);
    } catch (error) {
      throw new CacheIndexUnusable(`its rest cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    } finally {
      this.#close();
    }
    if (createHash('sha256').update(bytes).digest('base64url') !== this.#sha256) throw new CacheIndexUnusable('the checksum of its rest does not match (corrupt)');
    this.#bytes = bytes;
    return bytes;
  }

  #close(): void {
    if (this.#fd === undefined) return;
    try {
      closeSync(this.#fd);
    } catch {
      // Nothing was written through it.
    }
    this.#fd = undefined;
  }
}

/** Fills `bytes` from `fd` at `position`; a file shorter than that throws. */
function readFully(fd: number, bytes: Buffer, position: number): void {
  let offset = 0;
  while (offset < bytes.length) {
    const read = readSync(fd, bytes, offset, bytes.length - offset, position + offset);
    if (read === 0) throw Object.assign(new Error('the file ends early'), { code: 'ESHORT' });
    offset += read;
  }
}

/** A file as the saved index recorded it; what its bytes gave is read from the index when first asked for. */
export class IndexedFile implements ScannedFile {
  readonly file: string;
  readonly stat: FileStat;
  readonly checkedAt: number;
  readonly key: string;
  readonly #index: UnreadIndex;
  readonly #position: number;

  constructor(file: string, stat: FileStat, checkedAt: number, key: string, index: UnreadIndex, position: number) {
    this.file = file;
    this.stat = stat;
    this.checkedAt = checkedAt;
    this.key = key;
    this.#index = index;
    this.#position = position;
  }

  get outcome(): FileOutcome<ArticleRecord> {
    return this.#index.read().outcomes[this.#position]!;
  }
}

export interface LoadedIndex {
  readonly files: readonly IndexedFile[];
  readonly lastBuild?: SavedBuild;
  readonly rest: UnreadIndex;
}

/** The most a trailer can take: a line of two hashes and a number. */
const TRAILER_MAX = 256;
/** What is read first for the header (a longer header is read whole). */
const HEADER_READ = 4096;

/**
 * Reads `file` for `stamp`: the scan part parsed, the rest left on disk (UnreadIndex). Returns
 * undefined when there is no such file; throws CacheIndexUnusable (with the reason) for any other
 * that cannot be used, and the error of the read for one that cannot be read.
 */
export function loadIndex(file: string, stamp: CacheStamp, shared: SharedValues): LoadedIndex | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let loaded: LoadedIndex | undefined;
  try {
    loaded = loadOpenIndex(fd, stamp, shared);
    return loaded;
  } finally {
    // The rest is read through it later (UnreadIndex); anything else closes it now.
    if (!loaded) closeSync(fd);
  }
}

/** The header and scan part of an open index, checked against its trailer's hash and `stamp`. */
interface VerifiedScanPart {
  /** The scan part's bytes: the "B" line (if any), then the "F" lines. */
  readonly scan: Buffer;
  /** Where the rest lies: after the header, up to the scan part. */
  readonly rest: { readonly start: number; readonly end: number; readonly sha256: string };
}

function readScanPart(fd: number, stamp: CacheStamp): VerifiedScanPart {
  const unusable = (reason: string) => new CacheIndexUnusable(reason);
  const size = fstatSync(fd).size;
  // The header first: read once, it also names an index of an earlier format (whose trailer is
  // not this one's), though nothing of it is trusted before the checksum below.
  let head = Buffer.allocUnsafe(Math.min(size, HEADER_READ));
  readFully(fd, head, 0);
  let headerEnd = head.indexOf(0x0a);
  const tail = Buffer.allocUnsafe(Math.min(size, TRAILER_MAX));
  readFully(fd, tail, size - tail.length);
  if (tail.length === 0 || tail[tail.length - 1] !== 0x0a) throw unusable('it is truncated (no trailer)');
  const trailerAt = tail.lastIndexOf(0x0a, tail.length - 2) + 1;
  const trailer = parseJson(tail, trailerAt, tail.length - 1) as { sha256?: unknown; restSha256?: unknown; scanBytes?: unknown } | undefined;
  if (trailer === null || typeof trailer !== 'object' || typeof trailer.sha256 !== 'string' || typeof trailer.restSha256 !== 'string' || !Number.isInteger(trailer.scanBytes)) {
    const fields = headerEnd < 0 ? undefined : (parseJson(head, 0, headerEnd) as { format?: unknown; version?: unknown } | undefined);
    const otherFormat = trailer !== null && typeof trailer === 'object' && fields !== null && typeof fields === 'object' && fields.format === FORMAT && fields.version !== FORMAT_VERSION;
    throw unusable(otherFormat ? 'it is in another format' : 'it is truncated (no trailer)');
  }
  const trailerStart = size - (tail.length - trailerAt);
  const scanStart = trailerStart - (trailer.scanBytes as number);
  if (scanStart < 0 || scanStart > trailerStart) throw unusable('its parts are not where its trailer says');

  if (headerEnd < 0 && head.length < scanStart) {
    head = Buffer.allocUnsafe(scanStart);
    readFully(fd, head, 0);
    headerEnd = head.indexOf(0x0a);
  }
  if (headerEnd < 0 || headerEnd >= scanStart || (scanStart > headerEnd + 1 && !endsLine(fd, scanStart))) throw unusable('its parts are not where its trailer says');
  const header = head.subarray(0, headerEnd + 1);
  const scan = Buffer.allocUnsafe(trailerStart - scanStart);
  readFully(fd, scan, scanStart);
  if (createHash('sha256').update(header).update(scan).digest('base64url') !== trailer.sha256) throw unusable('its checksum does not match (corrupt)');

  const fields = parseJson(header, 0, headerEnd) as { format?: unknown; version?: unknown; code?: unknown; config?: unknown } | undefined;
  if (fields === null || typeof fields !== 'object') throw unusable('its header is unreadable');
  if (fields.format !== FORMAT || fields.version !== FORMAT_VERSION) throw unusable('it is in another format');
  if (fields.code !== stamp.code) throw unusable('it was made by another version of the service');
  if (fields.config !== stamp.config) throw unusable('it was made with another configuration');
  return { scan, rest: { start: headerEnd + 1, end: scanStart, sha256: trailer.restSha256 as string } };
}

/** The saved build of a "B" line (the scan part's first line, if any). */
function savedBuildOf(line: unknown[]): SavedBuild | undefined {
  return line[0] === 'B' && typeof line[1] === 'object' && line[1] !== null ? (line[1] as SavedBuild) : undefined;
}

function loadOpenIndex(fd: number, stamp: CacheStamp, shared: SharedValues): LoadedIndex {
  const unusable = (reason: string) => new CacheIndexUnusable(reason);
  const { scan, rest: restAt } = readScanPart(fd, stamp);
  const files: IndexedFile[] = [];
  const rest = new UnreadIndex(fd, restAt, files, shared);
  let lastBuild: SavedBuild | undefined;
  try {
    for (const line of lines(scan, 0, scan.length)) {
      const saved = savedBuildOf(line);
      if (saved) {
        lastBuild = saved;
        continue;
      }
      if (line[0] !== 'F' || (line.length - 1) % FILE_FIELDS !== 0) throw new Error('not a line of the scan part');
      for (let at = 1; at < line.length; at += FILE_FIELDS) {
        const [path, size, mtimeMs, ctimeMs, ino, checkedAt, key] = line.slice(at, at + FILE_FIELDS) as [string, number, number, number, number, number, string];
        if (typeof path !== 'string' || typeof key !== 'string' || typeof size !== 'number' || typeof checkedAt !== 'number') throw new Error('not a file');
        files.push(new IndexedFile(path, { size, mtimeMs, ctimeMs, ino }, checkedAt, key, rest, files.length));
      }
    }
  } catch {
    throw unusable('a line of it is unreadable');
  }
  return { files, lastBuild, rest };
}

/**
 * Only the last build saved in `file` for `stamp`, checked as a load checks the index (its hash
 * and stamp) but with no file row parsed: what a new process needs to tell that nothing changed
 * (build-feeds.ts). Undefined for an index that is missing, unusable or holds no saved build; a
 * load then says why.
 */
export function peekSavedBuild(file: string, stamp: CacheStamp): SavedBuild | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const { scan } = readScanPart(fd, stamp);
    const end = scan.indexOf(0x0a);
    const first = end < 0 ? undefined : parseJson(scan, 0, end);
    return Array.isArray(first) ? savedBuildOf(first) : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** Whether the byte before `position` is a newline (the rest ends where the scan part begins). */
function endsLine(fd: number, position: number): boolean {
  const byte = Buffer.alloc(1);
  readFully(fd, byte, position - 1);
  return byte[0] === 0x0a;
}

/** The JSON value of bytes [start, end), or undefined if they are not JSON. */
function parseJson(bytes: Buffer, start: number, end: number): unknown {
  try {
    return JSON.parse(bytes.toString('utf8', start, end));
  } catch {
    return undefined;
  }
}

/** Each line of bytes [start, end) (every line ends with a newline), parsed as a JSON array. */
function* lines(bytes: Buffer, start: number, end: number): Generator<unknown[]> {
  if (end <= start) return;
  const text = bytes.toString('utf8', start, end);
  let from = 0;
  while (from < text.length) {
    const to = text.indexOf('\n', from);
    const line = JSON.parse(text.slice(from, to)) as unknown;
    if (!Array.isArray(line)) throw new Error('not an array');
    yield line;
    from = to + 1;
  }
}

/** Outcomes, entries and documents from the rest's bytes. */
function parseRest(bytes: Buffer, files: readonly IndexedFile[], shared: SharedValues): IndexRest {
  const outcomes: FileOutcome<ArticleRecord>[] = [];
  const entries = new Map<string, EntryLocation>();
  const documents = new Map<string, string>();
  try {
    for (const line of lines(bytes, 0, bytes.length)) {
      const kind = line[0];
      if (kind === 'O') {
        for (let at = 1; at < line.length; at++) {
          const file = files[outcomes.length];
          if (!file) throw new Error('more outcomes than files');
          outcomes.push(loadOutcome(line[at] as StoredOutcome, file.file, file.key, shared));
        }
      } else if (kind === 'E' && (line.length - 1) % ENTRY_FIELDS === 0) {
        for (let at = 1; at < line.length; at += ENTRY_FIELDS) {
          const [key, segment, offset, rss, atom, json, html, digest] = line.slice(at, at + ENTRY_FIELDS) as [string, string, number, number, number, number, number, string];
          entries.set(key, { segment: shared.string(segment), offset, lengths: [rss, atom, json, html], digest });
        }
      } else if (kind === 'D' && (line.length - 1) % DOCUMENT_FIELDS === 0) {
        for (let at = 1; at < line.length; at += DOCUMENT_FIELDS) documents.set(line[at] as string, line[at + 1] as string);
      } else {
        throw new Error('a line of an unknown kind');
      }
    }
  } catch (error) {
    throw new CacheIndexUnusable(`a line of it is unreadable (${(error as Error).message})`);
  }
  if (outcomes.length !== files.length) throw new CacheIndexUnusable('it holds fewer outcomes than files');
  return { outcomes, entries, documents };
}

// ---------------------------------------------------------------- what a file gave, stored

type StoredOutcome = { r: StoredRecord } | { p: { code: Problem['code']; issues: readonly Issue[] } };

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

/** A draft is stored as a draft and nothing more. */
const DRAFT: StoredRecord = { s: '', d: false, p: 0, t: [] };

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

// ---------------------------------------------------------------- writing

export type IndexContents = {
  readonly files: readonly ScannedFile[];
  readonly lastBuild?: SavedBuild;
} & (
  | { readonly entries: Iterable<readonly [string, EntryLocation]>; readonly documents: Iterable<readonly [string, string]> }
  /** The outcomes, entries and documents as an index of the same files held them (UnreadIndex.bytesFor). */
  | { readonly rest: Buffer }
);

/** JSON of `fields` without its brackets: one item of a chunked line. */
const item = (fields: readonly unknown[]) => JSON.stringify(fields).slice(1, -1);

/**
 * Writes the index to `file` (atomically: a temporary file renamed over it). Throws what the
 * file system throws, having removed the temporary file.
 */
export function saveIndex(file: string, stamp: CacheStamp, contents: IndexContents): void {
  for (const _ of indexWriting(file, stamp, contents));
}

/**
 * The same save, letting other work run after each megabyte written: it stops, leaving the file
 * as it was, as soon as `stop()` says so after one of those pauses, and then resolves to false.
 */
export async function saveIndexUnlessStopped(file: string, stamp: CacheStamp, contents: IndexContents, stop: () => boolean): Promise<boolean> {
  for (const _ of indexWriting(file, stamp, contents)) {
    await new Promise(setImmediate);
    // Leaving the loop returns the generator, which removes its temporary file.
    if (stop()) return false;
  }
  return true;
}

/** The steps of a save: each step ends after a megabyte reaches the temporary file. */
function* indexWriting(file: string, stamp: CacheStamp, contents: IndexContents): Generator<void, void, undefined> {
  const { files } = contents;
  const out = new IndexWriter(file);
  try {
    out.line(JSON.stringify({ format: FORMAT, version: FORMAT_VERSION, code: stamp.code, config: stamp.config }));
    out.startRest();
    if ('rest' in contents) {
      out.bytes(contents.rest);
      yield;
    } else {
      // Made afresh on each save, not kept per object: at a million articles those texts would hold most of a gigabyte.
      yield* out.chunked('O', files, (scanned) => JSON.stringify(storeOutcome(scanned.outcome)));
      yield* out.chunked('E', contents.entries, ([key, entry]) => item([key, entry.segment, entry.offset, ...entry.lengths, entry.digest]));
      yield* out.chunked('D', contents.documents, ([document, fingerprint]) => item([document, fingerprint]));
    }
    out.endRest();
    const scanStart = out.size();
    if (contents.lastBuild) out.line(JSON.stringify(['B', contents.lastBuild]));
    yield* out.chunked('F', files, ({ file: name, stat, checkedAt, key }) => item([name, stat.size, stat.mtimeMs, stat.ctimeMs, stat.ino, checkedAt, key]));
    // Once more before the file is put in place, however small it is.
    yield;
    out.finish((hashes, bytes) => JSON.stringify({ ...hashes, scanBytes: bytes - scanStart }));
  } finally {
    // Thrown, or stopped by the caller: the temporary file goes (a no-op once finished).
    out.abandon();
  }
}

/**
 * Writes a file of lines through a temporary file and a rename, a megabyte at a time, hashing
 * the bytes for the trailer that `finish` adds: the rest's bytes (between `startRest` and
 * `endRest`) with a hash of their own, every other byte with the main one.
 */
class IndexWriter {
  readonly #target: string;
  readonly #temporary: string;
  readonly #fd: number;
  readonly #mainHash = createHash('sha256');
  readonly #restHash = createHash('sha256');
  #hash = this.#mainHash;
  readonly #text = new PendingText((bytes) => {
    this.#hash.update(bytes);
    writeAll(this.#fd, bytes);
    this.#written += bytes.length;
  });
  #written = 0;
  #closed = false;
  #inPlace = false;

  constructor(target: string) {
    this.#target = target;
    this.#temporary = `${target}.${process.pid}.${Date.now().toString(36)}.tmp`;
    this.#fd = buildFs.openSync(this.#temporary, 'w');
  }

  /** Adds a line; true when that wrote the pending megabyte to the file. */
  line(text: string): boolean {
    return this.#text.add(`${text}\n`);
  }

  /** Lines of `kind`, CHUNK items each, yielding after each megabyte written. */
  *chunked<T>(kind: string, items: Iterable<T>, text: (item: T) => string): Generator<void, void, undefined> {
    let chunk: string[] = [];
    for (const each of items) {
      chunk.push(text(each));
      if (chunk.length === CHUNK) {
        if (this.line(`["${kind}",${chunk.join(',')}]`)) yield;
        chunk = [];
      }
    }
    if (chunk.length > 0 && this.line(`["${kind}",${chunk.join(',')}]`)) yield;
  }

  /** What follows is the rest, hashed on its own. */
  startRest(): void {
    this.#text.flush();
    this.#hash = this.#restHash;
  }

  /** The rest ends here. */
  endRest(): void {
    this.#text.flush();
    this.#hash = this.#mainHash;
  }

  /** Bytes in the file so far (everything given is flushed first). */
  size(): number {
    this.#text.flush();
    return this.#written;
  }

  /** Lines given as bytes (each ends with a newline). */
  bytes(lines: Buffer): void {
    this.#text.flush();
    this.#hash.update(lines);
    writeAll(this.#fd, lines);
    this.#written += lines.length;
  }

  /** Adds the trailer (made from the two hashes and the size of everything before it) and puts the file in place. */
  finish(trailer: (hashes: { readonly sha256: string; readonly restSha256: string }, bytes: number) => string): void {
    const size = this.size();
    writeAll(this.#fd, Buffer.from(`${trailer({ sha256: this.#mainHash.digest('base64url'), restSha256: this.#restHash.digest('base64url') }, size)}\n`, 'utf8'));
    this.#closed = true;
    buildFs.closeSync(this.#fd);
    buildFs.renameSync(this.#temporary, this.#target);
    this.#inPlace = true;
  }

  /** Removes the temporary file, unless `finish` has put it in place. */
  abandon(): void {
    if (this.#inPlace) return;
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
