import { z } from 'zod';
import { parseIsoDateTime } from './iso-date.js';
import { topicSlug } from './topics.js';
import { toPlainText } from './xml-safe-text.js';

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
function fail(context: z.core.$RefinementCtx, reason: string, message: string): never {
  context.addIssue({ code: 'custom', message, params: { reason } });
  return z.NEVER as never;
}

/** An optional field: YAML's empty value (null) counts as absent. */
function optional<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === null ? undefined : value), schema.optional());
}

const scalar = (expected: string) => z.string({ error: `must be ${expected}` });

/** Text on one line, cleaned of XML-unsafe characters. */
const text = scalar('text').transform((value) => toPlainText(value));
const requiredText = text.pipe(z.string().min(1, 'must not be empty'));
const optionalText = optional(text).transform((value) => (value === '' ? undefined : value));

/** An absolute http(s) URL, normalised by WHATWG URL (spaces and non-ASCII percent-encoded). */
const httpUrl = scalar('a URL').transform((value, context) => {
  const url = URL.parse(value.trim());
  if (url === null) return fail(context, 'invalid_url', 'must be an absolute http(s) URL');
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return fail(context, 'invalid_url', 'must be an http or https URL');
  return url.href;
});

/** ISO 8601 with any offset (`Z`, `+05:30`, `-0800`); no offset means UTC. */
const isoDateTime = scalar('an ISO 8601 date-time').transform(
  (value, context) =>
    parseIsoDateTime(value) ??
    fail(context, 'invalid_date', 'must be an ISO 8601 date-time such as 2019-12-23T12:33:00Z or 2019-12-23T14:33:00+02:00'),
);

/** A bare host name such as `pymnts.com`; the provider's link is `https://` + domain. */
const domainName = scalar('a domain name').transform((value, context) => {
  const host = value.trim().toLowerCase();
  const label = '[\\p{L}\\p{N}](?:[\\p{L}\\p{N}-]*[\\p{L}\\p{N}])?';
  if (new RegExp(`^${label}(?:\\.${label})*$`, 'u').test(host) && URL.canParse(`https://${host}/`)) return new URL(`https://${host}/`).hostname;
  return fail(context, 'invalid_domain', 'must be a bare domain name such as example.com');
});

/** An article's own permanent id: an absolute URI (urn:uuid:…, tag:…, https://…), as Atom requires. */
const entryIdUri = scalar('an absolute URI').transform((value, context) => {
  const trimmed = toPlainText(value);
  if (/^[a-z][a-z0-9+.-]*:\S+$/i.test(trimmed)) return trimmed;
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

/** A topic needs letters or digits, or it has no URL slug. */
const topicName = requiredText.transform((name, context) =>
  topicSlug(name) === '' ? fail(context, 'invalid_topic', 'must contain letters or digits (it names a feed URL)') : name,
);

/** A list, or a single value standing for a list of one (`topics: AI`). */
function listOf<T extends z.ZodType>(item: T, message: string) {
  return optional(
    z.preprocess((value) => (typeof value === 'string' ? [value] : value), z.array(item, { error: message })),
  );
}

export const ProviderSchema = z.object(
  {
    name: requiredText,
    domain: optional(domainName),
  },
  { error: 'must be a mapping with name and domain' },
);

export const ImageSchema = z.object(
  {
    url: httpUrl,
    width: optional(dimension),
    height: optional(dimension),
    title: optionalText,
  },
  { error: 'must be a mapping with url, width, height and title' },
);

export const RelatedArticleSchema = z.object(
  {
    title: requiredText,
    excerpt: optionalText,
    publishedDateTime: optional(isoDateTime),
    sourceUrl: httpUrl,
    type: optionalText,
    provider: optional(ProviderSchema),
    quality: optional(score),
  },
  { error: 'must be a mapping with title and sourceUrl' },
);

export const FrontMatterSchema = z
  .object({
    id: optional(entryIdUri),
    category: optionalText,
    title: requiredText,
    excerpt: optionalText,
    publishedDateTime: isoDateTime,
    updatedDateTime: optional(isoDateTime),
    sourceUrl: httpUrl,
    ampUrl: optional(httpUrl),
    cdnAmpUrl: optional(httpUrl),
    type: optionalText,
    quality: optional(score),
    heat: optional(score),
    published: optional(flag).transform((value) => value ?? true),
    provider: optional(ProviderSchema),
    topics: listOf(topicName, 'must be a list of topic names').transform((topics) => [...new Set(topics ?? [])]),
    images: optional(z.array(ImageSchema, { error: 'must be a list of {url, width, height, title}' })).transform((images) => images ?? []),
    related: optional(z.array(RelatedArticleSchema, { error: 'must be a list of {title, sourceUrl, …}' })).transform(
      (related) => related ?? [],
    ),
    secured: z.unknown().optional(),
  })
  .transform(({ secured: _opaque, ...article }) => article);

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
