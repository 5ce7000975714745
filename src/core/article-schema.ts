import { z } from 'zod';
import { parseIsoDateTime } from './iso-date.js';
import { toPlainText } from './xml-safe-text.js';

/**
 * The contract for an article's front matter, and the source of the `Article` type.
 *
 * Required: `title`, `publishedDateTime`, `sourceUrl`. Everything else is optional; unknown keys
 * are dropped. `secured` is accepted as an opaque value and removed by the final transform, so the
 * `Article` type has no such field and nothing downstream can copy it into a feed or a log line.
 * Issues never carry the input value (zod's default), so a bad `secured` cannot leak through one.
 */

const requiredMessage = (expected: string) => (issue: { input: unknown }) =>
  issue.input === undefined || issue.input === null ? 'is required' : `must be ${expected}`;

/** Text on one line. YAML turns `title: 2024` into a number; a number is accepted as its digits. */
const plainText = z
  .union([z.string(), z.number()], { error: requiredMessage('text') })
  .transform((value) => toPlainText(String(value)));

const requiredText = plainText.pipe(z.string().min(1, 'must not be empty'));
const optionalText = plainText.optional().transform((value) => (value === '' ? undefined : value));

/** An absolute http(s) URL, normalised by WHATWG URL (spaces and non-ASCII percent-encoded). */
const httpUrl = z.string({ error: requiredMessage('a URL') }).transform((value, context) => {
  const trimmed = value.trim();
  if (URL.canParse(trimmed)) {
    const url = new URL(trimmed);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.href;
    context.addIssue({ code: 'custom', message: 'must be an http or https URL', params: { reason: 'invalid_url' } });
  } else {
    context.addIssue({ code: 'custom', message: 'must be an absolute http(s) URL', params: { reason: 'invalid_url' } });
  }
  return z.NEVER;
});

/** ISO 8601 with any offset (`Z`, `+05:30`, `-0800`); no offset means UTC. */
const isoDateTime = z
  .union([z.string(), z.date()], { error: requiredMessage('an ISO 8601 date-time such as 2019-12-23T12:33:00Z') })
  .transform((value, context) => {
    const date = value instanceof Date ? value : parseIsoDateTime(value);
    if (date && !Number.isNaN(date.getTime())) return date;
    context.addIssue({
      code: 'custom',
      message: 'must be an ISO 8601 date-time such as 2019-12-23T12:33:00Z or 2019-12-23T14:33:00+02:00',
      params: { reason: 'invalid_date' },
    });
    return z.NEVER;
  });

/** A bare host name such as `pymnts.com`; the provider's link is `https://` + domain. */
const domainName = z.string({ error: requiredMessage('a domain name') }).transform((value, context) => {
  const host = value.trim().toLowerCase();
  if (/^[a-z0-9\u00a1-\uffff]([a-z0-9\u00a1-\uffff-]*[a-z0-9\u00a1-\uffff])?(\.[a-z0-9\u00a1-\uffff]([a-z0-9\u00a1-\uffff-]*[a-z0-9\u00a1-\uffff])?)*$/.test(host) && URL.canParse(`https://${host}/`)) {
    return new URL(`https://${host}/`).hostname;
  }
  context.addIssue({ code: 'custom', message: 'must be a bare domain name such as example.com', params: { reason: 'invalid_domain' } });
  return z.NEVER;
});

/** An article's own permanent id: an absolute URI (urn:uuid:…, tag:…, https://…), as Atom requires. */
const entryIdUri = z.string({ error: requiredMessage('an absolute URI') }).transform((value, context) => {
  const trimmed = toPlainText(value);
  if (/^[a-z][a-z0-9+.-]*:\S+$/i.test(trimmed)) return trimmed;
  context.addIssue({
    code: 'custom',
    message: 'must be an absolute URI such as urn:uuid:… or tag:example.com,2024:my-article',
    params: { reason: 'invalid_id' },
  });
  return z.NEVER;
});

const dimension = z.number({ error: requiredMessage('a whole number of pixels') }).int('must be a whole number of pixels').positive('must be positive');
const score = z.number({ error: requiredMessage('a number') }).finite();

export const ProviderSchema = z.object({
  name: requiredText,
  domain: domainName.optional(),
});

export const ImageSchema = z.object({
  url: httpUrl,
  width: dimension.optional(),
  height: dimension.optional(),
  title: optionalText,
});

export const RelatedArticleSchema = z.object({
  title: requiredText,
  excerpt: optionalText,
  publishedDateTime: isoDateTime.optional(),
  sourceUrl: httpUrl,
  type: optionalText,
  provider: ProviderSchema.optional(),
  quality: score.optional(),
});

/** A list, or a single value standing for a list of one (`topics: AI`). */
function listOf<T extends z.ZodType>(item: T) {
  return z.preprocess(
    (value) => (value === undefined || value === null || Array.isArray(value) ? value : [value]),
    z.array(item, { error: 'must be a list' }),
  );
}

export const FrontMatterSchema = z
  .object({
    id: entryIdUri.optional(),
    category: optionalText,
    title: requiredText,
    excerpt: optionalText,
    publishedDateTime: isoDateTime,
    updatedDateTime: isoDateTime.optional(),
    sourceUrl: httpUrl,
    ampUrl: httpUrl.optional(),
    cdnAmpUrl: httpUrl.optional(),
    type: optionalText,
    quality: score.optional(),
    heat: score.optional(),
    published: z.boolean({ error: requiredMessage('true or false') }).default(true),
    provider: ProviderSchema.optional(),
    topics: listOf(requiredText)
      .optional()
      .transform((topics) => [...new Set(topics ?? [])]),
    images: z.array(ImageSchema, { error: 'must be a list of {url, width, height, title}' }).optional().transform((images) => images ?? []),
    related: z
      .array(RelatedArticleSchema, { error: 'must be a list of {title, sourceUrl, …}' })
      .optional()
      .transform((related) => related ?? []),
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
