import path from 'node:path';
import { isIP } from 'node:net';
import { validateDetailed } from 'node-cron';
import { z } from 'zod';
import { FEED_KIND_NAMES, FEED_KINDS, type FeedKind, type FeedSite } from './feeds/feed-model.js';
import type { RemovalPolicy } from './feeds/removal-guard.js';
import { ConfigError, type ConfigIssue } from './errors.js';
import { LOG_LEVELS, type LogLevel } from './logger.js';
import { IMAGE_FILES } from './render/feed-formats.js';
import { BEARER_TOKEN } from './http/bearer-token.js';

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
  /** Serve GET /metrics (Prometheus's text format) beside /healthz. */
  readonly metrics: boolean;
  /** When set, GET /metrics answers only a request with `Authorization: Bearer <this>` (401 otherwise). */
  readonly metricsToken: string | undefined;
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
  /**
   * A build that would remove more published entries than the larger of `percent` % and `minimum`
   * is not published (an unmounted volume looks like an empty content folder), unless `allow`.
   */
  readonly removalGuard: RemovalPolicy & { readonly allow: boolean };
  /** How the server treats slow and abusive clients (src/http/create-server.ts, src/http/full-response-limiter.ts). */
  readonly http: HttpConfig;
}

export interface HttpConfig {
  /** A request whose headers are not complete this long after it began gets 408 and is closed. */
  readonly headersTimeoutMs: number;
  /** A request not received in full this long after it began gets 408 and is closed. */
  readonly requestTimeoutMs: number;
  /** An idle kept-alive connection is closed after this long. */
  readonly keepAliveTimeoutMs: number;
  /** A connection on which nothing moves this long mid-request or mid-response (a client that stopped reading) is closed. */
  readonly socketTimeoutMs: number;
  /** Whom to believe about the client's address (Express's 'trust proxy'): no one, the nearest N hops, or these addresses. */
  readonly trustProxy: TrustProxy;
  /** At most `limit` full (200) responses per client in each window; undefined: no limit. */
  readonly fullResponseLimit: { readonly limit: number; readonly windowSeconds: number } | undefined;
}

/** false: the socket's address is the client; a number: hops to trust; a list: proxies' addresses and subnets. */
export type TrustProxy = false | number | readonly string[];

const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `expected a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().min(min, `expected a whole number from ${min} to ${max}`).max(max, `expected a whole number from ${min} to ${max}`));

/** An absolute http(s) URL as WHATWG URL writes it (`HTTPS://X.EXAMPLE` → `https://x.example`, `http:x.example` → `http://x.example`), without a trailing slash. */
const httpUrl = z
  .string()
  .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), 'expected an absolute http(s) URL such as https://feeds.example.com')
  .transform((value) => new URL(value).href.replace(/\/+$/, ''));

/**
 * PUBLIC_BASE_URL: every URL of a feed is it followed by `/feeds/…`, so it may hold a path (a
 * prefix) but no query or fragment (`https://x.example/?q=1/feeds/ai.xml`), and no user name or
 * password, which every feed would publish.
 */
const baseUrl = httpUrl.superRefine((value, context) => {
  const url = new URL(value);
  if (url.search !== '' || url.hash !== '' || value.endsWith('?') || value.endsWith('#')) context.addIssue({ code: 'custom', message: 'expected no query (?…) or fragment (#…): the feeds\' paths are added to it' });
  if (url.username !== '' || url.password !== '') context.addIssue({ code: 'custom', message: 'expected no user name or password: every feed would publish them' });
});

const text = z.string().trim().min(1, 'expected a non-empty text');

const boolean = z
  .enum(['true', 'false', '1', '0'], { error: 'expected true or false' })
  .transform((value) => value === 'true' || value === '1');

/**
 * FEED_ARCHIVES: which feeds get RFC 5005 archive pages. `true` every feed, `false` none, or a list
 * of kinds (`topics,all`): each archived feed's pages are about as large as its articles, so
 * archiving only some kinds keeps the output (and a cold build's writing) smaller.
 */
