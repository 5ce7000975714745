import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { SourceFile } from '../core/build-feed-files.js';
import type { Issue, Problem } from '../core/problems.js';

export interface ReadContentOptions {
  /** Files larger than this are skipped (default 1 MiB). */
  readonly maxFileBytes: number;
  /** How many files are read at once. */
  readonly concurrency?: number;
}

export interface ContentRead {
  readonly sources: readonly SourceFile[];
  readonly problems: readonly Problem[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads every `*.md` file below `dir` (sub-folders included, hidden files and folders ignored).
 * Never throws for one file: a file that is too large, not UTF-8 text, not Markdown, or a symlink
 * leading out of the content folder is reported as a Problem and the rest are read.
 */
export async function readContent(dir: string, { maxFileBytes, concurrency = 32 }: ReadContentOptions): Promise<ContentRead> {
  const root = await realpath(dir);
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const candidates = entries
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)))
    .filter((relative) => !relative.split(path.sep).some((part) => part.startsWith('.')))
    .sort();

  const results: (SourceFile | Problem | undefined)[] = new Array(candidates.length);
  let next = 0;
  const worker = async () => {
    while (next < candidates.length) {
      const index = next++;
      results[index] = await readOne(root, candidates[index]!, maxFileBytes);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, candidates.length) }, worker));

  const sources: SourceFile[] = [];
  const problems: Problem[] = [];
  for (const result of results) {
    if (result === undefined) continue;
    if ('text' in result) sources.push(result);
    else problems.push(result);
  }
  return { sources, problems };
}

async function readOne(root: string, relative: string, maxFileBytes: number): Promise<SourceFile | Problem | undefined> {
  const file = relative.split(path.sep).join('/');
  const absolute = path.join(root, relative);
  const skip = (reason: string, message: string): Problem => ({ code: 'ARTICLE_UNREADABLE', file, issues: [{ path: '', reason, message } satisfies Issue] });
  try {
    const link = await lstat(absolute);
    if (link.isDirectory()) return undefined;
    if (link.isSymbolicLink()) {
      const target = await realpath(absolute).catch(() => undefined);
      if (target === undefined) return skip('broken_symlink', 'is a symbolic link to nothing');
      if (target !== root && !target.startsWith(root + path.sep)) return skip('symlink_outside', 'is a symbolic link that leads outside the content folder');
      if ((await stat(target)).isDirectory()) return undefined;
    }
    if (path.extname(relative).toLowerCase() !== '.md') return skip('not_markdown', 'is not a Markdown file (.md); only .md files are articles');
    const info = await stat(absolute);
    if (info.size > maxFileBytes) return skip('too_large', `is ${info.size} bytes, over the limit of ${maxFileBytes} bytes`);
    const bytes = await readFile(absolute);
    if (bytes.includes(0)) return skip('binary', 'is a binary file, not Markdown text');
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      return skip('not_utf8', 'is not valid UTF-8 text');
    }
    return { file, text };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
    return skip('unreadable', `could not be read (${code})`);
  }
}
