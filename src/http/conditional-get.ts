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
    const since = Date.parse(ifModifiedSince);
    // An unparsable date is ignored (§13.1.3); HTTP dates have whole seconds.
    return !Number.isNaN(since) && Math.floor(validators.lastModified.getTime() / 1000) * 1000 <= since;
  }
  return false;
}

/** `W/"abc.gzip"` → `abc`; anything that is not a quoted tag → undefined. */
function opaqueTag(tag: string): string | undefined {
  const match = /^(?:W\/)?"([^"]*)"$/.exec(tag);
  return match?.[1]?.replace(/\.(?:gzip|br)$/, '');
}
