import { closeSync, fstatSync, lstatSync, openSync, readdirSync, readSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Issue, Problem } from './problems.js';

export interface ReadContentOptions {
  /** Files larger than this are skipped (default 1 MiB). */
  readonly maxFileBytes: number;
  /**
   * Says whether a file is known from an earlier build (same size and modification time); such a
   * file is not read again and comes back without `text`.
   */
  readonly isUnchanged?: (file: string, size: number, mtimeMs: number) => boolean;
}

export interface ContentFile {
  /** Path relative to the content folder, with `/` separators. */
  readonly file: string;
  readonly size: number;
  readonly mtimeMs: number;
  /** The file's text; absent when `isUnchanged` said it was known. */
  readonly text?: string;
}

export interface ContentRead {
  readonly files: readonly ContentFile[];
  readonly problems: readonly Problem[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads every `*.md` file below `dir` (sub-folders included, hidden files and folders ignored),
 * sorted by path. Never throws for one file: a file that is too large, not UTF-8 text, not
 * Markdown, or a symlink leading out of the content folder is reported as a Problem.
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

/** Every non-hidden file below `dir`, sorted by path; `root` is the folder's real path. */
export function listContent(dir: string): { root: string; candidates: ContentCandidate[] } {
  const root = realpathSync(dir);
  const entries = readdirSync(root, { recursive: true, withFileTypes: true });
  const candidates = entries
    .filter((entry) => !entry.isDirectory())
    // parentPath starts with root; slicing is much cheaper than path.relative for 100k files.
    .map((entry) => ({
      relative: entry.parentPath === root ? entry.name : `${entry.parentPath.slice(root.length + 1)}${path.sep}${entry.name}`,
      isSymlink: entry.isSymbolicLink(),
    }))
    .filter(({ relative }) => !relative.split(path.sep).some((part) => part.startsWith('.')))
    .sort((a, b) => (a.relative < b.relative ? -1 : a.relative > b.relative ? 1 : 0));
  return { root, candidates };
}

export function readContent(dir: string, { maxFileBytes, isUnchanged }: ReadContentOptions): ContentRead {
  const { root, candidates } = listContent(dir);
  const files: ContentFile[] = [];
  const problems: Problem[] = [];
  for (const candidate of candidates) {
    const result = readCandidate(root, candidate, maxFileBytes, isUnchanged);
    if (result === undefined) continue;
    if ('issues' in result) problems.push(result);
    else files.push(result);
  }
  return { files, problems };
}

/**
 * Reads the named files (paths relative to `dir`, `/` separators) as `readContent` would: each
 * comes back as a ContentFile or a Problem, or as `gone` (no longer there). Returns undefined
 * when a name is now a folder or a hidden path, or the folder itself is gone: only a full scan
 * gets those right.
 */
export function readNamedFiles(
  dir: string,
  files: Iterable<string>,
  options: ReadContentOptions,
): Map<string, ContentFile | Problem | 'gone'> | undefined {
  let root: string;
  try {
    root = realpathSync(dir);
  } catch {
    return undefined;
  }
  const results = new Map<string, ContentFile | Problem | 'gone'>();
  for (const file of files) {
    const parts = file.split('/');
    if (parts.some((part) => part.startsWith('.') || part === '')) return undefined;
    const relative = parts.join(path.sep);
    let isSymlink: boolean;
    try {
      const info = lstatSync(path.join(root, relative));
      if (info.isDirectory()) return undefined;
      isSymlink = info.isSymbolicLink();
    } catch {
      results.set(file, 'gone');
      continue;
    }
    const result = readOne(root, relative, isSymlink, options.maxFileBytes, options.isUnchanged);
    if (result === undefined) return undefined;
    results.set(file, result);
  }
  return results;
}

/** One file: its text, or a Problem saying why it is skipped, or undefined (a folder link). */
export function readCandidate(
  root: string,
  { relative, isSymlink }: ContentCandidate,
  maxFileBytes: number,
  isUnchanged?: ReadContentOptions['isUnchanged'],
): ContentFile | Problem | undefined {
  return readOne(root, relative, isSymlink, maxFileBytes, isUnchanged);
}

function readOne(
  root: string,
  relative: string,
  isSymlink: boolean,
  maxFileBytes: number,
  isUnchanged: ReadContentOptions['isUnchanged'],
): ContentFile | Problem | undefined {
  const file = relative.split(path.sep).join('/');
  const absolute = path.join(root, relative);
  const skip = (reason: string, message: string): Problem => ({ code: 'ARTICLE_UNREADABLE', file, issues: [{ path: '', reason, message } satisfies Issue] });
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
      if (known.isFile() && isUnchanged(file, known.size, known.mtimeMs)) return { file, size: known.size, mtimeMs: known.mtimeMs };
    }
    const fd = openSync(absolute, 'r');
    try {
      const info = fstatSync(fd);
      if (!info.isFile()) return undefined;
      if (info.size > maxFileBytes) return skip('too_large', `is ${info.size} bytes, over the limit of ${maxFileBytes} bytes`);
      const bytes = Buffer.allocUnsafe(info.size);
      let offset = 0;
      while (offset < bytes.length) {
        const read = readSync(fd, bytes, offset, bytes.length - offset, offset);
        if (read === 0) break;
        offset += read;
      }
      const content = bytes.subarray(0, offset);
      if (content.includes(0)) return skip('binary', 'is a binary file, not Markdown text');
      let text: string;
      try {
        text = utf8.decode(content);
      } catch {
        return skip('not_utf8', 'is not valid UTF-8 text');
      }
      return { file, size: info.size, mtimeMs: info.mtimeMs, text };
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
    return skip('unreadable', `could not be read (${code})`);
  }
}