const archiveKinds = z.string().transform((value, context): readonly FeedKind[] => {
  const trimmed = value.trim();
  if (trimmed === 'true' || trimmed === '1') return FEED_KINDS;
  if (trimmed === 'false' || trimmed === '0') return [];
  const names = trimmed.split(',').map((name) => name.trim());
  const kindNames: readonly string[] = FEED_KINDS.map((kind) => FEED_KIND_NAMES[kind]);
  const unknown = names.filter((name) => !kindNames.includes(name));
  if (unknown.length > 0) {
    context.addIssue({ code: 'custom', message: `expected true, false, or a list of ${kindNames.join(', ')} such as topics,all; not a kind of feed: ${unknown.map((name) => JSON.stringify(name)).join(', ')}` });
    return z.NEVER;
  }
  // In FEED_KINDS' order whatever the list's, so that the same kinds give the same cache stamp.
  return FEED_KINDS.filter((kind) => names.includes(FEED_KIND_NAMES[kind]));
});

const TRUST_PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** An address or subnet proxy-addr (behind Express's 'trust proxy') accepts: 10.0.0.0/8, ::1, loopback. */
function isProxyAddress(value: string): boolean {
  if (TRUST_PROXY_NAMES.has(value)) return true;
  const [address = '', bits, ...rest] = value.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  if (family === 4 && isIP(bits) === 4) return true; // a netmask: 10.0.0.0/255.0.0.0
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

const trustProxy = z.string().transform((value, context): TrustProxy => {
  const trimmed = value.trim();
  if (trimmed === 'false') return false;
  if (/^\d+$/.test(trimmed) && Number(trimmed) <= 100) return Number(trimmed) === 0 ? false : Number(trimmed);
  const items = trimmed.split(',').map((item) => item.trim());
  const wrong = items.filter((item) => !isProxyAddress(item));
  if (trimmed === 'true' || wrong.length > 0) {
    context.addIssue({
      code: 'custom',
      message: `expected false, a hop count such as 1, or proxy addresses such as loopback,10.0.0.0/8 (true would let any client pick its address)${wrong.length > 0 && trimmed !== 'true' ? `; not an address or subnet: ${wrong.join(', ')}` : ''}`,
    });
    return z.NEVER;
  }
  return items;
});

const EnvSchema = z.object({
  PORT: integer(0, 65535).default(3000),
  HOST: z.string().trim().min(1).optional(),
  PUBLIC_BASE_URL: baseUrl.optional(),
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
  FEED_ARCHIVES: archiveKinds.default(FEED_KINDS),
  HUB_URL: httpUrl.optional(),
  FEED_ICON_URL: httpUrl.optional(),
  FEED_LOGO_URL: httpUrl.optional(),
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
  METRICS: boolean.default(true),
  METRICS_TOKEN: z
    .string()
    .regex(BEARER_TOKEN, 'expected at least 16 characters of A-Z, a-z, 0-9 and - . _ ~ + / (a bearer token, RFC 6750), such as the output of `openssl rand -hex 32`')
    .optional(),
  WATCH_QUIET_MS: integer(0, 60_000).default(100),
  CACHE_MAX_AGE: integer(0, 31_536_000).default(300),
  MAX_FILE_BYTES: integer(1, 1024 ** 3).default(1024 * 1024),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  STRICT: boolean.default(false),
  REMOVAL_LIMIT_PERCENT: integer(0, 100).default(10),
  REMOVAL_LIMIT_ENTRIES: integer(0, 1_000_000_000).default(20),
  ALLOW_MASS_REMOVAL: boolean.default(false),
  HTTP_HEADERS_TIMEOUT_MS: integer(1000, 600_000).default(10_000),
  HTTP_REQUEST_TIMEOUT_MS: integer(1000, 3_600_000).default(30_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: integer(1, 600_000).default(5_000),
  HTTP_SOCKET_TIMEOUT_MS: integer(1000, 3_600_000).default(60_000),
  TRUST_PROXY: trustProxy.default(false),
  RATE_LIMIT_FULL_RESPONSES: integer(0, 1_000_000).default(0),
  RATE_LIMIT_WINDOW_SECONDS: integer(1, 86_400).default(60),
}).superRefine((values, context) => {
  // node:http refuses a headers timeout longer than the request timeout (ERR_OUT_OF_RANGE).
  if (values.HTTP_HEADERS_TIMEOUT_MS > values.HTTP_REQUEST_TIMEOUT_MS) {
    context.addIssue({ code: 'custom', path: ['HTTP_HEADERS_TIMEOUT_MS'], message: `expected at most HTTP_REQUEST_TIMEOUT_MS (${values.HTTP_REQUEST_TIMEOUT_MS})` });
  }
  // The default base URL is made from PORT before anything listens, and every build writes it into
  // each feed's id and links and stamps its cache with it (build-cache.ts, configStamp). Port 0's
  // would be http://localhost:0; the port bound at each start would change every feed's id and
  // links on each restart, throw the build cache away, and leave the build:feeds CLI (which never
  // listens) with no port at all. So port 0 needs the base URL said outright.
  if (values.PORT === 0 && values.PUBLIC_BASE_URL === undefined) {
    context.addIssue({ code: 'custom', path: ['PORT'], message: 'expected PUBLIC_BASE_URL as well with PORT=0 (a port the system picks at each start): the feeds\' URLs and ids are made from it, and http://localhost:0 reaches nothing' });
  }
});

/** Whether `folder` is `parent` or below it (as resolved from the working folder). */
function isInside(folder: string, parent: string): boolean {
  const relative = path.relative(path.resolve(parent), path.resolve(folder));
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * Reads and validates the configuration once. The only reader of the environment: everything else
 * receives the frozen Config. Empty variables count as unset. Throws ConfigError naming every bad
 * setting and what was expected.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>, overrides: { strict?: boolean; allowMassRemoval?: boolean } = {}): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = EnvSchema.safeParse(present);
  if (!result.success) {
    const issues: ConfigIssue[] = result.error.issues.map((issue) => ({ setting: String(issue.path[0] ?? 'environment'), message: issue.message }));
    throw new ConfigError(issues);
  }
  const values = result.data;
  if (isInside(values.FEEDS_DIR, values.CONTENT_DIR)) {
    // Every build would read its own output as content (and report each file as not Markdown).
    throw new ConfigError([{ setting: 'FEEDS_DIR', message: `expected a folder outside CONTENT_DIR (${path.resolve(values.CONTENT_DIR)})` }]);
  }
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
      // The service's own images (render/feed-images.ts) unless others are named.
      iconUrl: values.FEED_ICON_URL ?? `${baseUrl}/feeds/${IMAGE_FILES.icon.name}`,
      logoUrl: values.FEED_LOGO_URL ?? `${baseUrl}/feeds/${IMAGE_FILES.logo.name}`,
      // The same numbers as cacheMaxAgeSeconds and archiveCacheMaxAgeSeconds: RSS <ttl> repeats them.
      maxAgeSeconds: { subscription: values.CACHE_MAX_AGE, archive: values.ARCHIVE_CACHE_MAX_AGE },
    },
    stateDir: values.STATE_DIR,
    buildCron: values.BUILD_CRON,
    watchContent: values.WATCH_CONTENT,
    metrics: values.METRICS,
    metricsToken: values.METRICS_TOKEN,
    watchQuietMs: values.WATCH_QUIET_MS,
    cacheMaxAgeSeconds: values.CACHE_MAX_AGE,
    archiveCacheMaxAgeSeconds: values.ARCHIVE_CACHE_MAX_AGE,
    deletedEntryDays: values.DELETED_ENTRY_DAYS,
    maxFileBytes: values.MAX_FILE_BYTES,
    logLevel: values.LOG_LEVEL,
    strict: overrides.strict ?? values.STRICT,
    removalGuard: { percent: values.REMOVAL_LIMIT_PERCENT, minimum: values.REMOVAL_LIMIT_ENTRIES, allow: overrides.allowMassRemoval ?? values.ALLOW_MASS_REMOVAL },
    http: {
      headersTimeoutMs: values.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: values.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: values.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      socketTimeoutMs: values.HTTP_SOCKET_TIMEOUT_MS,
      trustProxy: values.TRUST_PROXY,
      fullResponseLimit: values.RATE_LIMIT_FULL_RESPONSES > 0 ? { limit: values.RATE_LIMIT_FULL_RESPONSES, windowSeconds: values.RATE_LIMIT_WINDOW_SECONDS } : undefined,
    },
  });
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) if (child && typeof child === 'object') deepFreeze(child);
  return Object.freeze(value);
}
