import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readSync, realpathSync, statSync, type Dirent, type Stats } from 'node:fs';
import path from 'node:path';
import { FeedServiceError } from '../errors.js';
import type { Issue, Problem } from './problems.js';

export interface ReadContentOptions {
  /** Files larger than this are skipped (default 1 MiB). */
  readonly maxFileBytes: number;
}

/**
 * What the file system says of a content file, as the build cache compares it: a file whose
 * size, modification time, change time and inode are those recorded is taken to hold the bytes
 * it held then (the change time cannot be set back by anyone, and a replaced file has a new
 * inode); see build/scan-content.ts for when even that is not trusted.
 */
export interface FileStat {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly ino: number;
}

/**
 * The four numbers of `stats` (Node's, or a stat sent from another thread), as the build cache
 * keeps them for every content file: a KeptStat (`stats` itself when it is one already).
 */
export function fileStat(stats: FileStat): FileStat {
  return stats instanceof KeptStat ? stats : new KeptStat(stats);
}

/**
 * A stat as kept. Node gives each number as a heap number (a boxed double, 16 bytes); a size and
 * an inode are integers, and kept as small integers they take no box (3.2 MB at 100 000 files).
 * The times are fractions of a millisecond, and stay boxed. A class of its own: V8 decides how a
 * field is stored for every object of one shape, and plain objects of these four fields are made
 * elsewhere too (a stat sent from a parse thread arrives as one); once one of them holds a
 * fraction in a field, that field is boxed in all of them (in the build, the size was).
 */
class KeptStat implements FileStat {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly ino: number;

  constructor(stats: FileStat) {
    this.size = unboxed(stats.size);
    this.mtimeMs = stats.mtimeMs;
    this.ctimeMs = stats.ctimeMs;
    this.ino = unboxed(stats.ino);
  }
}

/** `count` as V8's small integer when it is one (under 2^30), else as it is. */
const unboxed = (count: number): number => (count >= 0 && count < 0x40000000 ? count | 0 : count);

export function sameStat(a: FileStat, b: FileStat): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.ino === b.ino;
}

/** A content file read whole: its bytes' key (a hash, see contentKey) and its text. */
export interface ContentFile {
  /** Path relative to the content folder, with `/` separators. */
  readonly file: string;
  readonly stat: FileStat;
  /** The hash of the file's bytes: the key of what they give in the build cache. */
  readonly key: string;
  readonly text: string;
}

/** sha256 of a file's bytes, base64url, 22 characters (132 bits). */
export function contentKey(bytes: Uint8Array): string {
  // The first 22 characters, copied into a string of their own: a slice keeps the whole
  // 43-character digest alive, for every article the build holds (with the entry digests'
  // slices, 5.5 MB of the build thread's heap at 100k articles).
  return Buffer.from(createHash('sha256').update(bytes).digest('base64url'), 'latin1').toString('latin1', 0, 22);
}

