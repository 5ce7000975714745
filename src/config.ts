import { validateDetailed } from 'node-cron';
import { z } from 'zod';
import type { FeedSite } from './feeds/feed-model.js';
import { ConfigError, type ConfigIssue } from './errors.js';
import { LOG_LEVELS, type LogLevel } from './logger.js';

export interface Config {
  readonly port: number;
  /** Interface to listen on; undefined means all interfaces. */
  readonly host: string | undefined;
  readonly contentDir: string;
  readonly feedsDir: string;
  readonly site: FeedSite;
  /** Where the build keeps what it needs between builds (entries seen, for deletion notices). */
  readonly stateDir: string;
  readonly buildCron: string;
  /** Watch the content folder and build as soon as it changes (the cron schedule stays as a safety net). */
  readonly watchContent: boolean;
  /** A change is built once the folder has been quiet this long (ms), so a burst of files is one build. */
  readonly watchQuietMs: number;
  readonly cacheMaxAgeSeconds: number;
  /** Cache-Control max-age of archive pages (RFC 5005), which change only if old content does. */
  readonly archiveCacheMaxAgeSeconds: number;
  /** How long a deleted entry is announced (RFC 6721 at:deleted-entry), in days. */
  readonly deletedEntryDays: number;
  readonly maxFileBytes: number;
  readonly logLevel: LogLevel;
  /** Treat any skipped file or reported problem as a failed build (for CI). */
  readonly strict: boolean;
}

const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `expected a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().min(min, `expected a whole number from ${min} to ${max}`).max(max, `expected a whole number from ${min} to ${max}`));

const httpUrl = z
  .string()
  .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), 'expected an absolute http(s) URL such as https://feeds.example.com')
  .transform((value) => value.replace(/\/+$/, ''));

const text = z.string().trim().min(1, 'expected a non-empty text');

const boolean = z
  .enum(['true', 'false', '1', '0'], { error: 'expected true or false' })
  .transform((value) => value === 'true' || value === '1');

const EnvSchema = z.object({
  PORT: integer(0, 65535).default(3000),
  HOST: z.string().trim().min(1).optional(),
  PUBLIC_BASE_URL: httpUrl.optional(),
  SITE_URL: httpUrl.optional(),
  FEED_TITLE: text.default('Syndicated news'),
  FEED_DESCRIPTION: text.default('The latest articles about {topic}.'),
  FEED_LANGUAGE: z
    .string()
    .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'expected a language tag such as en or en-GB')
    .default('en'),
  FEED_MAX_ITEMS: integer(1, 10_000).default(50),
  FEED_MAX_BYTES: integer(1024, 1024 ** 3).default(1024 * 1024),
  CONTENT_DIR: text.default('content'),
  FEEDS_DIR: text.default('feeds'),
  STATE_DIR: text.default('.feed-state'),
  FEED_ARCHIVES: boolean.default(true),
  HUB_URL: httpUrl.optional(),
  ARCHIVE_CACHE_MAX_AGE: integer(0, 31_536_000).default(86_400),
  DELETED_ENTRY_DAYS: integer(0, 3650).default(30),
  BUILD_CRON: z
    .string()
    .default('*/5 * * * *')
    .superRefine((pattern, context) => {
      const result = validateDetailed(pattern);
      if (!result.valid) {
        const detail = result.errors.map((error) => `${error.field}: ${error.message}`).join('; ');
        context.addIssue({ code: 'custom', message: `expected a cron pattern such as */5 * * * * (${detail || 'invalid'})` });
      }
    }),
  WATCH_CONTENT: boolean.default(true),
  WATCH_QUIET_MS: integer(0, 60_000).default(100),
  CACHE_MAX_AGE: integer(0, 31_536_000).default(300),
  MAX_FILE_BYTES: integer(1, 1024 ** 3).default(1024 * 1024),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  STRICT: boolean.default(false),
});

/**
 * Reads and validates the configuration once. The only reader of the environment: everything else
 * receives the frozen Config. Empty variables count as unset. Throws ConfigError naming every bad
 * setting and what was expected.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>, overrides: { strict?: boolean } = {}): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = EnvSchema.safeParse(present);
  if (!result.success) {
    const issues: ConfigIssue[] = result.error.issues.map((issue) => ({ setting: String(issue.path[0] ?? 'environment'), message: issue.message }));
    throw new ConfigError(issues);
  }
  const values = result.data;
  const baseUrl = values.PUBLIC_BASE_URL ?? `http://localhost:${values.PORT}`;
  return deepFreeze({
    port: values.PORT,
    host: values.HOST,
    contentDir: values.CONTENT_DIR,
    feedsDir: values.FEEDS_DIR,
    site: {
      baseUrl,
      siteUrl: values.SITE_URL ?? `${baseUrl}/feeds/`,
      title: values.FEED_TITLE,
      description: values.FEED_DESCRIPTION,
      language: values.FEED_LANGUAGE,
      maxItems: values.FEED_MAX_ITEMS,
      archives: values.FEED_ARCHIVES,
      maxBytes: values.FEED_MAX_BYTES,
      hubUrl: values.HUB_URL,
    },
    stateDir: values.STATE_DIR,
    buildCron: values.BUILD_CRON,
    watchContent: values.WATCH_CONTENT,
    watchQuietMs: values.WATCH_QUIET_MS,
    cacheMaxAgeSeconds: values.CACHE_MAX_AGE,
    archiveCacheMaxAgeSeconds: values.ARCHIVE_CACHE_MAX_AGE,
    deletedEntryDays: values.DELETED_ENTRY_DAYS,
    maxFileBytes: values.MAX_FILE_BYTES,
    logLevel: values.LOG_LEVEL,
    strict: overrides.strict ?? values.STRICT,
  });
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) if (child && typeof child === 'object') deepFreeze(child);
  return Object.freeze(value);
}
