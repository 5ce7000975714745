import { stripXmlUnsafeCharacters } from '../content/plain-text.js';

/**
 * Escaping for the documents this service writes. Every renderer goes through these four
 * functions; none of them is given to `feed` or xml-js (see feed-package-fixes.ts for why).
 */

/** Text that needs no escaping in content or attributes: most titles, URLs and dates. */
const NEEDS_NO_ESCAPING = /^[\x20-\x21\x23-\x25\x27-\x3B\x3D\x3F-\x7E]*$/;

/** XML element content: XML-forbidden characters removed, `&`, `<` and `>` escaped. */
export function escapeXmlText(text: string): string {
  if (NEEDS_NO_ESCAPING.test(text)) return text;
  return stripXmlUnsafeCharacters(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Attribute values also escape quotes and keep tab/newline from being normalised to spaces. */
export function escapeXmlAttribute(text: string): string {
  if (NEEDS_NO_ESCAPING.test(text)) return text;
  return escapeXmlText(text).replace(/"/g, '&quot;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
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
