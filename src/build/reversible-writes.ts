/**
 * Changes to one folder that are made visible together and can be taken back: a build writes
 * every new file to a temporary file beside it first (stage), and only once all are written
 * renames them into place (apply), keeping a hard link to each file it replaces. If anything
 * fails, before or after they became visible (ENOSPC, EIO, EACCES, or a later step of the build
 * such as the entry state or the cache index), `rollback` puts every old file back and removes
 * every temporary file: the folder is then byte for byte what it was. `settle` drops the links
 * once the build is complete.
 *
 * A disk that fails while files are put back (a double fault) leaves what could not be restored;
 * `rollback` says so, and the caller's claims file then makes the next build trust nothing.
 *
 * Memory: a staged file is held as its name only (its temporary and backup names are derived
 * from the name and this object's two random tokens), so a first build of a million files keeps
 * one array of names, not objects; only names that replace a file are also kept in a set.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { buildFs } from './build-fs.js';
import { writingFile } from './disk-write-error.js';
import { writeAll, writeText } from './write-all.js';

/** A step done after the staged files: append to a file, or remove one (kept as a backup until settled). */
type Step = { readonly append: string; readonly text: string } | { readonly remove: string };

/** What apply did, in order, to be undone in reverse: a name (a staged file renamed into place) or a step with what undoes it. */
type Applied = string | { readonly append: string; readonly size: number } | { readonly removed: string };

/**
 * How a staged file goes in place. `first`: before every other file (the claims file). `again`:
 * the name was staged before in this build (its new bytes replace those). `fresh`: the caller
 * knows there is no file of that name (a first build): apply then tries no link, which would cost
 * a thrown ENOENT per file.
 */
export interface StageOptions {
  readonly first?: boolean;
  readonly again?: boolean;
  readonly fresh?: boolean;
}

/**
 * What temporaryName makes, and so what a sweep for the files of a killed build looks for
 * (write-feeds.ts, removeAbandonedTemporaryFiles): hidden, ending in `.<12 hex digits>.tmp`.
 * Earlier versions put the target's whole name before the token (`.ai.xml.<token>.tmp`); their
 * files match too.
 */
const TEMPORARY_NAME = /^\..+\.[0-9a-f]{12}\.tmp$/;

/** Whether `name` (a file name, no folder) is a temporary file of a build (temporaryName). */
export function isTemporaryName(name: string): boolean {
  return TEMPORARY_NAME.test(name);
}

/**
 * The name of a hidden temporary file for a file named `name` (no folder), to stand beside it
 * (the same file system, so a rename is atomic): `.<digest>.<token>.tmp`, 42 bytes whatever the
 * name. It must not grow with the name: a file name has 255 bytes, a feed's slug up to 200
 * (MAX_SLUG_BYTES), and `.<name>.<token>.tmp` made every write of a long one fail (ENAMETOOLONG). The
 * digest (96 bits of the name's sha256) tells one writer's files apart, the random token
 * (12 hex digits) one writer's from another's.
 */
export function temporaryName(name: string, token: string): string {
  return `.${temporaryDigest(name)}.${token}.tmp`;
}

/** The part of temporaryName's names that is the file's own: the same for every token. */
export function temporaryDigest(name: string): string {
  return createHash('sha256').update(name).digest('hex').slice(0, 24);
}

export class ReversibleWrites {
  readonly dir: string;
  readonly #token = randomBytes(6).toString('hex');
  readonly #backupToken = randomBytes(6).toString('hex');
  /** Names to rename into place, first (claims) and then in the order staged. */
  readonly #first: string[] = [];
  readonly #staged: string[] = [];
  readonly #steps: Step[] = [];
  readonly #applied: Applied[] = [];
  /** Staged names that may have an old file to keep (not said to be fresh): only for them is a link tried. */
  readonly #mayReplace = new Set<string>();
  /** Names whose old file apply kept as a backup (undone by renaming it back); the others are undone by removing them. */
  readonly #backedUp = new Set<string>();
  /** The first folder each mkdir made, to remove when the writes are taken back. */
  readonly #folders: string[] = [];
  #state: 'staging' | 'applied' | 'settled' | 'rolled back' = 'staging';
  /** Whether the rollback put everything back. */
  #restored = true;

  constructor(dir: string) {
    this.dir = dir;
  }

  /**
   * Writes to `dir` whole or not at all, on their own (no later step of a build to wait for):
   * `stageAll` stages them, then they are applied and settled; if anything throws, the folder is
   * left as it was and the error goes on.
   */
  static writeTogether(dir: string, stageAll: (writes: ReversibleWrites) => void): void {
    const writes = new ReversibleWrites(dir);
    try {
      stageAll(writes);
      writes.apply();
    } catch (error) {
      writes.abandon();
      throw error;
    }
    writes.settle();
  }

