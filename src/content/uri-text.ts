/**
 * Characters a URI may hold outside its host (RFC 3986 §2: unreserved, reserved but `[` and `]`,
 * and `%`), as the W3C Feed Validator checks them. WHATWG URL, which normalises every URL here,
 * leaves `[ ] | ^ { } \` `` ` `` in paths and queries, and `%` without two hex digits, as they are.
 */
const URI_CHARACTER = /[A-Za-z0-9\-._~:/?#@!$&'()*+,;=]/;
const HEX = /^[0-9A-Fa-f]{2}$/;
/** Only URI characters but `%`, `[` and `]`, and at most one `#`: a URI that toUriText returns as it is. */
const PLAIN_URI = /^[A-Za-z0-9\-._~:/?@!$&'()*+,;=]*(?:#[A-Za-z0-9\-._~:/?@!$&'()*+,;=]*)?$/;
/** `scheme://authority` at the start: left as it is (a host may hold `[` and `]`: `http://[::1]/`). */
const SCHEME_AND_AUTHORITY = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/;

/**
 * `value` with every character a URI may not contain percent-encoded (as UTF-8): `[`, `]`, `<`,
 * `|`, non-ASCII…, a `%` not followed by two hex digits, and a second `#`. A valid URI is
 * returned unchanged.
 */
export function toUriText(value: string): string {
  // What WHATWG URL leaves of nearly every URL: nothing to encode.
  if (PLAIN_URI.test(value)) return value;
  const authority = SCHEME_AND_AUTHORITY.exec(value)?.[0] ?? '';
  let text = authority;
  let fragment = false;
  for (let index = authority.length; index < value.length; index++) {
    const character = value[index]!;
    if (character === '%') {
      text += HEX.test(value.slice(index + 1, index + 3)) ? '%' : '%25';
    } else if (character === '#') {
      text += fragment ? '%23' : '#';
      fragment = true;
    } else if (URI_CHARACTER.test(character)) {
      text += character;
    } else {
      const point = value.codePointAt(index)!;
      const whole = String.fromCodePoint(point);
      // A lone surrogate cannot be encoded as UTF-8: it is dropped (XML forbids it anyway).
      text += whole.length === 2 || !/[\uD800-\uDFFF]/.test(whole) ? encodeURIComponent(whole) : '';
      index += whole.length - 1;
    }
  }
  return text;
}
