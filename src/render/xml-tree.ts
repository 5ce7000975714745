import { cdata, escapeXmlAttribute, escapeXmlText } from './escape.js';

/**
 * A small ordered XML tree and a serializer that escapes correctly (escape.ts), for the
 * documents that are not feeds (OPML). Feed documents are written as text from their fragments.
 */
export interface XmlElement {
  readonly type?: 'element' | 'text' | 'cdata' | 'instruction';
  readonly name?: string;
  readonly attributes?: Readonly<Record<string, string>>;
  readonly elements?: readonly XmlElement[];
  readonly text?: string;
  readonly cdata?: string;
  readonly instruction?: string;
}

export type XmlAttributes = Record<string, string | number | undefined>;

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

function attributes(element: XmlElement): string {
  return Object.entries(element.attributes ?? {})
    .map(([key, value]) => ` ${key}="${escapeXmlAttribute(value)}"`)
    .join('');
}

function serializeNode(node: XmlElement, indent: string): string {
  switch (node.type) {
    case 'text':
      return escapeXmlText(node.text ?? '');
    case 'cdata':
      return cdata(node.cdata ?? '');
    case 'instruction':
      return `<?${node.name} ${node.instruction ?? ''}?>`;
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

/** Writes a document: the UTF-8 declaration, processing instructions, then the root element. */
export function serializeXml(document: XmlElement): string {
  const nodes = (document.elements ?? []).map((node) => serializeNode(node, ''));
  return `<?xml version="1.0" encoding="utf-8"?>\n${nodes.join('\n')}\n`;
}
