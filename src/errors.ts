/**
 * Errors are data: a stable `code` (listed in the README), and for articles the file and the list
 * of issues, each with the field path. Formatting for people is a separate function
 * (`formatArticleProblem` in core/format-problems.ts).
 */

export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'ARTICLE_INVALID'
  | 'ARTICLE_UNREADABLE'
  | 'DUPLICATE_ID'
  | 'TOPIC_SLUG_COLLISION'
  | 'BUILD_FAILED'
  | 'CONTENT_FOLDER_UNAVAILABLE'
  | 'MASS_REMOVAL_REFUSED'
  | 'DISK_WRITE_FAILED'
  | 'BUILD_STOPPED'
  | 'FEEDS_DIR_IN_USE'
  | 'STATE_DIR_IN_USE';

export class FeedServiceError extends Error {
  readonly code: ErrorCode;
  /** Numbers an operator or a monitor acts on (shown in /healthz). */
  readonly details: Readonly<Record<string, number | string>> | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Readonly<Record<string, number | string>> }) {
    super(message, options);
    this.name = 'FeedServiceError';
    this.code = code;
    this.details = options?.details;
  }
}

/** What a failed build reports, as plain data: it crosses from the build thread and goes into /healthz. */
export interface FailureSummary {
  readonly message: string;
  /** Our ErrorCode, or a system error's code (ENOSPC, EACCES, ...). */
  readonly code?: string;
  readonly details?: Readonly<Record<string, number | string>>;
}

export function failureSummary(error: unknown): FailureSummary {
  if (!(error instanceof Error)) return { message: String(error) };
  const code = (error as { code?: unknown }).code;
  const details = (error as { details?: FailureSummary['details'] }).details;
  return { message: error.message, ...(typeof code === 'string' ? { code } : {}), ...(details ? { details } : {}) };
}

/** The error a FailureSummary stands for, on the other side of the thread. */
export function errorFromSummary(summary: FailureSummary): Error {
  const error = new Error(summary.message) as Error & { code?: string; details?: FailureSummary['details'] };
  if (summary.code !== undefined) error.code = summary.code;
  if (summary.details !== undefined) error.details = summary.details;
  return error;
}

export interface ConfigIssue {
  /** The setting's name, e.g. `PORT` or `--strict`. */
  setting: string;
  message: string;
}

export class ConfigError extends FeedServiceError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super('CONFIG_INVALID', `Invalid configuration:\n${issues.map((issue) => `  ${issue.setting}: ${issue.message}`).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}
