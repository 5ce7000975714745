import { stripXmlUnsafeCharacters } from '../content/plain-text.js';

/**
 * Escaping for the documents this service writes. Every renderer goes through these
 * functions; none of them is given to `feed` or xml-js (see feed-package-fixes.ts for why).
 */

/** Text that needs no escaping in content or attributes: most titles, URLs and dates. */
const NEEDS_NO_ESCAPING = /^[\x20-\x21\x23-\x25\x27-\x3B\x3D\x3F-\x7E]*$/;

/**
 * Plain text (a title, a name, a description) in XML element content: XML-forbidden characters
 * removed, `&`, `<` and `>` written as hexadecimal character references (`&#x26;`, `&#x3C;`,
 * `&#x3E;`). The RSS Advisory Board's profile asks for these in plain text, and the W3C Feed
 * Validator takes text without them for double-encoded HTML ("Encode "&" and "<" in plain text
 * using hexadecimal character references"; "title should not contain HTML" for the text
 * `Fish &amp; Chips`). Readers decode them like any XML, and @rowanmanning/feed-parser, whose XML
 * parser leaves character references as they are, decodes the text of these elements as HTML.
 */
export function escapeXmlText(text: string): string {
  if (NEEDS_NO_ESCAPING.test(text)) return text;
  return stripXmlUnsafeCharacters(text).replace(/&/g, '&#x26;').replace(/</g, '&#x3C;').replace(/>/g, '&#x3E;');
}

/**
 * A URL, an id or a date in XML element content: `&`, `<` and `>` as XML's named entities, which
 * every XML parser decodes (fast-xml-parser 5, under @rowanmanning/feed-parser, decodes no
 * character reference, and that parser reads links and ids as they come).
 */
export function escapeXmlValue(text: string): string {
  if (NEEDS_NO_ESCAPING.test(text)) return text;
  return stripXmlUnsafeCharacters(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Attribute values, with XML's named entities like escapeXmlValue (readers take URLs and labels from
 * attributes as their XML parser gives them), also escape quotes and keep tab/newline from being
 * normalised to spaces.
 */
export function escapeXmlAttribute(text: string): string {
  if (NEEDS_NO_ESCAPING.test(text)) return text;
  return escapeXmlValue(text).replace(/"/g, '&quot;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
}

/** A CDATA section. CDATA cannot contain `]]>`: every occurrence is split across two sections. */
export function cdata(text: string): string {
  return `<![CDATA[${stripXmlUnsafeCharacters(text).replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for use inside HTML or XML, in element content and in quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character] ?? character);
}
