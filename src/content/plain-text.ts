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
