/**
 * Writing the feeds folder. Each file is written atomically (a temporary file in the same
 * folder, then rename), so a reader of the folder, or a crash, sees either the old or the new
 * complete file; files whose bytes did not change are not touched, which keeps their mtime (and
 * Last-Modified, and CI diffs) stable. A build's temporary files are all written before the first
 * is renamed, and its renames can be taken back (reversible-writes.ts): a build that fails on a
 * full or failing disk leaves the folder exactly as the last good build left it. The manifest,
 * put in place last, lists every file with its
 * content type, hash, size and modification time: the server serves the last complete build from
 * it at start-up (http/feed-store.ts), and the next build knows what is on disk without reading
 * it. Files that an earlier build wrote and this one did not are removed; nothing else ever is.
 *
 * The I/O is synchronous: builds run off the request path (the build thread in the server, its
 * own process in the CLI), and one open/write/close per file without a trip through the libuv
 * thread pool is faster for many small files. Files are not fsynced one by one (that took a
 * quarter of a second per thousand files): a killed process cannot leave a half file, because of
 * the rename, and the next build repairs anything else.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { FeedFile } from '../render/feed-formats.js';
import { buildFs } from './build-fs.js';
import { DiskWriteError, writingFile } from './disk-write-error.js';
import { journalOf, readJournaled, stageJournal, stageSnapshot } from './journaled-file.js';
import { isTemporaryName, ReversibleWrites, temporaryName } from './reversible-writes.js';
import { writeAll } from './write-all.js';
import { LOCK_NAMES } from './folder-locks.js';

/** Lists the files the last build wrote, with what the server needs to serve each one. */
export const MANIFEST_NAME = '.feeds-manifest.json';
/** The files a build in progress may create (so a build killed halfway leaves nothing unlisted). */
const CLAIMS_NAME = '.feeds-claims.json';

/** One file of the feeds folder as the manifest records it. */
export interface ManifestFile {
  readonly name: string;
  readonly contentType: string;
  /** sha256 of the bytes, base64url, 27 characters: the ETag. */
  readonly hash: string;
  readonly size: number;
  /** When the bytes last changed (the file's mtime), ms since the epoch. */
  readonly mtimeMs: number;
}

export interface FeedsManifest {
  readonly files: Map<string, ManifestFile>;
  /** The snapshot generation its journal continues (manifest version 3); undefined for an older manifest. */
  readonly generation?: string;
  /** Rows in its journal: past a share of the files the next write is a whole snapshot again. */
  readonly journalRows: number;
}

/**
 * What to do before a partial finish changes a manifest's file map in place (FeedsWriter.finish),
 * by map: a build result copies the files it describes then, instead of every build copying them
 * when it ends (at 100k articles the map holds 35 000 files, and the copy stayed alive until the
 * next build). Each hook runs once.
 */
const beforeFilesChange = new WeakMap<ReadonlyMap<string, ManifestFile>, (() => void)[]>();

/** Calls `hook` before `files` (a manifest's map) is next changed in place, if it ever is. */
export function whenFilesChange(files: ReadonlyMap<string, ManifestFile>, hook: () => void): void {
  const hooks = beforeFilesChange.get(files);
  if (hooks) hooks.push(hook);
  else beforeFilesChange.set(files, [hook]);
}

function filesChanging(files: ReadonlyMap<string, ManifestFile>): void {
  const hooks = beforeFilesChange.get(files);
  if (!hooks) return;
  beforeFilesChange.delete(files);
  for (const hook of hooks) hook();
}

export interface WrittenFile extends ManifestFile {
  /** False when the file already held these bytes and was left untouched. */
  readonly changed: boolean;
}

/** sha256, base64url, 27 characters (160 bits): the ETag of a file's bytes. */
export function contentHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('base64url').slice(0, 27);
}

/**
 * A manifest row as text: [name, content type, hash, size, mtime]. Made afresh for each write, not
 * kept per file: a snapshot of every row is rare (a journal takes the changed ones), and the kept
 * rows, with the entry state's lines kept the same way, held 52 MB of the heap at 100k articles
 * for as long as the process ran.
 */
function rowText(file: ManifestFile): string {
  return JSON.stringify([file.name, file.contentType, file.hash, file.size, file.mtimeMs]);
}

