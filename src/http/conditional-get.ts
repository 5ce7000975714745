/**
 * Conditional GET (RFC 9110 §13): the preconditions a GET or HEAD of a feed file can carry,
 * evaluated in the order of §13.2.2. If-None-Match wins over If-Modified-Since when both are sent,
 * and If-Match over If-Unmodified-Since. The coding suffix of a tag is ignored: every coding of a
 * file has the same content, so a reader that cached the gzip variant is still up to date.
 */
export interface Validators {
  /** The content hash inside the ETag quotes. */
  readonly hash: string;
  readonly lastModified: Date;
}

export interface ConditionalHeaders {
  readonly ifMatch?: string;
  readonly ifUnmodifiedSince?: string;
  readonly ifNoneMatch?: string;
  readonly ifModifiedSince?: string;
}

/** What the preconditions say to answer: the file (200), 304 Not Modified, or 412 Precondition Failed. */
export type ConditionalAnswer = 'full' | 'not-modified' | 'precondition-failed';

/**
 * The preconditions of a GET or HEAD of a file that exists (a server evaluates them only when it
 * would otherwise answer 2xx, §13.2.1), in the order of §13.2.2:
 * 1. If-Match: no tag in it is the file's, compared strongly (a weak tag never matches, §13.1.1): 412;
 * 2. else If-Unmodified-Since: the file changed after that date (§13.1.4): 412;
 * 3. If-None-Match: a tag in it is the file's, compared weakly (§13.1.2, §8.8.3.2), or `*`: 304;
 * 4. else If-Modified-Since: the file has not changed since that date (§13.1.3): 304.
 * A date that is not an HTTP-date is ignored, as if the header were not sent.
 */
export function evaluateConditions({ ifMatch, ifUnmodifiedSince, ifNoneMatch, ifModifiedSince }: ConditionalHeaders, validators: Validators): ConditionalAnswer {
  if (ifMatch !== undefined) {
    if (!listsTag(ifMatch, validators.hash, 'strong')) return 'precondition-failed';
  } else if (ifUnmodifiedSince !== undefined && changedSince(validators.lastModified, ifUnmodifiedSince) === true) {
    return 'precondition-failed';
  }
  if (ifNoneMatch !== undefined) return listsTag(ifNoneMatch, validators.hash, 'weak') ? 'not-modified' : 'full';
  if (ifModifiedSince !== undefined && changedSince(validators.lastModified, ifModifiedSince) === false) return 'not-modified';
  return 'full';
}

/** Whether an If-Match or If-None-Match value is `*` or lists the file's tag (`weak`: W/ tags match too). */
function listsTag(value: string, hash: string, comparison: 'strong' | 'weak'): boolean {
  return value
    .split(',')
    .map((tag) => tag.trim())
    .some((tag) => tag === '*' || ((comparison === 'weak' || !tag.startsWith('W/')) && opaqueTag(tag) === hash));
}

/** Whether `lastModified` is after the date a header gives (HTTP dates have whole seconds); undefined when it gives no HTTP-date. */
function changedSince(lastModified: Date, header: string): boolean | undefined {
  const since = parseHttpDate(header);
  return since === undefined ? undefined : Math.floor(lastModified.getTime() / 1000) * 1000 > since;
}

const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
/** The three forms of HTTP-date (RFC 9110 §5.6.7): IMF-fixdate, obsolete RFC 850, asctime. */
const HTTP_DATE = new RegExp(
  [
    `^${DAY}, \\d{2} ${MONTH} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT$`,
    `^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \\d{2}-${MONTH}-\\d{2} \\d{2}:\\d{2}:\\d{2} GMT$`,
    `^${DAY} ${MONTH} [ \\d]\\d \\d{2}:\\d{2}:\\d{2} \\d{4}$`,
  ].join('|'),
);

/** Milliseconds of an HTTP-date, or undefined for anything else (Date.parse accepts far more). */
export function parseHttpDate(value: string): number | undefined {
  const trimmed = value.trim();
  if (!HTTP_DATE.test(trimmed)) return undefined;
  const time = Date.parse(/GMT$/.test(trimmed) ? trimmed : `${trimmed} GMT`);
  return Number.isNaN(time) ? undefined : time;
}

/** `W/"abc.gzip"` → `abc`; anything that is not a quoted tag → undefined. */
function opaqueTag(tag: string): string | undefined {
  const match = /^(?:W\/)?"([^"]*)"$/.exec(tag);
  return match?.[1]?.replace(/\.(?:gzip|br)$/, '');
}
