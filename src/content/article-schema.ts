import { z } from 'zod';
import { parseIsoDateTime } from './iso-date.js';
import { MAX_SLUG_BYTES, slugFault, topicSlug } from '../feeds/topics.js';
import { toPlainName, toPlainText } from './plain-text.js';
import { toUriText } from './uri-text.js';
import { memoized } from '../memoized.js';

/**
 * The contract for an article's front matter, and the source of the `Article` type.
 *
 * Required: `title`, `publishedDateTime`, `sourceUrl`. Everything else is optional; unknown keys
 * are dropped. `secured` is accepted as an opaque value and removed by the final transform, so the
 * `Article` type has no such field and nothing downstream can copy it into a feed or a log line.
 * Issues never carry the input value (zod's default), so a bad `secured` cannot leak through one.
 *
 * The YAML is read with js-yaml's FAILSAFE schema (parse-article.ts), so every scalar arrives as a
 * string and this schema alone decides what is a number, a boolean or a date: `title: 007` stays
 * "007", `country: NO` stays "NO", and `published: "false"` means false like `published: false`.
 * An empty value (`images:`) counts as absent.
 */

/** Every issue carries a stable reason code in `params.reason`. */
function fail(context: z.core.$RefinementCtx, reason: string, message: string, path?: PropertyKey[]): never {
  context.addIssue({ code: 'custom', message, params: { reason }, ...(path && { path }) });
  return z.NEVER as never;
}

/**
 * YAML's empty value (`images:`, `provider:` with nothing under it) counts as absent: a copy of the
 * parsed front matter without null-valued keys, at every mapping level. Nulls inside lists stay,
 * so `images: [~]` is still reported; a document without nulls is passed on as it is. Done once
 * for the whole document instead of a preprocess step on every field (a zod pipe per field).
 *
 * YAML aliases make the document a graph in which one node may be reached many times: nine levels
 * of nine aliases each (`a1: [*a0, *a0, …]`, 550 bytes) reach the first level 387 million times.
 * Each node is looked at and copied once (`seen`), so the work is the size of the file.
 */
function withoutNullFields(value: unknown): unknown {
  return hasNullField(value, new Set()) ? copyWithoutNullFields(value, new Map()) : value;
}

/** `seen`: the nodes already looked at; each held no null, or the walk would have ended there. */
function hasNullField(value: unknown, seen: Set<object>): boolean {
  if (value === null || typeof value !== 'object' || seen.has(value)) return false;
  seen.add(value);
  if (Array.isArray(value)) {
    for (const item of value) if (hasNullField(item, seen)) return true;
    return false;
  }
  // Plain loops: this looks at every field of every article, and finds nothing in most.
  for (const key of Object.keys(value)) {
    const field = (value as Record<string, unknown>)[key];
    if (field === null || hasNullField(field, seen)) return true;
  }
  return false;
}

function copyWithoutNullFields(value: unknown, copies: Map<object, unknown>): unknown {
  if (value === null || typeof value !== 'object') return value;
  const known = copies.get(value);
  if (known !== undefined) return known;
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    copies.set(value, copy);
    for (const item of value) copy.push(copyWithoutNullFields(item, copies));
    return copy;
  }
  const copy: Record<string, unknown> = {};
  copies.set(value, copy);
  for (const key of Object.keys(value)) {
    const field = (value as Record<string, unknown>)[key];
    if (field !== null) copy[key] = copyWithoutNullFields(field, copies);
  }
  return copy;
}

const scalar = (expected: string) => z.string({ error: `must be ${expected}` });

/** Text on one line, cleaned by `clean`; it must not be empty. */
const requiredString = (clean: (value: string) => string) =>
  scalar('text').transform((value, context) => {
    const plain = clean(value);
    return plain === '' ? fail(context, 'too_small', 'must not be empty') : plain;
  });
/** Optional text cleaned by `clean`; blank counts as absent. */
const optionalString = (clean: (value: string) => string) =>
  scalar('text')
    .transform((value) => {
      const plain = clean(value);
      return plain === '' ? undefined : plain;
    })
    .optional();

/** Text cleaned of XML-unsafe characters (an excerpt, a type). */
const optionalText = optionalString(toPlainText);
/**
 * A title or a name: plain text with HTML tags removed (plain-text.ts, withoutHtmlTags), as
 * readers take a title holding `</b>` for HTML and each shows it differently.
 */
