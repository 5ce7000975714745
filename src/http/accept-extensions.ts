/**
 * An Accept header's tokens: a quoted string (whose `,` and `;` separate nothing; an unclosed one
 * runs to the end), a separator, or a run of anything else. Joined, they are the header again.
 */
const TOKENS = /"(?:[^"\\]|\\.)*"?|[,;]|[^,;"]+/g;

/** The weight parameter, whose name is case-insensitive like every parameter name's. */
const WEIGHT = /^[ \t]*q[ \t]*=/i;

/**
 * An Accept header with each media range's parameters after its weight removed. The weight `q`
 * separates the media type's parameters before it from accept-extension parameters after it
 * (RFC 9110 §12.5.1, RFC 7231 §5.3.2's accept-ext), which name nothing about the type; Negotiator
 * reads every parameter as the type's, so `application/rss+xml; q=0.5; type=feed` would match no
 * offered type. A range without a weight is kept as it is: its parameters are all the type's.
 */
export function withoutAcceptExtensions(accept: string): string {
  return splitOutsideQuotes(accept, ',').map(withoutExtensions).join(',');
}

/** One media range, cut after its weight. */
function withoutExtensions(range: string): string {
  const parameters = splitOutsideQuotes(range, ';');
  const weight = parameters.findIndex((parameter, index) => index > 0 && WEIGHT.test(parameter));
  return weight === -1 ? range : parameters.slice(0, weight + 1).join(';');
}

/** `text` split at each `separator` that is not inside a quoted string. */
function splitOutsideQuotes(text: string, separator: ',' | ';'): string[] {
  const parts = [''];
  for (const token of text.match(TOKENS) ?? []) {
    if (token === separator) parts.push('');
    else parts[parts.length - 1] += token;
  }
  return parts;
}