/** A manifest snapshot's rows, by name, each made as it is written (350 000 at a million articles). */
function* manifestRows(files: ReadonlyMap<string, ManifestFile>): Generator<string> {
  for (const name of [...files.keys()].sort()) yield rowText(files.get(name)!);
}

/** `JSON.stringify(names)` and a newline, in pieces: a first build's claims name every file. */
function* jsonArrayText(names: readonly string[]): Generator<string> {
  yield '[';
  for (let index = 0; index < names.length; index++) yield `${index === 0 ? '' : ','}${JSON.stringify(names[index])}`;
  yield ']\n';
}

function manifestFile(row: unknown, dir: string): ManifestFile | undefined {
  if (!Array.isArray(row)) return undefined;
  const [name, contentType, hash, size, mtimeMs] = row as unknown[];
  if (typeof name !== 'string' || typeof contentType !== 'string' || typeof hash !== 'string' || typeof size !== 'number' || typeof mtimeMs !== 'number') return undefined;
  return isInside(dir, name) ? { name, contentType, hash, size, mtimeMs } : undefined;
}

/**
 * The manifest in `dir`, or undefined when there is none (or it is unreadable). Version 3 is a
 * snapshot of JSON lines and a journal of the rows changed since (journaled-file.ts): a row
 * [name] says the file is gone. Version 2 (one JSON document) is still read.
 */
export function readManifest(dir: string): FeedsManifest | undefined {
  const file = path.join(dir, MANIFEST_NAME);
  const journaled = readJournaled(file);
  if (journaled?.header.version === 3) {
    const files = new Map<string, ManifestFile>();
    for (const row of journaled.rows) {
      if (Array.isArray(row) && row.length === 1 && typeof row[0] === 'string') files.delete(row[0]);
      const known = manifestFile(row, dir);
      if (known) files.set(known.name, known);
    }
    return { files, generation: typeof journaled.header.generation === 'string' ? journaled.header.generation : undefined, journalRows: journaled.journalRows };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  const list = (parsed as { version?: unknown; files?: unknown }).files;
  if ((parsed as { version?: unknown }).version !== 2 || !Array.isArray(list)) return undefined;
  const files = new Map<string, ManifestFile>();
  for (const row of list) {
    const known = manifestFile(row, dir);
    if (known) files.set(known.name, known);
  }
  return { files, journalRows: 0 };
}

/**
 * Each folder of a feeds folder ('' the top) with the number of its entries that `manifest`
 * accounts for: the files it lists there and the folders below it. What a later process checks
 * the folder against (noListedFileGone).
 */
export function folderCounts(manifest: FeedsManifest): [folder: string, entries: number][] {
  const counts = new Map<string, number>([['', 0]]);
  const count = (folder: string): void => {
    const known = counts.get(folder);
    if (known !== undefined) {
      counts.set(folder, known + 1);
      return;
    }
    counts.set(folder, 1);
    // A folder seen first is an entry of its parent.
    count(parentOf(folder));
  };
  for (const name of manifest.files.keys()) count(parentOf(name));
  return [...counts];
}

const parentOf = (name: string) => name.slice(0, Math.max(name.lastIndexOf('/'), 0));

/**
 * Whether no file a manifest lists has gone from `dir` since it was written, told from the
 * folders (`counts`, folderCounts) rather than from each file: a folder whose mtime is older than
 * the manifest's on disk (`manifestMtimeMs`) has had no entry added or removed since; any other
 * must hold at least as many entries as the manifest accounts for, this service's own hidden files
 * aside. A folder gone, or a file deleted with none added in its place, is seen; a file edited in
 * place is not. At 100k articles: a stat of each of 254 folders, and a listing of the few written
 * after the manifest (the top, where the claims file is removed last).
 */
export function noListedFileGone(dir: string, counts: readonly (readonly [string, number])[], manifestMtimeMs: number): boolean {
  for (const [folder, entries] of counts) {
    const where = path.join(dir, folder);
    let names: string[];
    try {
      if (statSync(where).mtimeMs < manifestMtimeMs) continue;
      names = readdirSync(where);
    } catch {
      return false;
    }
    let present = 0;
    for (const name of names) if (!isOwnFile(name)) present++;
    if (present < entries) return false;
  }
  return true;
}

/** Names a manifest or claims file lists, in any version (version 1 was a plain list of names). */
function listedNames(file: string): string[] {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    const rows = Array.isArray(parsed) ? parsed : ((parsed as { files?: unknown }).files as unknown[] | undefined) ?? [];
    return rows.map((row) => (Array.isArray(row) ? row[0] : row)).filter((name): name is string => typeof name === 'string');
  } catch {
    return [];
  }
}

