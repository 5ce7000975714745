import type { ErrorCode } from '../errors.js';

/** One thing wrong with an input: the field (`images[0].url`), a stable reason code, a message. */
export interface Issue {
  readonly path: string;
  readonly reason: string;
  readonly message: string;
}

/**
 * Something a build reports instead of throwing: a skipped file, a duplicate id, a topic slug
 * collision. Plain data, so it can be logged, shown in /healthz and asserted on in tests.
 */
export interface Problem {
  readonly code: Exclude<ErrorCode, 'CONFIG_INVALID' | 'BUILD_FAILED' | 'DISK_WRITE_FAILED'>;
  /** The content file, relative to the content folder; absent for problems across files. */
  readonly file?: string;
  readonly issues: readonly Issue[];
}

/** `images[0].url` from zod's `['images', 0, 'url']`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  return path
    .map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`))
    .join('');
}

/** One line per issue: `content/x.md: images[0].url: must be an absolute http(s) URL`. */
export function formatProblem(problem: Problem, contentDir = ''): string[] {
  const where = problem.file === undefined ? problem.code : joinPath(contentDir, problem.file);
  return problem.issues.map((issue) => `${where}: ${issue.path ? `${issue.path}: ` : ''}${issue.message}`);
}

function joinPath(dir: string, file: string): string {
  if (!dir || dir === '.') return file;
  return `${dir.replace(/\/+$/, '')}/${file}`;
}
