/**
 * Conditional GET (RFC 9110 §13). If-None-Match wins over If-Modified-Since when both are sent.
 * ETags are compared weakly (§8.8.3.2), and the coding suffix is ignored: every coding of a file
 * has the same content, so a reader that cached the gzip variant is still up to date.
 */
export interface Validators {
  /** The content hash inside the ETag quotes. */
  readonly hash: string;
  readonly lastModified: Date;
}

export interface ConditionalHeaders {
  readonly ifNoneMatch?: string;
  readonly ifModifiedSince?: string;
}

export function isNotModified({ ifNoneMatch, ifModifiedSince }: ConditionalHeaders, validators: Validators): boolean {
  if (ifNoneMatch !== undefined) {
    return ifNoneMatch
      .split(',')
      .map((tag) => tag.trim())
      .some((tag) => tag === '*' || opaqueTag(tag) === validators.hash);
  }
  if (ifModifiedSince !== undefined) {
    const since = parseHttpDate(ifModifiedSince);
    // A value that is not an HTTP-date is ignored (§13.1.3); HTTP dates have whole seconds.
    return since !== undefined && Math.floor(validators.lastModified.getTime() / 1000) * 1000 <= since;
  }
  return false;
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
