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
 * Each kind is written in lines of about a thousand items: one JSON.parse per thousand files, not
 * per file. A line ends after an item whose name (path, content key or document) hashes so
 * (closesLine), or at LINE_MAX items, so a file added, edited or removed changes only the line it
 * is in: a save copies every other line from the index it replaces (SavedLines), instead of
 * writing it again (at 100k articles, most of a second of a build that changed one file).
 * A load reads only the header, the scan part and the trailer, and checks the first
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
/** Items per line at most (a line of one kind holds about LINE_MEAN). */
const LINE_MAX = 4096;
/** A line ends after an item whose name hashes to 0 modulo this: about this many items a line. */
const LINE_MEAN = 1024;

/** Fields per item of each chunked kind. */
const FILE_FIELDS = 7;
const ENTRY_FIELDS = 8;
const DOCUMENT_FIELDS = 2;

/** An index that cannot be used, and why (one line of the log). */
export class CacheIndexUnusable extends Error {}

/**
 * Whether a line ends after the item named `name` (a file's path, an entry's content key, a
 * document's path): where a line ends depends on its items alone, so lines after a file that was
 * added or removed end where they did, and a save can copy them (FNV-1a, its high bits folded in).
 */
function closesLine(name: string): boolean {
  let hash = 0x811c9dc5;
  for (let index = 0; index < name.length; index++) hash = Math.imul(hash ^ name.charCodeAt(index), 0x01000193);
  return ((hash ^ (hash >>> 16)) & (LINE_MEAN - 1)) === 0;
}

/** Where a saved index's parts lie (bytes), and their hashes, as its load checked them. */
interface SavedParts {
  readonly size: number;
  readonly restStart: number;
  readonly scanStart: number;
  readonly trailerStart: number;
  readonly sha256: string;
  readonly restSha256: string;
}

/** The kinds of lines that hold items: file rows, outcomes, entries, documents. */
type LineKind = 'F' | 'O' | 'E' | 'D';

/** A line of a saved index: its bytes [start, end) in the file (its newline included), its items [first, first + count) of its kind. */
interface SavedLine {
  readonly start: number;
  readonly end: number;
  readonly first: number;
  readonly count: number;
}

/** Which saved line a save may copy at an item, and whether the items that follow are the line's. */
interface LineSource<T> {
  readonly lines: ReadonlyMap<unknown, SavedLine>;
  /** The key `lines` has for a line that begins with `item`. */
  readonly keyOf: (item: T) => unknown;
  /** Whether `item` is the line's item at `position` of its kind (what the line's text says of it). */
  readonly isSaved: (item: T, position: number) => boolean;
}

/** How a layout tells that a file is the one it saved at a position, and the key of a line that begins with it. */
interface FileIdentity {
  /** The key of a line whose first file is at `position`. */
  readonly keyAt: (position: number) => unknown;
  /** The key of a line that begins with `file`, if it is one of the saved files. */
  readonly keyOf: (file: ScannedFile) => unknown;
  readonly isSaved: (file: ScannedFile, position: number) => boolean;
}

/**
 * Where the lines of a saved index lie and what each holds, for the next save of the cache to
 * copy the lines whose items are still the very ones saved (SavedLines.copier). Made as an index
 * is loaded (its files' lines, then its rest's as it is read: SavedLines.loaded) or as a save
 * writes one (SavedLines.written). Only lines that ended as a line ends (closesLine, or LINE_MAX
 * items) are kept: a save that starts a line at their first item writes the same line. Kept
 * until a save replaces the file (BuildCache.savedLines): for a loaded index two references per
 * entry and per document, for a written one also one per file.
 */
export class SavedLines {
  readonly #file: string;
  #parts: SavedParts | undefined;
  readonly #files: FileIdentity;
  /** Its "F" and "O" lines by their first file's key (FileIdentity). */
  readonly fileLines = new Map<unknown, SavedLine>();
  readonly outcomeLines = new Map<unknown, SavedLine>();
  /** The entries in the index's order, and its "E" lines by their first key. */
  readonly entryKeys: string[];
  readonly entryLocations: EntryLocation[];
  readonly entryLines = new Map<string, SavedLine>();
  /** The documents in the index's order, and its "D" lines by their first document. */
  readonly documentNames: string[];
  readonly documentPrints: string[];
  readonly documentLines = new Map<string, SavedLine>();
  readonly files: LineSource<ScannedFile>;
  readonly outcomes: LineSource<ScannedFile>;

