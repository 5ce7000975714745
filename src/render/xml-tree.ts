import { xml2js, type Element } from 'xml-js';
import { stripXmlUnsafeCharacters } from '../content/plain-text.js';

/**
 * A small ordered XML tree (xml-js's non-compact shape) and a serializer that escapes correctly.
 * xml-js's own writer escapes only `"` in attributes, turns a literal `&amp;` in text into `&`,
 * and splits only the first `]]>` of a CDATA section; this one does none of that.
 */
export type XmlElement = Element;

export type XmlAttributes = Record<string, string | number | undefined>;

/** Parses a document written by `feed` (well-formed by construction) into a tree. */
export function parseXml(xml: string): XmlElement {
  return xml2js(xml, { compact: false, captureSpacesBetweenElements: false }) as XmlElement;
}

/** An element with attributes (undefined ones are left out) and children. */
export function xmlElement(name: string, attributes: XmlAttributes = {}, children: XmlElement[] = []): XmlElement {
  const defined: Record<string, string> = {};
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined) defined[key] = String(value);
  return { type: 'element', name, attributes: defined, elements: children };
}

/** `<name>text</name>`. */
export function xmlTextElement(name: string, text: string, attributes: XmlAttributes = {}): XmlElement {
  return xmlElement(name, attributes, [{ type: 'text', text }]);
}

/** The element children of `parent` named `name`. */
export function childElements(parent: XmlElement, name: string): XmlElement[] {
  return (parent.elements ?? []).filter((child) => child.type === 'element' && child.name === name);
}

export function firstChild(parent: XmlElement, name: string): XmlElement {
  const child = childElements(parent, name)[0];
  if (!child) throw new Error(`expected a <${name}> inside <${parent.name ?? 'document'}>`);
  return child;
}

/** Inserts `children` before the first child named `before` (or at the end when there is none). */
export function insertChildren(parent: XmlElement, children: XmlElement[], before?: string): void {
  const list = (parent.elements ??= []);
  const index = before === undefined ? -1 : list.findIndex((child) => child.type === 'element' && child.name === before);
  list.splice(index === -1 ? list.length : index, 0, ...children);
}

/** Text that needs no escaping in content or attributes: most titles, URLs and dates. */
const NEEDS_NO_ESCAPING = /^[\x20-\x21\x23-\x25\x27-\x3B\x3D\x3F-\x7E]*$/;

export function escapeXmlText(text: string): string {
  if (NEEDS_NO_ESCAPING.test(text)) return text;
  return stripXmlUnsafeCharacters(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Attribute values also escape quotes and keep tab/newline from being normalised to spaces. */
export function escapeXmlAttribute(text: string): string {
  if (NEEDS_NO_ESCAPING.test(text)) return text;
  return escapeXmlText(text).replace(/"/g, '&quot;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
}

/** CDATA cannot contain `]]>`: every occurrence is split across two sections. */
function cdata(text: string): string {
  return `<![CDATA[${stripXmlUnsafeCharacters(text).replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}

function attributes(element: XmlElement): string {
  return Object.entries(element.attributes ?? {})
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => ` ${key}="${escapeXmlAttribute(String(value))}"`)
    .join('');
}

function serializeNode(node: XmlElement, indent: string): string {
  switch (node.type) {
    case 'text':
      return escapeXmlText(String(node.text ?? ''));
    case 'cdata':
      return cdata(String(node.cdata ?? ''));
    case 'instruction':
      return `<?${node.name} ${String(node.instruction ?? '')}?>`;
    case 'comment':
      return '';
    default: {
      const children = node.elements ?? [];
      const open = `<${node.name}${attributes(node)}`;
      if (children.length === 0) return `${open}/>`;
      if (children.every((child) => child.type === 'text' || child.type === 'cdata')) {
        return `${open}>${children.map((child) => serializeNode(child, '')).join('')}</${node.name}>`;
      }
      const inner = `${indent}  `;
      const body = children.map((child) => `\n${inner}${serializeNode(child, inner)}`).join('');
      return `${open}>${body}\n${indent}</${node.name}>`;
    }
  }
}

/** One element and its children, as written inside a document at the given indentation. */
export function serializeElement(element: XmlElement, indent = ''): string {
  return serializeNode(element, indent);
}

/** Writes a document: the UTF-8 declaration, processing instructions, then the root element. */
export function serializeXml(document: XmlElement): string {
  const nodes = (document.elements ?? []).map((node) => serializeNode(node, ''));
  return `<?xml version="1.0" encoding="utf-8"?>\n${nodes.join('\n')}\n`;
}