/**
 * Whether a file's mtime on disk is the one recorded. A folder restored from an archive (a CI
 * cache step: tar keeps whole seconds) or copied with its times (which keep milliseconds, rounded
 * through seconds as a float) has the recorded time cut, or a hair later; a file changed since has
 * a later time.
 */
export function sameMtime(recordedMs: number, onDiskMs: number): boolean {
  return onDiskMs <= recordedMs + 1 && recordedMs - onDiskMs < 1000;
}

/** Left by a build that found temporary files too young to remove (a later build removes them). */
const CLEANUP_NAME = '.feeds-cleanup-pending';

/**
 * Whether the next build must go through the folder: a build started writing it and did not
 * finish (killed, or failed), or one left temporary files to remove later.
 */
export function hasUnfinishedWrite(dir: string): boolean {
  for (const name of [CLAIMS_NAME, CLEANUP_NAME]) {
    try {
      statSync(path.join(dir, name));
      return true;
    } catch {
      // Not there.
    }
  }
  return false;
}

/** The files this service keeps in the feeds folder beside the feeds: the manifest, its journal, the claims and cleanup marks, temporary files. */
function isOwnFile(name: string): boolean {
  return name === MANIFEST_NAME || name === journalOf(MANIFEST_NAME) || name === CLAIMS_NAME || name === CLEANUP_NAME || name === LOCK_NAMES.FEEDS_DIR || isTemporaryName(name);
}

/** A temporary file older than this was left by a build that died (SIGKILL, power loss). */
const ABANDONED_AFTER_MS = 60_000;

/** Writes `bytes` to `target` through a temporary file in the same folder and a rename; a failure names `target` and leaves no temporary file. */
export function writeAtomically(target: string, bytes: Uint8Array): { mtimeMs: number } {
  const temporary = path.join(path.dirname(target), temporaryName(path.basename(target), randomBytes(6).toString('hex')));
  try {
    const fd = buildFs.openSync(temporary, 'w');
    let mtimeMs: number;
    try {
      writeAll(fd, bytes);
      mtimeMs = buildFs.fstatSync(fd).mtimeMs;
    } finally {
      buildFs.closeSync(fd);
    }
    buildFs.renameSync(temporary, target);
    return { mtimeMs };
  } catch (error) {
    try {
      buildFs.rmSync(temporary, { force: true });
    } catch {
      // The disk fails: the error below is what matters; a later sweep removes the file.
    }
    throw new DiskWriteError(target, error);
  }
}

/**
 * A build killed between writing a temporary file and renaming it leaves the temporary file
 * behind; the next build removes it. Recent ones may belong to a build running right now: they
 * are left, and counted.
 */
export function removeAbandonedTemporaryFiles(dir: string): { kept: number } {
  let entries;
  try {
    entries = readdirSync(dir, { recursive: true, withFileTypes: true });
  } catch {
    return { kept: 0 };
  }
  const now = Date.now();
  let kept = 0;
  for (const entry of entries) {
    if (!entry.isFile() || !isTemporaryName(entry.name)) continue;
    const file = path.join(entry.parentPath, entry.name);
    try {
      if (now - statSync(file).mtimeMs > ABANDONED_AFTER_MS) rmSync(file, { force: true });
      else kept++;
    } catch {
      // Gone meanwhile.
    }
  }
  return { kept };
}

/**
 * A plain relative name, as builds write them (`ai.xml`, `archive/ai/2.xml`): `/`-separated
 * segments of letters, digits, `_`, `-` and `.`, none of them `.` or `..`. Such a name is always
 * inside the folder; checked first because the path resolution below, two per row, was a third of
 * reading a 35k-row manifest (server start-up at 100k articles).
 */
const PLAIN_NAME = /^(?!\.\.?(?:\/|$))[\w.-]+(?:\/(?!\.\.?(?:\/|$))[\w.-]+)*$/;

/** A name from a manifest must stay inside the feeds folder, whatever the manifest file says. */
function isInside(dir: string, name: string): boolean {
  if (PLAIN_NAME.test(name)) return true;
  const resolved = path.resolve(dir, name);
  return resolved.startsWith(path.resolve(dir) + path.sep) && !name.split(/[\\/]/).includes('..');
}