const requiredName = requiredString(toPlainName);
const optionalName = optionalString(toPlainName);

/**
 * An absolute http(s) URL, normalised by WHATWG URL (spaces and non-ASCII percent-encoded), then
 * made a valid RFC 3986 URI (`[`, `]`, `|`… percent-encoded too: uri-text.ts).
 */
const httpUrl = scalar('a URL').transform((value, context) => {
  const url = URL.parse(value.trim());
  if (url === null) return fail(context, 'invalid_url', 'must be an absolute http(s) URL');
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return fail(context, 'invalid_url', 'must be an http or https URL');
  return toUriText(url.href);
});

/** ISO 8601 with any offset (`Z`, `+05:30`, `-0800`); no offset means UTC. */
const isoDateTime = scalar('an ISO 8601 date-time').transform((value, context) => {
  const date = parseIsoDateTime(value);
  if (date === undefined) return fail(context, 'invalid_date', 'must be an ISO 8601 date-time such as 2019-12-23T12:33:00Z or 2019-12-23T14:33:00+02:00');
  // RFC 3339 (Atom) and RFC 822 (RSS) dates have four-digit years: 9999-12-31T23:00:00-14:00 is
  // in the year 10000 in UTC, and Atom would get `+010000-…`.
  const year = date.getUTCFullYear();
  return year < 1 || year > 9999 ? fail(context, 'invalid_date', 'must fall between the years 0001 and 9999 in UTC') : date;
});

const DOMAIN_LABEL = '[\\p{L}\\p{N}](?:[\\p{L}\\p{N}-]*[\\p{L}\\p{N}])?';
const DOMAIN_NAME = new RegExp(`^${DOMAIN_LABEL}(?:\\.${DOMAIN_LABEL})*$`, 'u');

/**
 * A bare host name such as `pymnts.com`, as WHATWG URL writes it (lower case, punycode); undefined
 * if it is none. A publisher's articles name the same few hundred providers again and again (the
 * article and each related one): their domains are answered from a table of the last 4096.
 */
const hostName = memoized((value: string): string | undefined => {
  const host = value.trim().toLowerCase();
  if (!DOMAIN_NAME.test(host)) return undefined;
  const name = URL.parse(`https://${host}/`)?.hostname;
  // WHATWG URL reads `1` or `0x7f.1` as an IPv4 address; a provider is named by its domain.
  return name === undefined || /^[\d.]+$/.test(name) || name.split('.').some((label) => label.length > 63) ? undefined : name;
}, 4096);

/** Fails with why `slug` cannot name the feed of a `kind` (topic, category, provider), if it cannot. */
function checkFeedSlug(context: z.core.$RefinementCtx, slug: string, kind: string, path?: PropertyKey[]): void {
  const fault = slugFault(slug);
  if (fault === 'empty') fail(context, `invalid_${kind}`, 'must contain letters or digits (it names a feed URL)', path);
  if (fault === 'too_long') fail(context, 'too_long', `is too long to name a feed: its URL slug may hold at most ${MAX_SLUG_BYTES} bytes`, path);
}

/** A bare host name such as `pymnts.com`; the provider's link is `https://` + domain. */
const domainName = scalar('a domain name').transform((value, context) => {
  const host = hostName(value);
  if (host === undefined) return fail(context, 'invalid_domain', 'must be a bare domain name such as example.com');
  checkFeedSlug(context, host, 'domain');
  return host;
});

/**
 * An article's own permanent id: an absolute URI (urn:uuid:…, tag:…, https://…), as Atom requires;
 * characters a URI may not hold are percent-encoded (`tag:x.com,2026:a<1>` → `…a%3C1%3E`).
 */
const entryIdUri = scalar('an absolute URI').transform((value, context) => {
  const trimmed = toPlainText(value);
  if (/^[a-z][a-z0-9+.-]*:\S+$/i.test(trimmed)) return toUriText(trimmed);
  return fail(context, 'invalid_id', 'must be an absolute URI such as urn:uuid:… or tag:example.com,2024:my-article');
});

const dimension = scalar('a whole number of pixels').transform((value, context) =>
  /^\s*\d+\s*$/.test(value) && Number(value) > 0 ? Number(value) : fail(context, 'invalid_number', 'must be a whole number of pixels above 0'),
);