export interface ContentRead {
  readonly files: readonly ContentFile[];
  readonly problems: readonly Problem[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads every `*.md` file below `dir` (sub-folders included, hidden files and folders ignored),
 * sorted by path. Never throws for one file: a file that is too large, not UTF-8 text, not
 * Markdown, not a regular file (a FIFO, a socket), or a symlink leading out of the content folder
 * is reported as a Problem.
 *
 * The I/O is synchronous on purpose: one open/fstat/read/close per file without a trip through
 * the libuv thread pool is several times faster for many small files, and builds run off the
 * request path (a worker thread in the server, its own process in the CLI).
 */
export interface ContentCandidate {
  /** Path relative to the content folder, with the platform's separators. */
  readonly relative: string;
  readonly isSymlink: boolean;
}

/**
 * A path relative to the content folder with `/` separators, as the build cache, problems and the
 * watcher name a file (unchanged where the platform's separator is already `/`).
 */
export const contentPath: (relative: string) => string = path.sep === '/' ? (relative) => relative : (relative) => relative.split(path.sep).join('/');

/**
 * How many times the listing is made when a folder inside the content folder vanished while it
 * was being listed (a `git pull` or a deploy removing a folder during the walk): listed again, it
 * is simply not there. A folder missing every time is an error as before.
 */
const LISTING_ATTEMPTS = 3;

/** Every entry below `dir` (its real path, `root`), listed again when a folder in it vanished meanwhile. */
function listedEntries(dir: string): { root: string; entries: Dirent[] } {
  for (let attempt = 1; ; attempt++) {
    let root: string | undefined;
    try {
      root = realpathSync(dir);
      return { root, entries: readdirSync(root, { recursive: true, withFileTypes: true }) };
    } catch (error) {
      if (attempt < LISTING_ATTEMPTS && vanishedInside(root, error)) continue;
      throw contentFolderUnavailable(dir, root, error);
    }
  }
}

/** Every non-hidden file below `dir`, sorted by path; `root` is the folder's real path. */
export function listContent(dir: string): { root: string; candidates: ContentCandidate[] } {
  const { root, entries } = listedEntries(dir);
  // One pass, no array per path: at 100k files the listing is most of a build with nothing to do.
  const candidates: ContentCandidate[] = [];
  const hiddenPart = `${path.sep}.`;
  for (const entry of entries) {
    if (entry.isDirectory()) continue;
    // parentPath starts with root; slicing is much cheaper than path.relative for 100k files.
    const relative = entry.parentPath === root ? entry.name : `${entry.parentPath.slice(root.length + 1)}${path.sep}${entry.name}`;
    if (relative.startsWith('.') || relative.includes(hiddenPart)) continue;
    candidates.push({ relative, isSymlink: entry.isSymbolicLink() });
  }
  candidates.sort((a, b) => (a.relative < b.relative ? -1 : a.relative > b.relative ? 1 : 0));
  return { root, candidates };
}

/** Whether `error` says a folder below `root` (not `root` itself) was gone when its turn came. */
function vanishedInside(root: string | undefined, error: unknown): boolean {
  const { code, path: failed } = error as NodeJS.ErrnoException;
  return root !== undefined && code === 'ENOENT' && failed !== undefined && failed.startsWith(root + path.sep);
}

const FOLDER_FAULTS: Readonly<Record<string, string>> = {
  ENOENT: 'missing',
  ENOTDIR: 'not a folder',
  EACCES: 'not readable',
  EPERM: 'not readable',
  ELOOP: 'a loop of symbolic links',
};

/**
 * A content folder that cannot be listed is an error of its own, never "no articles": a build
 * that took it for an empty folder would announce every article as deleted. So is a folder
 * inside it that cannot be listed (`content/locked/`, mode 000): a build without that folder's
 * articles would retract them. The error names the folder that failed (the recursive listing's
 * error gives its path), below `dir` as configured rather than below its real path `root`.
 */
function contentFolderUnavailable(dir: string, root: string | undefined, error: unknown): FeedServiceError {
  const { code = 'unknown error', path: failed } = error as NodeJS.ErrnoException;
  const what = FOLDER_FAULTS[code] ?? 'unreadable';
  const inside = root !== undefined && failed?.startsWith(root + path.sep) ? failed.slice(root.length + 1) : undefined;
  const folder = inside === undefined ? undefined : path.join(path.resolve(dir), inside);
  const message =
    folder === undefined
      ? `The content folder ${path.resolve(dir)} is ${what} (${code}). Nothing was built; the last feeds stay served. Check CONTENT_DIR and that the folder is mounted.`
      : `The folder ${folder} in the content folder is ${what} (${code}). Nothing was built (without its articles the feeds would retract them); ` +
        'the last feeds stay served. Fix its permissions, or remove it from the content folder.';
  return new FeedServiceError('CONTENT_FOLDER_UNAVAILABLE', message, { cause: error, details: { errno: code, ...(folder === undefined ? {} : { folder }) } });
}

export function readContent(dir: string, { maxFileBytes }: ReadContentOptions): ContentRead {
  const { root, candidates } = listContent(dir);
  const files: ContentFile[] = [];
  const problems: Problem[] = [];
  for (const candidate of candidates) {
    const result = readCandidate(root, candidate, maxFileBytes);
    if (result === undefined || result === 'gone') continue;
    if ('issues' in result) problems.push(result);
    else files.push(result);
  }
  return { files, problems };
}

/**
 * Reads the named files (paths relative to `dir`, `/` separators) as `readContent` would: each
 * comes back as a ContentFile or a Problem, or as `gone` (no longer there). Returns undefined
 * when a name is now a folder or a hidden path, cannot be looked up (EACCES, EIO), or the folder
 * itself is gone: only a full scan gets those right.
 */
export function readNamedFiles(
  dir: string,
  files: Iterable<string>,
  options: ReadContentOptions & { readonly isUnchanged?: (file: string, stat: FileStat) => boolean },
): Map<string, ContentFile | Problem | 'gone' | 'unchanged'> | undefined {
  let root: string;
  try {
    root = realpathSync(dir);
  } catch {
    return undefined;
  }
  const results = new Map<string, ContentFile | Problem | 'gone' | 'unchanged'>();
  for (const file of files) {
    const parts = file.split('/');
    if (parts.some((part) => part.startsWith('.') || part === '')) return undefined;
    const relative = parts.join(path.sep);
    let isSymlink: boolean;
    try {
      const info = lstatSync(path.join(root, relative));
      if (info.isDirectory()) return undefined;
      isSymlink = info.isSymbolicLink();
    } catch (error) {
      // Only a name that is not there is gone. Any other failure (EACCES on a folder made
      // unreadable, EIO) would retract an article that may still be there: a full scan reports
      // it, naming the folder, and publishes nothing meanwhile.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return undefined;
      // A watcher names a file whose name is not valid UTF-8 as decoded, which nothing is found
      // by: when the folder holds such a name, readOne reports it (name_not_utf8), as a full scan does.
      if (!holdsUndecodableName(root, relative)) {
        results.set(file, 'gone');
        continue;
      }
      isSymlink = false;
    }
    const result = readOne(root, relative, isSymlink, options.maxFileBytes, options.isUnchanged);
    if (result === undefined) return undefined;
    results.set(file, result);
  }
  return results;
}

/** Opens with a UTF-16 byte order mark (FF FE or FE FF) and has whole 16-bit units. */
function isUtf16(content: Buffer): boolean {
  const mark = content.length >= 2 && content.length % 2 === 0 ? (content[0]! << 8) | content[1]! : 0;
  return mark === 0xfffe || mark === 0xfeff;
}

/** Whether the folder of `relative` holds an entry whose name is not valid UTF-8 and decodes to its name. */
function holdsUndecodableName(root: string, relative: string): boolean {
  if (!relative.includes('\uFFFD')) return false;
  const name = path.basename(relative);
  try {
    return readdirSync(path.join(root, path.dirname(relative)), { encoding: 'buffer' }).some((entry) => !isUtf8(entry) && entry.toString('utf8') === name);
  } catch {
    return false;
  }
}

/**
 * One file: its text, or a Problem saying why it is skipped, or undefined (a folder link), or
 * `gone`: listed, but no longer there when read (deleted, renamed, or its folder swapped since).
 */
export function readCandidate(root: string, { relative, isSymlink }: ContentCandidate, maxFileBytes: number): ContentFile | Problem | 'gone' | undefined {
  const result = readOne(root, relative, isSymlink, maxFileBytes, undefined);
  return result === 'unchanged' ? undefined : result;
}

/**
 * What the file system says of a candidate now (following a symlink), or undefined when that
 * cannot be told cheaply: then the file is read.
 */
export function statCandidate(root: string, candidate: ContentCandidate): FileStat | undefined {
  const stats = candidateFileStats(root, candidate.relative);
  return stats && fileStat(stats);
}

/**
 * What statSync says of a candidate (its path relative to `root`, as listContent gave it) that is
 * a file (or a link to one); undefined for anything else, or when it is gone.
 */
export function candidateFileStats(root: string, relative: string): Stats | undefined {
  try {
    // Concatenated, not path.join: `relative` came from listContent and needs no normalising (100k calls).
    const stats = statSync(`${root}${path.sep}${relative}`, { throwIfNoEntry: false });
    return stats?.isFile() ? stats : undefined;
  } catch {
    return undefined;
  }
}

/**
 * How a content file is opened: read-only and without blocking. Opening a FIFO to read it waits
 * for a writer, for ever (one `mkfifo content/x.md` hung every build); with O_NONBLOCK the open
 * returns at once and fstat, which a regular file needs anyway, tells it is none. The flag changes
 * nothing for a regular file. (Windows has no O_NONBLOCK, and no FIFO in a folder.)
 */
const OPEN_FOR_READING = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

function readOne(
  root: string,
  relative: string,
  isSymlink: boolean,
  maxFileBytes: number,
  isUnchanged: ((file: string, stat: FileStat) => boolean) | undefined,
): ContentFile | Problem | 'unchanged' | 'gone' | undefined {
  const file = contentPath(relative);
  const absolute = path.join(root, relative);
  const skip = (reason: string, message: string): Problem => ({ code: 'ARTICLE_UNREADABLE', file, issues: [{ path: '', reason, message } satisfies Issue] });
  const notRegular = () => skip('not_regular', 'is not a regular file (a FIFO, socket or device): only regular files are articles');
  try {
    if (isSymlink) {
      let target: string;
      try {
        target = realpathSync(absolute);
      } catch {
        return skip('broken_symlink', 'is a symbolic link to nothing');
      }
      if (target !== root && !target.startsWith(root + path.sep)) return skip('symlink_outside', 'is a symbolic link that leads outside the content folder');
      if (statSync(target).isDirectory()) return undefined;
    }
    if (path.extname(relative).toLowerCase() !== '.md') return skip('not_markdown', 'is not a Markdown file (.md); only .md files are articles');
    if (isUnchanged) {
      // One stat call for a file that is probably unchanged, instead of open, fstat and close.
      const known = statSync(absolute);
      if (known.isFile() && isUnchanged(file, fileStat(known))) return 'unchanged';
    }
    const fd = openSync(absolute, OPEN_FOR_READING);
    try {
      const info = fstatSync(fd);
      // A folder here took the place of a listed file (only a new listing sees it right).
      if (!info.isFile()) return info.isDirectory() ? undefined : notRegular();
      if (info.size > maxFileBytes) return skip('too_large', `is ${info.size} bytes, over the limit of ${maxFileBytes} bytes`);
      const bytes = Buffer.allocUnsafe(info.size);
      let offset = 0;
      while (offset < bytes.length) {
        const read = readSync(fd, bytes, offset, bytes.length - offset, offset);
        if (read === 0) break;
        offset += read;
      }
      const content = bytes.subarray(0, offset);
      // Windows editors save "Unicode" as UTF-16 with a byte order mark: text, but not UTF-8 (and
      // full of NUL bytes, which would call it binary).
      if (isUtf16(content)) return skip('not_utf8', 'is UTF-16 text, not UTF-8: save it as UTF-8');
      if (content.includes(0)) return skip('binary', 'is a binary file, not Markdown text');
      let text: string;
      try {
        text = utf8.decode(content);
      } catch {
        return skip('not_utf8', 'is not valid UTF-8 text');
      }
      return { file, stat: fileStat(info), key: contentKey(content), text };
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
    // A name that is not valid UTF-8 is listed with U+FFFD in place of its bad bytes, and no file
    // has the name so decoded: it is there, but cannot be opened by this name.
    if (code === 'ENOENT' && relative.includes('\uFFFD')) return skip('name_not_utf8', 'could not be opened: its name is not valid UTF-8 (rename it)');
    // Not a fault of the file: it went after it was listed (the caller decides what that means).
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'gone';
    // What open says of a socket (and of a device with no device behind it).
    if (code === 'ENXIO') return notRegular();
    return skip('unreadable', `could not be read (${code})`);
  }
}