/**
 * The modification time (Last-Modified) a new version of a file gets: the time it was written,
 * unless that is in the whole second of the version it replaces (or before it), then the next
 * whole second. HTTP dates have whole seconds: two versions written within one second (two builds
 * a double save starts) would share one Last-Modified, and a reader revalidating with
 * If-Modified-Since alone would be told 304 while the server holds the newer bytes.
 *
 * That second may not have come yet when the file goes in place: the server sends no
 * Last-Modified until it has (RFC 9110 §8.8.2.1: never later than Date; app.ts), so a reader
 * revalidating by date gets the new bytes, and the build waits for nothing.
 */
export function versionMtime(writtenMs: number, previousMs: number): number {
  return Math.max(writtenMs, (Math.floor(previousMs / 1000) + 1) * 1000);
}

/**
 * A previous version dated further ahead of the new one's writing than this means the clock was
 * set back (or the folder came from a machine whose clock is ahead): the new version keeps the
 * time it was written rather than be dated that far ahead.
 */
const MAX_VERSION_AHEAD_MS = 2000;

/** Past this share of the files, a journal is folded into a new manifest snapshot. */
const JOURNAL_SHARE = 0.25;
const JOURNAL_MIN_ROWS = 2000;

/**
 * One build's writes to the feeds folder: open it, claim the names the build may write, write or
 * keep each file, then finish (manifest, removals). A file is written when its bytes differ from
 * what the manifest says is on disk (or when the disk no longer matches the manifest).
 *
 * Two ways to finish. Complete: the build wrote or kept every file it has, and anything else an
 * earlier build listed goes. Partial (a rebuild that knows what changed): the files it did not
 * mention stay as the manifest lists them, and it names what goes with `remove`.
 */
export class FeedsWriter {
  readonly dir: string;
  readonly previous: ReadonlyMap<string, ManifestFile>;
  readonly #manifest: FeedsManifest | undefined;
  readonly #stale: Set<string>;
  readonly #current = new Map<string, WrittenFile>();
  readonly #removals = new Set<string>();
  readonly #folders = new Set<string>();
  /** The folders this build made (a first build's archive folders): no stat is needed to know a name there is new. */
  readonly #madeFolders = new Set<string>();
  readonly #order: string[] = [];
  /** Names another thread is writing (stageElsewhere) whose outcome is not recorded yet. */
  readonly #elsewhere = new Set<string>();
  readonly #youngTemporaryFiles: number;
  /** The names this build claimed (not listed by the manifest). */
  #claimed: string[] = [];
  /** Every change this build makes to the folder: staged, put in place together by finish, taken back by rollback. */
  readonly #writes: ReversibleWrites;
  /** What finish left to settle: the names it removes from the manifest. */
  #finished: { readonly removed: readonly string[] } | undefined;

  /**
   * Opens `dir` (created if missing). `previous` is the last manifest when the caller has it
   * (a partial finish changes its file map in place); `sweep: false` skips looking for temporary
   * files left by killed builds (the caller's last build in this process finished and left none).
   */
  constructor(dir: string, previous?: FeedsManifest, { sweep = true }: { sweep?: boolean } = {}) {
    this.dir = dir;
    this.#writes = new ReversibleWrites(dir);
    writingFile(dir, () => buildFs.mkdirSync(dir, { recursive: true }));
    this.#youngTemporaryFiles = sweep ? removeAbandonedTemporaryFiles(dir).kept : 0;
    this.#manifest = previous ?? readManifest(dir);
    this.previous = this.#manifest?.files ?? new Map();
    // Claimed by a build that did not finish, or listed by a manifest too old to read as one.
    this.#stale = new Set([...listedNames(path.join(dir, CLAIMS_NAME)), ...(this.#manifest ? [] : listedNames(path.join(dir, MANIFEST_NAME)))]);
  }