const score = scalar('a number').transform((value, context) =>
  /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : fail(context, 'invalid_number', 'must be a number'),
);

const flag = scalar('true or false').transform((value, context) => {
  const lower = value.trim().toLowerCase();
  return lower === 'true' ? true : lower === 'false' ? false : fail(context, 'invalid_boolean', 'must be true or false');
});

/** A topic needs letters or digits, or it has no URL slug, and a slug short enough for a file name. */
const topicName = scalar('text').transform((value, context) => {
  const name = toPlainName(value);
  if (name === '') return fail(context, 'too_small', 'must not be empty');
  checkFeedSlug(context, topicSlug(name), 'topic');
  return name;
});

/** A category names a feed as a topic does (`categories/<slug>`); blank counts as absent. */
const categoryName = optionalName.superRefine((name, context) => {
  if (name !== undefined) checkFeedSlug(context, topicSlug(name), 'category');
});

/**
 * The most topics one article may name. Its entry is written into the feed of each topic, and
 * lists every topic as a category there: 3 000 topics in one 41 KB article made 12 000 files and
 * nearly a gigabyte of feeds.
 */
export const MAX_TOPICS = 100;

/** A list, or a single value standing for a list of one (`topics: AI`); absent or blank (`topics: ""`) is empty. */
function listOf<T extends z.ZodType>(item: T, message: string) {
  return z.preprocess((value) => (typeof value === 'string' ? (value.trim() === '' ? [] : [value]) : value), z.array(item, { error: message })).optional();
}

export const ProviderSchema = z.object(
  {
    name: requiredName,
    domain: domainName.optional(),
  },
  { error: 'must be a mapping with name and domain' },
);

export const ImageSchema = z.object(
  {
    url: httpUrl,
    width: dimension.optional(),
    height: dimension.optional(),
    title: optionalName,
  },
  { error: 'must be a mapping with url, width, height and title' },
);

export const RelatedArticleSchema = z.object(
  {
    title: requiredName,
    excerpt: optionalText,
    publishedDateTime: isoDateTime.optional(),
    sourceUrl: httpUrl,
    type: optionalText,
    provider: ProviderSchema.optional(),
    quality: score.optional(),
  },
  { error: 'must be a mapping with title and sourceUrl' },
);

export const FrontMatterSchema = z.preprocess(
  withoutNullFields,
  z
    .object({
      id: entryIdUri.optional(),
      category: categoryName,
      title: requiredName,
      excerpt: optionalText,
      publishedDateTime: isoDateTime,
      updatedDateTime: isoDateTime.optional(),
      sourceUrl: httpUrl,
      ampUrl: httpUrl.optional(),
      cdnAmpUrl: httpUrl.optional(),
      type: optionalText,
      quality: score.optional(),
      heat: score.optional(),
      published: flag.default(true),
      // The article's own provider names a feed (`providers/<domain>`, or its name's slug).
      provider: ProviderSchema.superRefine((provider, context) => {
        if (provider.domain === undefined) checkFeedSlug(context, topicSlug(provider.name), 'provider', ['name']);
      }).optional(),
      topics: listOf(topicName, 'must be a list of topic names').transform((topics, context) => {
        const unique = [...new Set(topics ?? [])];
        return unique.length > MAX_TOPICS ? fail(context, 'too_big', `names ${unique.length} topics; an article may name at most ${MAX_TOPICS}`) : unique;
      }),
      images: z.array(ImageSchema, { error: 'must be a list of {url, width, height, title}' }).default(() => []),
      related: z.array(RelatedArticleSchema, { error: 'must be a list of {title, sourceUrl, …}' }).default(() => []),
      secured: z.unknown().optional(),
    })
    .transform(({ secured: _opaque, ...article }) => article),
);

export type FrontMatter = z.output<typeof FrontMatterSchema>;
export type ArticleImage = z.output<typeof ImageSchema>;
export type ArticleProvider = z.output<typeof ProviderSchema>;
export type RelatedArticle = z.output<typeof RelatedArticleSchema>;

/** A parsed, validated article: its front matter, its Markdown body and the file it came from. */
export interface Article extends FrontMatter {
  /** Path of the source file relative to the content folder, with `/` separators. */
  readonly file: string;
  /** The Markdown body, possibly empty. */
  readonly body: string;
}
