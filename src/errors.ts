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
  | 'DISK_WRITE_FAILED';

export class FeedServiceError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FeedServiceError';
    this.code = code;
  }
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