  /**
   * Records every name this build may write that no earlier build listed, before any is written:
   * a build killed halfway then leaves no file that the next build does not know to remove.
   */
  claim(names: Iterable<string>): void {
    const added: string[] = [];
    for (const name of names) if (!this.previous.has(name) && !this.#stale.has(name)) added.push(name);
    this.#claimed = added;
  }

  /**
   * Stages the claims file, put in place before any file of this build (and with the names it is
   * about to remove): its presence tells the next build that this one may have stopped halfway
   * (so nothing is taken on trust), and which files it may have left.
   */
  #stageClaims(removing: readonly string[]): void {
    const claimed = [...this.#stale, ...this.#claimed, ...removing];
    this.#writes.stageText(CLAIMS_NAME, jsonArrayText([...new Set(claimed)].sort()), { first: true });
  }

  /** Whether it left temporary files too young to remove (a later build removes them). */
  get leftTemporaryFiles(): boolean {
    return this.#youngTemporaryFiles > 0;
  }

  /** Whether `name` is on disk as the previous manifest records it (same size and mtime). */
  isIntact(name: string): boolean {
    const known = this.previous.get(name);
    if (!known) return false;
    try {
      const stats = statSync(path.join(this.dir, name));
      return stats.size === known.size && sameMtime(known.mtimeMs, stats.mtimeMs);
    } catch {
      return false;
    }
  }

  /** Keeps `name` as the previous build left it (the caller checked isIntact). */
  keep(name: string): WrittenFile {
    const known = this.previous.get(name);
    if (!known) throw new Error(`${name} is not in the previous manifest`);
    const file = { ...known, changed: false };
    this.#record(file);
    return file;
  }

  /** Writes `bytes` as `name`, unless the file already holds exactly them. */
  write(name: string, contentType: string, bytes: Uint8Array): WrittenFile {
    const hash = contentHash(bytes);
    const target = path.join(this.dir, name);
    const known = this.previous.get(name);
    const intact = known !== undefined && this.isIntact(name);
    const sameBytes = intact && known.hash === hash && known.size === bytes.length;
    if (sameBytes && known.contentType === contentType) {
      const file = { ...known, changed: false };
      this.#record(file);
      return file;
    }
    // A file as the manifest records it holds the bytes of the manifest's hash: not read to be
    // compared (a configuration change makes every file differ, and reading them all cost 4.7 s
    // of a 100k-article rebuild).
    const onDisk = intact ? { same: sameBytes, mtimeMs: known.mtimeMs } : this.#sameOnDisk(target, bytes);
    if (onDisk?.same) {
      // Same bytes under another content type; or the manifest does not say (a first build, an
      // older manifest, a file touched since): the disk does.
      const file = { name, contentType, hash, size: bytes.length, mtimeMs: onDisk.mtimeMs, changed: false };
      this.#record(file);
      return file;
    }
    this.#makeFolderOf(target);
    // Staged only: no file of this build is visible before finish puts them all in place.
    const staged = this.#writes.stage(name, bytes, { again: this.#current.get(name)?.changed === true, fresh: onDisk === undefined });
    const mtimeMs = known === undefined ? staged.mtimeMs : this.#datedAfter(name, staged.mtimeMs, known.mtimeMs);
    const file = { name, contentType, hash, size: bytes.length, mtimeMs, changed: true };
    this.#record(file);
    return file;
  }

  /** The staged `name`'s mtime, moved past its previous version's second (versionMtime). */
  #datedAfter(name: string, writtenMs: number, previousMs: number): number {
    const mtimeMs = versionMtime(writtenMs, previousMs);
    if (mtimeMs === writtenMs || mtimeMs - writtenMs > MAX_VERSION_AHEAD_MS) return writtenMs;
    const seconds = mtimeMs / 1000;
    writingFile(path.join(this.dir, name), () => buildFs.utimesSync(this.#writes.temporaryPath(name), seconds, seconds));
    return mtimeMs;
  }

  #makeFolderOf(target: string): void {
    const folder = path.dirname(target);
    if (!this.#folders.has(folder)) {
      if (this.#writes.makeFolder(folder)) this.#madeFolders.add(folder);
      this.#folders.add(folder);
    }
  }

  /** Whether `target` is in a folder this build made: there is no file there it did not write. */
  #inMadeFolder(target: string): boolean {
    return this.#madeFolders.has(path.dirname(target));
  }

  /**
   * Whether `name` is new: no manifest lists it, this build has not written it, and there is no
   * such file. Only a new file may be written by another thread (stageElsewhere): there is nothing
   * to compare its bytes with.
   */
  isNew(name: string): boolean {
    if (this.previous.has(name) || this.#current.has(name) || this.#elsewhere.has(name)) return false;
    const target = path.join(this.dir, name);
    return this.#inMadeFolder(target) || statSync(target, { throwIfNoEntry: false }) === undefined;
  }

  /**
   * Takes the place of new file `name` (isNew) in this build, for another thread to write
   * (write-threads.ts): makes its folder and returns the file's path and the temporary path to
   * write it to. Until recordStaged says what was written there, finish refuses to run.
   */
  stageElsewhere(name: string): { target: string; temporaryPath: string } {
    const target = path.join(this.dir, name);
    this.#makeFolderOf(target);
    this.#writes.reserve(name);
    this.#order.push(name);
    this.#elsewhere.add(name);
    return { target, temporaryPath: this.#writes.temporaryPath(name) };
  }

  /** What the other thread wrote to `name`'s temporary path (stageElsewhere). */
  recordStaged(name: string, contentType: string, { hash, size, mtimeMs }: { hash: string; size: number; mtimeMs: number }): WrittenFile {
    if (!this.#elsewhere.delete(name)) throw new Error(`${name} was not staged elsewhere`);
    const file = { name, contentType, hash, size, mtimeMs, changed: true };
    this.#current.set(name, file);
    return file;
  }

  /** In a partial build: `name` is no longer one of the build's files. */
  remove(name: string): void {
    this.#removals.add(name);
  }

  /** Whether there is a file `target` (undefined: none), and whether it holds exactly `bytes` (then with its mtime). */
  #sameOnDisk(target: string, bytes: Uint8Array): { same: boolean; mtimeMs: number } | undefined {
    if (this.#inMadeFolder(target)) return undefined;
    try {
      // Most often there is no such file yet (a first build): no exception made for that.
      const stats = statSync(target, { throwIfNoEntry: false });
      if (stats === undefined) return undefined;
      return { same: stats.isFile() && stats.size === bytes.length && readFileSync(target).equals(bytes), mtimeMs: stats.mtimeMs };
    } catch {
      // Unreadable: written anew, keeping what is there as a backup if it can be.
      return { same: false, mtimeMs: 0 };
    }
  }

  #record(file: WrittenFile): void {
    if (!this.#current.has(file.name)) this.#order.push(file.name);
    this.#current.set(file.name, file);
  }

  /** The files written or kept so far, in the order they were given. */
  files(): WrittenFile[] {
    return this.#order.map((name) => this.#current.get(name)!);
  }

  /**
   * Puts every file this build wrote in place, together, then the new manifest (a journal of what
   * changed, or a whole snapshot). Complete: every file was written or kept, and everything else
   * goes. Returns the manifest and the names to remove, which `settle` removes once the caller's
   * own steps (the entry state, the cache) are done too; until then `rollback` puts every old
   * file and the old manifest back. On a failure here that has already happened, and the error
   * names the file and the code. (A partial finish changes the given manifest's file map in
   * place, also when it fails: the caller then reads the manifest again.)
   */
  finish({ complete = true }: { complete?: boolean } = {}): { manifest: FeedsManifest; removed: string[] } {
    if (this.#finished) throw new Error('finish called twice');
    if (this.#elsewhere.size > 0) throw new Error(`finish while ${this.#elsewhere.size} files are still being written elsewhere`);
    if (!complete) filesChanging(this.previous);
    const files = complete ? new Map<string, ManifestFile>() : (this.previous as Map<string, ManifestFile>);
    const changedRows: string[] = [];
    const add = (file: ManifestFile) => {
      const known = this.previous.get(file.name);
      const unchanged = known !== undefined && known.hash === file.hash && known.mtimeMs === file.mtimeMs && known.contentType === file.contentType && known.size === file.size;
      const kept = unchanged ? known : file;
      if (!unchanged) changedRows.push(rowText(kept));
      files.set(file.name, kept);
    };
    const candidates = complete ? [...this.previous.keys(), ...this.#stale] : [...this.#removals, ...this.#stale];
    // In the build's order, also for files another thread wrote (recorded as they came).
    for (const name of this.#order) {
      const { changed: _changed, ...file } = this.#current.get(name)!;
      add(file);
    }
    const removed = [...new Set(candidates)].filter((name) => !this.#current.has(name) && (complete || !files.has(name) || this.#removals.has(name)) && isInside(this.dir, name)).sort();
    for (const name of removed) {
      if (files.delete(name) || this.previous.has(name)) changedRows.push(JSON.stringify([name]));
    }
    // Put in place before any file of this build, and listing what it removes: a build killed
    // halfway leaves no file that no list names.
    if (!this.#writes.isEmpty || removed.length > 0) this.#stageClaims(removed);
    const manifestFile = path.join(this.dir, MANIFEST_NAME);
    let manifest: FeedsManifest;
    const journalRows = (this.#manifest?.journalRows ?? 0) + changedRows.length;
    if (this.#manifest?.generation !== undefined && changedRows.length === 0 && existsSync(manifestFile)) {
      // Nothing changed: the manifest stays as it is (and so does its mtime, which a cache records).
      manifest = { files, generation: this.#manifest.generation, journalRows: this.#manifest.journalRows };
    } else if (this.#manifest?.generation !== undefined && journalRows <= Math.max(JOURNAL_MIN_ROWS, files.size * JOURNAL_SHARE)) {
      stageJournal(this.#writes, MANIFEST_NAME, this.#manifest.generation, changedRows);
      manifest = { files, generation: this.#manifest.generation, journalRows };
    } else {
      const generation = stageSnapshot(this.#writes, MANIFEST_NAME, { version: 3 }, manifestRows(files));
      manifest = { files, generation, journalRows: 0 };
    }
    this.#finished = { removed };
    this.#writes.apply();
    return { manifest, removed };
  }

  /**
   * The build is complete: removes what is no longer the build's (and the folders that leaves
   * empty), the old versions kept for a rollback, and the claims file. Nothing here can make the
   * build wrong: what cannot be removed (a failing disk) stays listed in the claims file for the
   * next build. Returns how many files could not be removed.
   */
  settle(): number {
    const removed = this.#finished?.removed ?? [];
    let left = this.#writes.settle();
    for (const name of removed) {
      try {
        buildFs.rmSync(path.join(this.dir, name), { force: true });
      } catch {
        left++;
      }
    }
    removeEmptyFolders(this.dir, removed);
    try {
      if (this.#youngTemporaryFiles > 0) writeAtomically(path.join(this.dir, CLEANUP_NAME), Buffer.from(`${this.#youngTemporaryFiles}\n`));
      else buildFs.rmSync(path.join(this.dir, CLEANUP_NAME), { force: true });
      if (left === 0) buildFs.rmSync(path.join(this.dir, CLAIMS_NAME), { force: true });
    } catch {
      left++;
    }
    return left;
  }

  /**
   * The build failed (here or in a later step of the caller's): every file it put in place gets
   * its old version back, the old manifest returns, and its temporary files and new folders go.
   * False when the disk would not let everything be put back (the claims file then stays, so the
   * next build trusts nothing in the folder).
   */
  rollback(): boolean {
    return this.#writes.abandon();
  }
}

/** Sub-folders (archive/ai/, providers/) left empty by removals go too. */
function removeEmptyFolders(dir: string, removed: readonly string[]): void {
  const folders = [...new Set(removed.map((name) => path.dirname(name)).filter((folder) => folder !== '.'))];
  folders.sort((a, b) => b.split('/').length - a.split('/').length);
  for (const folder of folders) {
    let current = folder;
    while (current !== '.' && current !== '') {
      try {
        rmdirSync(path.join(dir, current));
      } catch {
        break;
      }
      current = path.dirname(current);
    }
  }
}

export interface WriteReport {
  readonly files: readonly WrittenFile[];
  readonly written: readonly string[];
  readonly unchanged: readonly string[];
  readonly removed: readonly string[];
}

/** Writes a whole set of files held in memory (small builds and tests): claim, write each, finish. */
export async function writeFeedFiles(dir: string, files: readonly FeedFile[]): Promise<WriteReport> {
  const writer = new FeedsWriter(dir);
  let written: WrittenFile[];
  let removed: string[];
  try {
    writer.claim(files.map((file) => file.name));
    written = files.map((file) => writer.write(file.name, file.contentType, Buffer.from(file.body, 'utf8')));
    ({ removed } = writer.finish());
  } catch (error) {
    writer.rollback();
    throw error;
  }
  writer.settle();
  return {
    files: written,
    written: written.filter((file) => file.changed).map((file) => file.name),
    unchanged: written.filter((file) => !file.changed).map((file) => file.name),
    removed,
  };
}