  /** Where `name`'s bytes wait until apply: a hidden temporary file in the same folder (same file system, so the rename is atomic). */
  temporaryPath(name: string): string {
    return this.#sibling(name, this.#token);
  }

  #backupPath(name: string): string {
    return this.#sibling(name, this.#backupToken);
  }

  #sibling(name: string, token: string): string {
    const target = path.join(this.dir, name);
    return path.join(path.dirname(target), temporaryName(path.basename(target), token));
  }

  /** Makes `folder` (and its parents), remembering what it made; true when there was no such folder. */
  makeFolder(folder: string): boolean {
    const made = writingFile(folder, () => buildFs.mkdirSync(folder, { recursive: true }));
    if (made !== undefined) this.#folders.push(made);
    return made !== undefined;
  }

  /**
   * Writes `bytes` for `name` to its temporary file; nothing is visible until apply. Returns the
   * temporary file's mtime, which the rename keeps.
   */
  stage(name: string, bytes: Uint8Array, options: StageOptions = {}): { mtimeMs: number } {
    return this.#stageWith(name, (fd) => writeAll(fd, bytes), options);
  }

  /** As stage, for a text given in pieces (writeText): a large state file is never whole in memory. */
  stageText(name: string, pieces: Iterable<string>, options: StageOptions = {}): { mtimeMs: number } {
    return this.#stageWith(name, (fd) => writeText(fd, pieces), options);
  }

  #stageWith(name: string, write: (fd: number) => void, { first = false, again = false, fresh = false }: StageOptions): { mtimeMs: number } {
    const mtimeMs = writingFile(path.join(this.dir, name), () => writeNewFile(this.temporaryPath(name), write));
    if (!again) (first ? this.#first : this.#staged).push(name);
    if (fresh) this.#mayReplace.delete(name);
    else this.#mayReplace.add(name);
    return { mtimeMs };
  }

  /**
   * Stages `name` for bytes another thread writes to its temporaryPath (write-threads.ts), for a
   * name with no file yet (as `fresh`): it takes its place in the order now, so files still go in
   * place in the order the build gave them. The caller must know that thread's write succeeded
   * before apply; a rollback removes the temporary file whether it was written or not.
   */
  reserve(name: string): void {
    this.#staged.push(name);
    this.#mayReplace.delete(name);
  }

  /** Appends `text` to `name` at apply, after the staged files (a journal). */
  append(name: string, text: string): void {
    this.#steps.push({ append: name, text });
  }

  /** Removes `name` at apply (renamed to a backup until settled). */
  remove(name: string): void {
    this.#steps.push({ remove: name });
  }

  /** Whether anything was staged or planned. */
  get isEmpty(): boolean {
    return this.#first.length === 0 && this.#staged.length === 0 && this.#steps.length === 0;
  }

  /**
   * Puts every staged file in place (the `first` ones first), then runs the steps. On a failure
   * everything done so far is taken back and the error, naming the file, is thrown.
   */
  apply(): void {
    if (this.#state !== 'staging') throw new Error(`apply after ${this.#state}`);
    this.#state = 'applied';
    try {
      for (const name of this.#first) this.#replace(name);
      for (const name of this.#staged) this.#replace(name);
      for (const step of this.#steps) {
        if ('append' in step) this.#append(step.append, step.text);
        else this.#remove(step.remove);
      }
    } catch (error) {
      this.rollback();
      throw error;
    }
  }

  #replace(name: string): void {
    const target = path.join(this.dir, name);
    writingFile(target, () => {
      // The old file stays reachable through a hard link until the build is complete.
      const kept = this.#mayReplace.has(name) && this.#keepOld(target, this.#backupPath(name));
      try {
        buildFs.renameSync(this.temporaryPath(name), target);
      } catch (error) {
        if (kept) removeQuietly(this.#backupPath(name));
        throw error;
      }
      if (kept) this.#backedUp.add(name);
    });
    this.#applied.push(name);
  }

  /** Links `backup` to `target`'s file; false when there is no such file. A file system without hard links gets a copy. */
  #keepOld(target: string, backup: string): boolean {
    try {
      buildFs.linkSync(target, backup);
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return false;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV' && code !== 'EMLINK') throw error;
    }
    buildFs.copyFileSync(target, backup);
    return true;
  }

  #append(name: string, text: string): void {
    const file = path.join(this.dir, name);
    writingFile(file, () => {
      const size = sizeOf(file);
      // A line cut short by an earlier failure or a killed process ends here, so the new rows start on a line of their own.
      const separator = size > 0 && lastByte(file, size) !== 0x0a ? '\n' : '';
      this.#applied.push({ append: name, size });
      buildFs.appendFileSync(file, `${separator}${text}`);
    });
  }

  #remove(name: string): void {
    const file = path.join(this.dir, name);
    writingFile(file, () => {
      try {
        buildFs.renameSync(file, this.#backupPath(name));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw error;
      }
      this.#applied.push({ removed: name });
    });
  }

  /**
   * Takes everything back: files put in place get their old version again (or go, when there
   * was none), appended files are cut back to their old length, removed ones return, and every
   * temporary file and new folder goes. Returns false when something could not be put back.
   */
  rollback(): boolean {
    if (this.#state === 'settled') throw new Error('rollback after settle');
    if (this.#state === 'rolled back') return this.#restored;
    this.#state = 'rolled back';
    let restored = true;
    const attempt = (undo: () => void) => {
      try {
        undo();
      } catch {
        restored = false;
      }
    };
    for (let index = this.#applied.length - 1; index >= 0; index--) {
      const done = this.#applied[index]!;
      if (typeof done === 'string') {
        const target = path.join(this.dir, done);
        // The claims file (first) stays when something else could not be put back: the next build then trusts nothing.
        if (!restored && this.#first.includes(done)) continue;
        attempt(() => (this.#backedUp.has(done) ? buildFs.renameSync(this.#backupPath(done), target) : buildFs.rmSync(target, { force: true })));
      } else if ('append' in done) {
        const file = path.join(this.dir, done.append);
        attempt(() => (done.size < 0 ? buildFs.rmSync(file, { force: true }) : buildFs.truncateSync(file, done.size)));
      } else {
        attempt(() => buildFs.renameSync(this.#backupPath(done.removed), path.join(this.dir, done.removed)));
      }
    }
    const applied = new Set(this.#applied.filter((done): done is string => typeof done === 'string'));
    for (const name of [...this.#first, ...this.#staged]) {
      if (!applied.has(name)) removeQuietly(this.temporaryPath(name));
      else if (this.#backedUp.has(name)) removeQuietly(this.#backupPath(name));
    }
    for (const folder of this.#folders.reverse()) removeEmptyTree(folder);
    this.#restored = restored;
    return restored;
  }

  /** The build is complete: the old versions kept for a rollback go. Returns how many could not be removed (a later build's sweep removes them). */
  settle(): number {
    if (this.#state !== 'applied') throw new Error(`settle after ${this.#state}`);
    this.#state = 'settled';
    let left = 0;
    for (const done of this.#applied) {
      const name = typeof done === 'string' ? (this.#backedUp.has(done) ? done : undefined) : 'removed' in done ? done.removed : undefined;
      if (name === undefined) continue;
      if (!removeQuietly(this.#backupPath(name))) left++;
    }
    return left;
  }

  /** Gives up before apply (or takes back after it): the same as rollback. */
  abandon(): boolean {
    if (this.#state === 'settled') return true;
    return this.rollback();
  }
}

/**
 * Creates `file` (replacing any file of that name), writes it with `write` and returns its mtime;
 * if anything fails, removes what was written and throws the error. Also run by the document
 * write thread (write-thread-main.ts), on its own copy of the file-system seam.
 */
export function writeNewFile(file: string, write: (fd: number) => void): number {
  try {
    const fd = buildFs.openSync(file, 'w');
    try {
      write(fd);
      return buildFs.fstatSync(fd).mtimeMs;
    } finally {
      buildFs.closeSync(fd);
    }
  } catch (error) {
    removeQuietly(file);
    throw error;
  }
}

function removeQuietly(file: string): boolean {
  try {
    buildFs.rmSync(file, { force: true });
    return true;
  } catch {
    return false;
  }
}

/** Removes `folder` and the empty folders in it (a rollback leaves them empty). */
function removeEmptyTree(folder: string): void {
  try {
    buildFs.rmdirSync(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOTEMPTY') return;
    // Sub-folders made by the same mkdir: remove them first, then try again.
    let names: string[];
    try {
      names = readdirSync(folder, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
    } catch {
      return;
    }
    for (const name of names) removeEmptyTree(path.join(folder, name));
    try {
      buildFs.rmdirSync(folder);
    } catch {
      // Not empty: something else is in it.
    }
  }
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return -1;
    throw error;
  }
}

function lastByte(file: string, size: number): number {
  const fd = openSync(file, 'r');
  try {
    const byte = Buffer.alloc(1);
    readSync(fd, byte, 0, 1, size - 1);
    return byte[0]!;
  } finally {
    closeSync(fd);
  }
}