  private constructor(file: string, parts: SavedParts | undefined, files: FileIdentity, entries: readonly (readonly [string, EntryLocation])[], documents: readonly (readonly [string, string])[]) {
    this.#file = file;
    this.#parts = parts;
    this.#files = files;
    this.entryKeys = entries.map(([key]) => key);
    this.entryLocations = entries.map(([, entry]) => entry);
    this.documentNames = documents.map(([document]) => document);
    this.documentPrints = documents.map(([, fingerprint]) => fingerprint);
    this.files = { lines: this.fileLines, keyOf: files.keyOf, isSaved: files.isSaved };
    this.outcomes = { lines: this.outcomeLines, keyOf: files.keyOf, isSaved: files.isSaved };
  }

  /**
   * The lines of an index being loaded, whose parts lie where its load found them and whose files
   * are the IndexedFiles of `rest`, known by their position: no list of them is kept, since a scan
   * after a checkout replaces them all. The lines are recorded as they are parsed.
   */
  static loaded(file: string, parts: SavedParts, rest: UnreadIndex): SavedLines {
    const positionOf = (scanned: ScannedFile) => (scanned instanceof IndexedFile ? scanned.positionIn(rest) : undefined);
    return new SavedLines(file, parts, { keyAt: (position) => position, keyOf: positionOf, isSaved: (scanned, position) => positionOf(scanned) === position }, [], []);
  }

  /** The lines of the index a save is writing of `contents` (its files, entries and documents in that order), recorded as they are written; placed once it is whole. */
  static written(file: string, files: readonly ScannedFile[], entries: readonly (readonly [string, EntryLocation])[], documents: readonly (readonly [string, string])[]): SavedLines {
    return new SavedLines(file, undefined, { keyAt: (position) => files[position], keyOf: (scanned) => scanned, isSaved: (scanned, position) => files[position] === scanned }, entries, documents);
  }

  /** Where the written index's parts lie, and their hashes: known once the save has put it in place. */
  placed(parts: SavedParts): void {
    this.#parts = parts;
  }

