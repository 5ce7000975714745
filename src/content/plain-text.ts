/**
 * Characters XML 1.0 forbids (§2.2 Char): C0 controls other than tab, LF and CR, the
 * non-characters U+FFFE/U+FFFF, and unpaired UTF-16 surrogates. The C1 controls (U+007F–U+009F)
 * are allowed but "discouraged" and never meant as text, so they go too. `feed` and xml-js pass
 * all of these straight through, which makes the whole document unparsable.
 */
const XML_UNSAFE_CHARACTERS =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Removes every character that may not appear in an XML document. */
export function stripXmlUnsafeCharacters(text: string): string {
  return text.replace(XML_UNSAFE_CHARACTERS, '');
}

/**
 * Turns a front-matter string into one line of clean plain text: no XML-unsafe characters,
 * Unicode NFC, runs of white space (including newlines from folded YAML) collapsed, trimmed.
 */
export function toPlainText(text: string): string {
  // Fast path: printable ASCII with single spaces and no edge spaces is already plain text.
  if (PLAIN_ASCII.test(text)) return text;
  return stripXmlUnsafeCharacters(text).normalize('NFC').replace(/\s+/g, ' ').trim();
}

const PLAIN_ASCII = /^(?:[\x21-\x7E]+(?: [\x21-\x7E]+)*)?$/;

/**
 * The HTML elements (WHATWG, and the obsolete ones readers and the W3C Feed Validator still know).
 * A plain-text field holding one of their end tags is taken for HTML by readers (Universal Feed
 * Parser's "looks like HTML" test) and by the validator ("title should not contain HTML"), and
 * each reader then shows it differently: as markup, stripped, or as literal tags.
 */
const HTML_ELEMENTS: ReadonlySet<string> = new Set(
  (
    'a abbr acronym address applet area article aside audio b base basefont bdi bdo big blockquote body br button canvas caption ' +
    'center cite code col colgroup command data datagrid datalist dd del details dfn dialog dir div dl dt em embed eventsource ' +
    'fieldset figcaption figure font footer form frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html i iframe img input ' +
    'ins isindex kbd keygen label legend li link listing m main map mark marquee menu meta meter nav nobr noframes noscript ' +
    'object ol optgroup option output p param picture plaintext pre progress q rp rt ruby s samp script search section select ' +
    'slot small source span strike strong style sub summary sup svg math table tbody td template textarea tfoot th thead time ' +
    'title tr track tt u ul var video wbr xmp'
  ).split(' '),
);

/** A script or style element with its text (to its end tag, or to the end of the text). */
const RAW_TEXT_ELEMENT = /<(script|style)\b[^>]*>[\s\S]*?(?:<\/\1\s*>|$)/gi;
/** A start, end or empty-element tag: `<b>`, `</b>`, `<br/>`, `<a href="x">`. */
const TAG = /<\/?([A-Za-z][A-Za-z0-9-]*)(?:\s[^<>]*)?\/?>/g;

/**
 * Removes the tags of HTML elements from a title or a name (and script and style elements with
 * their text), so `<b>Bold</b> claims` is written as `Bold claims` in every format. Anything else
 * that merely looks like markup stays as typed: `1 < 2 > 0`, `R&D <Lab>`, `Fish &amp; Chips`.
 */
export function withoutHtmlTags(text: string): string {
  if (!text.includes('<')) return text;
  return text.replace(RAW_TEXT_ELEMENT, '').replace(TAG, (tag, name: string) => (HTML_ELEMENTS.has(name.toLowerCase()) ? '' : tag));
}

/** A title or a name as plain text: HTML tags removed, then cleaned like toPlainText. */
export function toPlainName(text: string): string {
  return toPlainText(withoutHtmlTags(text));
}
