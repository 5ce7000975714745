import { XMLParser, XMLValidator } from 'fast-xml-parser';

/**
 * An XML parser nobody on this project wrote (fast-xml-parser), for reading what the service
 * produced. Elements that may repeat are always arrays; attributes are `@_name`.
 */
const REPEATED = new Set(['item', 'entry', 'category', 'link', 'atom:link', 'enclosure', 'author', 'outline']);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  // XML's five named entities and character references (`&#x26;`, `&#38;`), as every XML parser
  // reads them: fast-xml-parser 5 decodes character references only with `htmlEntities` set, and
  // `true` would also decode HTML's named entities (`&nbsp;`), which XML does not define. An object
  // names the entities to decode (src/xmlparser/OrderedObjParser.js), though the types say boolean.
  htmlEntities: { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as unknown as boolean,
  isArray: (name) => REPEATED.has(name),
});

export type XmlNode = Record<string, any>;

/** Parses a document, failing with the validator's message when it is not well-formed XML. */
export function parseXmlDocument(xml: string): XmlNode {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new Error(`not well-formed XML: ${JSON.stringify(valid.err)}`);
  return parser.parse(xml) as XmlNode;
}

/** An element's text whether the parser gave a string or {#text, @_attr}. */
export function textOf(node: unknown): string | undefined {
  if (node === undefined || node === null) return undefined;
  if (typeof node === 'string') return node;
  if (typeof node === 'object' && '#text' in node) return String((node as { '#text': unknown })['#text']);
  return '';
}

/** An element that may be absent, once or repeated (the parser gives undefined, a node or an array), as a list. */
export function listOf(node: unknown): XmlNode[] {
  if (node === undefined || node === null) return [];
  return Array.isArray(node) ? node : [node as XmlNode];
}