  /** Records a line of `kind` at bytes [start, end) that holds items [first, first + count) named `last` at its end, if it ended as a line ends. */
  record(kind: LineKind, start: number, end: number, first: number, count: number, last: string): void {
    if (count === 0 || (count < LINE_MAX && !closesLine(last))) return;
    const line = { start, end, first, count };
    if (kind === 'F') this.fileLines.set(this.#files.keyAt(first), line);
    else if (kind === 'O') this.outcomeLines.set(this.#files.keyAt(first), line);
    else if (kind === 'E') this.entryLines.set(this.entryKeys[first]!, line);
    else this.documentLines.set(this.documentNames[first]!, line);
  }

  readonly entries: LineSource<readonly [string, EntryLocation]> = {
    lines: this.entryLines,
    keyOf: ([key]) => key,
    isSaved: ([key, entry], position) => entry === this.entryLocations[position] && key === this.entryKeys[position],
  };

  readonly documents: LineSource<readonly [string, string]> = {
    lines: this.documentLines,
    keyOf: ([document]) => document,
    isSaved: ([document, fingerprint], position) => document === this.documentNames[position] && fingerprint === this.documentPrints[position],
  };

  /**
   * The saved index opened again to copy lines from, if it still holds the very bytes its load
   * checked (the same size and both hashes, read through once): a file changed or replaced since
   * gives undefined, and the save writes every line. The caller closes it.
   */
  copier(): LineCopier | undefined {
    const parts = this.#parts;
    if (!parts) return undefined;
    let fd: number;
    try {
      fd = openSync(this.#file, 'r');
    } catch {
      return undefined;
    }
    try {
      if (fstatSync(fd).size === parts.size) {
        const main = createHash('sha256');
        const rest = createHash('sha256');
        const piece = Buffer.allocUnsafe(VERIFY_PIECE);
        hashRange(fd, piece, 0, parts.restStart, main);
        hashRange(fd, piece, parts.restStart, parts.scanStart, rest);
        hashRange(fd, piece, parts.scanStart, parts.trailerStart, main);
        if (main.digest('base64url') === parts.sha256 && rest.digest('base64url') === parts.restSha256) return new LineCopier(fd);
      }
    } catch {
      // Unreadable now: nothing is copied.
    }
    closeSync(fd);
    return undefined;
  }
}

/** Bytes read at a time to check a saved index again. */
const VERIFY_PIECE = 4 << 20;

/** Feeds bytes [start, end) of `fd` to `hash`. */
function hashRange(fd: number, piece: Buffer, start: number, end: number, hash: ReturnType<typeof createHash>): void {
  for (let at = start; at < end; at += piece.length) {
    const part = piece.subarray(0, Math.min(piece.length, end - at));
    readFully(fd, part, at);
    hash.update(part);
  }
}

/** Reads saved lines from the checked index (SavedLines.copier). */
class LineCopier {
  readonly #fd: number;
  /** Bytes copied so far. */
  copied = 0;

  constructor(fd: number) {
    this.#fd = fd;
  }

  read(line: SavedLine): Buffer {
    const bytes = Buffer.allocUnsafe(line.end - line.start);
    readFully(this.#fd, bytes, line.start);
    this.copied += bytes.length;
    return bytes;
  }

  close(): void {
    try {
      closeSync(this.#fd);
    } catch {
      // Only read through.
    }
  }
}

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
  /** Where the index's lines lie: its files' as it is loaded, the rest's as it is read. */
  readonly lines: SavedLines;
  #read: IndexRest | undefined;

  constructor(fd: number, range: { readonly start: number; readonly end: number; readonly sha256: string }, files: readonly IndexedFile[], shared: SharedValues, file: string, parts: SavedParts) {
    this.#fd = fd;
    this.#start = range.start;
    this.#end = range.end;
    this.#sha256 = range.sha256;
    this.#files = files;
    this.#shared = shared;
    this.lines = SavedLines.loaded(file, parts, this);
  }

  read(): IndexRest {
    if (this.#read) return this.#read;
    const files = this.#files;
    if (!files) throw new CacheIndexUnusable('its rest was let go before it was read');
    const bytes = this.#verifiedBytes();
    this.#bytes = undefined;
    this.#files = undefined;
    this.#read = parseRest(bytes, files, this.#shared, this.lines, this.#start);
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

  /** Its position among the files of `index`, if it is one of them. */
  positionIn(index: UnreadIndex): number | undefined {
    return this.#index === index ? this.#position : undefined;
  }
}

export interface LoadedIndex {
  readonly files: readonly IndexedFile[];
  readonly lastBuild?: SavedBuild;
  readonly rest: UnreadIndex;
  /** Where its lines lie, for the next save to copy (the rest's, once it is read). */
  readonly savedLines: SavedLines;
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
    loaded = loadOpenIndex(file, fd, stamp, shared);
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
  /** The file's size, where its trailer begins, and the hash of its header and scan part. */
  readonly size: number;
  readonly trailerStart: number;
  readonly sha256: string;
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
  return { scan, rest: { start: headerEnd + 1, end: scanStart, sha256: trailer.restSha256 as string }, size, trailerStart, sha256: trailer.sha256 };
}

/** The saved build of a "B" line (the scan part's first line, if any). */
function savedBuildOf(line: unknown[]): SavedBuild | undefined {
  return line[0] === 'B' && typeof line[1] === 'object' && line[1] !== null ? (line[1] as SavedBuild) : undefined;
}

function loadOpenIndex(file: string, fd: number, stamp: CacheStamp, shared: SharedValues): LoadedIndex {
  const unusable = (reason: string) => new CacheIndexUnusable(reason);
  const { scan, rest: restAt, size, trailerStart, sha256 } = readScanPart(fd, stamp);
  const files: IndexedFile[] = [];
  const rest = new UnreadIndex(fd, restAt, files, shared, file, { size, restStart: restAt.start, scanStart: restAt.end, trailerStart, sha256, restSha256: restAt.sha256 });
  const saved = rest.lines;
  let lastBuild: SavedBuild | undefined;
  try {
    for (const { line, start, end } of lines(scan, 0, scan.length)) {
      const build = savedBuildOf(line);
      if (build) {
        lastBuild = build;
        continue;
      }
      if (line[0] !== 'F' || (line.length - 1) % FILE_FIELDS !== 0) throw new Error('not a line of the scan part');
      const first = files.length;
      for (let at = 1; at < line.length; at += FILE_FIELDS) {
        const [path, size, mtimeMs, ctimeMs, ino, checkedAt, key] = line.slice(at, at + FILE_FIELDS) as [string, number, number, number, number, number, string];
        if (typeof path !== 'string' || typeof key !== 'string' || typeof size !== 'number' || typeof checkedAt !== 'number') throw new Error('not a file');
        files.push(new IndexedFile(path, { size, mtimeMs, ctimeMs, ino }, checkedAt, key, rest, files.length));
      }
      saved.record('F', restAt.end + start, restAt.end + end, first, files.length - first, files.at(-1)?.file ?? '');
    }
  } catch {
    throw unusable('a line of it is unreadable');
  }
  return { files, lastBuild, rest, savedLines: saved };
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

/**
 * Each line of bytes [start, end) (every line ends with a newline), parsed as a JSON array, with
 * where it begins in `bytes` and where it ends (after its newline).
 */
function* lines(bytes: Buffer, start: number, end: number): Generator<{ readonly line: unknown[]; readonly start: number; readonly end: number }> {
  let from = start;
  while (from < end) {
    const to = bytes.indexOf(0x0a, from);
    if (to < 0 || to >= end) throw new Error('a line without its newline');
    const line = JSON.parse(bytes.toString('utf8', from, to)) as unknown;
    if (!Array.isArray(line)) throw new Error('not an array');
    yield { line, start: from, end: to + 1 };
    from = to + 1;
  }
}

/** Outcomes, entries and documents from the rest's bytes (bytes [restStart, …) of the index), their lines recorded in `saved`. */
function parseRest(bytes: Buffer, files: readonly IndexedFile[], shared: SharedValues, saved: SavedLines, restStart: number): IndexRest {
  const outcomes: FileOutcome<ArticleRecord>[] = [];
  const entries = new Map<string, EntryLocation>();
  const documents = new Map<string, string>();
  const { entryKeys, entryLocations, documentNames, documentPrints } = saved;
  try {
    for (const { line, start, end } of lines(bytes, 0, bytes.length)) {
      const kind = line[0];
      if (kind === 'O') {
        const first = outcomes.length;
        for (let at = 1; at < line.length; at++) {
          const file = files[outcomes.length];
          if (!file) throw new Error('more outcomes than files');
          outcomes.push(loadOutcome(line[at] as StoredOutcome, file.file, file.key, shared));
        }
        saved.record('O', restStart + start, restStart + end, first, outcomes.length - first, files[outcomes.length - 1]?.file ?? '');
      } else if (kind === 'E' && (line.length - 1) % ENTRY_FIELDS === 0) {
        const first = entryKeys.length;
        for (let at = 1; at < line.length; at += ENTRY_FIELDS) {
          const [key, segment, offset, rss, atom, json, html, digest] = line.slice(at, at + ENTRY_FIELDS) as [string, string, number, number, number, number, number, string];
          const entry = { segment: shared.string(segment), offset, lengths: [rss, atom, json, html] as const, digest };
          entries.set(key, entry);
          entryKeys.push(key);
          entryLocations.push(entry);
        }
        saved.record('E', restStart + start, restStart + end, first, entryKeys.length - first, entryKeys.at(-1) ?? '');
      } else if (kind === 'D' && (line.length - 1) % DOCUMENT_FIELDS === 0) {
        const first = documentNames.length;
        for (let at = 1; at < line.length; at += DOCUMENT_FIELDS) {
          documents.set(line[at] as string, line[at + 1] as string);
          documentNames.push(line[at] as string);
          documentPrints.push(line[at + 1] as string);
        }
        saved.record('D', restStart + start, restStart + end, first, documentNames.length - first, documentNames.at(-1) ?? '');
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
  | {
      readonly entries: readonly (readonly [string, EntryLocation])[];
      readonly documents: readonly (readonly [string, string])[];
      /** The lines of the index this save replaces, copied where their items are these (LoadedIndex.savedLines). */
      readonly saved?: SavedLines;
    }
  /** The outcomes, entries and documents as an index of the same files held them (UnreadIndex.bytesFor). */
  | { readonly rest: Buffer }
);

/** What a save wrote: bytes in all, how many of them it copied from the index it replaced, and where its lines lie (for the next save to copy). */
export interface IndexSaved {
  readonly bytes: number;
  readonly copiedBytes: number;
  readonly lines: SavedLines;
}

/** Whether items [at, at + saved.count) are the saved line's, in its order. */
function holdsLine<T>(saved: SavedLine, items: readonly T[], at: number, source: LineSource<T>): boolean {
  if (at + saved.count > items.length) return false;
  for (let offset = 0; offset < saved.count; offset++) if (!source.isSaved(items[at + offset]!, saved.first + offset)) return false;
  return true;
}

/** Bytes a save copies between its pauses (saveIndexUnlessStopped), as it writes a megabyte between them. */
const COPIED_BETWEEN_PAUSES = 1 << 20;

/** JSON of `fields` without its brackets: one item of a chunked line. */
const item = (fields: readonly unknown[]) => JSON.stringify(fields).slice(1, -1);

/**
 * Writes the index to `file` (atomically: a temporary file renamed over it). Throws what the
 * file system throws, having removed the temporary file.
 */
export function saveIndex(file: string, stamp: CacheStamp, contents: IndexContents): IndexSaved {
  const writing = indexWriting(file, stamp, contents);
  for (;;) {
    const step = writing.next();
    if (step.done) return step.value;
  }
}

/**
 * The same save, letting other work run after each megabyte written: it stops, leaving the file
 * as it was, as soon as `stop()` says so after one of those pauses, and then resolves to false.
 */
export async function saveIndexUnlessStopped(file: string, stamp: CacheStamp, contents: IndexContents, stop: () => boolean): Promise<IndexSaved | false> {
  const writing = indexWriting(file, stamp, contents);
  for (;;) {
    const step = writing.next();
    if (step.done) return step.value;
    await new Promise(setImmediate);
    if (stop()) {
      // Returning the generator removes its temporary file (the value given is not used).
      writing.return(undefined as never);
      return false;
    }
  }
}

/** The steps of a save: each step ends after a megabyte reaches the temporary file. */
function* indexWriting(file: string, stamp: CacheStamp, contents: IndexContents): Generator<void, IndexSaved, undefined> {
  const { files } = contents;
  const out = new IndexWriter(file);
  // Opened (and checked) before the first line is written, closed once the save ends either way.
  const copier = 'saved' in contents ? contents.saved?.copier() : undefined;
  const from = <T>(source: LineSource<T> | undefined) => (copier && source ? { source, copier } : undefined);
  const saved = 'saved' in contents ? contents.saved : undefined;
  // Where this save's lines lie, for the next save to copy (of the rest's, only those it writes line by line).
  const next = 'rest' in contents ? SavedLines.written(file, files, [], []) : SavedLines.written(file, files, contents.entries, contents.documents);
  try {
    out.line(JSON.stringify({ format: FORMAT, version: FORMAT_VERSION, code: stamp.code, config: stamp.config }));
    const restStart = out.startRest();
    if ('rest' in contents) {
      out.bytes(contents.rest);
      yield;
    } else {
      // Made afresh on each save, not kept per object: at a million articles those texts would hold most of a gigabyte.
      yield* out.chunked('O', files, (scanned) => scanned.file, (scanned) => JSON.stringify(storeOutcome(scanned.outcome)), from(saved?.outcomes), next);
      yield* out.chunked('E', contents.entries, ([key]) => key, ([key, entry]) => item([key, entry.segment, entry.offset, ...entry.lengths, entry.digest]), from(saved?.entries), next);
      yield* out.chunked('D', contents.documents, ([document]) => document, ([document, fingerprint]) => item([document, fingerprint]), from(saved?.documents), next);
    }
    out.endRest();
    const scanStart = out.size();
    if (contents.lastBuild) out.line(JSON.stringify(['B', contents.lastBuild]));
    yield* out.chunked('F', files, (scanned) => scanned.file, ({ file: name, stat, checkedAt, key }) => item([name, stat.size, stat.mtimeMs, stat.ctimeMs, stat.ino, checkedAt, key]), from(saved?.files), next);
    // Once more before the file is put in place, however small it is.
    yield;
    const placed = out.finish((hashes, size) => JSON.stringify({ ...hashes, scanBytes: size - scanStart }));
    next.placed({ size: placed.bytes, restStart, scanStart, trailerStart: placed.trailerStart, sha256: placed.sha256, restSha256: placed.restSha256 });
    return { bytes: placed.bytes, copiedBytes: copier?.copied ?? 0, lines: next };
  } finally {
    // Thrown, or stopped by the caller: the temporary file goes (a no-op once finished).
    out.abandon();
    copier?.close();
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
  /** Bytes given so far, written or pending: where the next line begins. */
  #given = 0;
  #closed = false;
  #inPlace = false;

  constructor(target: string) {
    this.#target = target;
    this.#temporary = `${target}.${process.pid}.${Date.now().toString(36)}.tmp`;
    this.#fd = buildFs.openSync(this.#temporary, 'w');
  }

  /** Adds a line; true when that wrote the pending megabyte to the file. */
  line(text: string): boolean {
    const withNewline = `${text}\n`;
    this.#given += Buffer.byteLength(withNewline);
    return this.#text.add(withNewline);
  }

  /**
   * Lines of `kind` holding `items`, each ending after an item whose name closes a line or at
   * LINE_MAX items, yielding after each megabyte written. With `copy`, a line of the index this
   * save replaces that begins where a line begins now, and holds the very items that follow, is
   * copied as it is: it is the line these items make.
   */
  *chunked<T>(
    kind: LineKind,
    items: readonly T[],
    name: (item: T) => string,
    text: (item: T) => string,
    copy: { readonly source: LineSource<T>; readonly copier: LineCopier } | undefined,
    /** Where the lines written go on record, for the next save. */
    record: SavedLines,
  ): Generator<void, void, undefined> {
    let line: string[] = [];
    let first = 0;
    let copied = 0;
    for (let index = 0; index < items.length; ) {
      const saved = line.length === 0 && copy ? copy.source.lines.get(copy.source.keyOf(items[index]!)) : undefined;
      if (saved && holdsLine(saved, items, index, copy!.source)) {
        const bytes = copy!.copier.read(saved);
        const start = this.#given;
        this.bytes(bytes);
        record.record(kind, start, this.#given, index, saved.count, name(items[index + saved.count - 1]!));
        index += saved.count;
        copied += bytes.length;
        if (copied >= COPIED_BETWEEN_PAUSES) {
          copied = 0;
          yield;
        }
        continue;
      }
      if (line.length === 0) first = index;
      const each = items[index++]!;
      line.push(text(each));
      if (line.length === LINE_MAX || closesLine(name(each))) {
        const start = this.#given;
        const wrote = this.line(`["${kind}",${line.join(',')}]`);
        record.record(kind, start, this.#given, first, line.length, name(each));
        if (wrote) yield;
        line = [];
      }
    }
    if (line.length > 0 && this.line(`["${kind}",${line.join(',')}]`)) yield;
  }

  /** What follows is the rest, hashed on its own; returns where it begins. */
  startRest(): number {
    this.#text.flush();
    this.#hash = this.#restHash;
    return this.#written;
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
    this.#given += lines.length;
    this.#text.flush();
    this.#hash.update(lines);
    writeAll(this.#fd, lines);
    this.#written += lines.length;
  }

  /**
   * Adds the trailer (made from the two hashes and the size of everything before it) and puts the
   * file in place; returns the file's size, where its trailer begins, and the two hashes.
   */
  finish(trailer: (hashes: { readonly sha256: string; readonly restSha256: string }, bytes: number) => string): { readonly bytes: number; readonly trailerStart: number; readonly sha256: string; readonly restSha256: string } {
    const size = this.size();
    const hashes = { sha256: this.#mainHash.digest('base64url'), restSha256: this.#restHash.digest('base64url') };
    const last = Buffer.from(`${trailer(hashes, size)}\n`, 'utf8');
    writeAll(this.#fd, last);
    this.#closed = true;
    buildFs.closeSync(this.#fd);
    buildFs.renameSync(this.#temporary, this.#target);
    this.#inPlace = true;
    return { bytes: size + last.length, trailerStart: size, ...hashes };
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
