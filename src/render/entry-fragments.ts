/**
 * One article's entry, rendered once per format as the exact text it has inside every document
 * that holds it (a topic feed, all, its provider, its category, their archive pages). Documents
 * are then written by splicing these fragments between a head and a tail (render-document.ts):
 * nothing is rendered twice, and no document is parsed back.
 *
 * The XML is written here rather than by `feed`: `feed` renders every entry again for every
 * document it is in, and nearly every element it writes for an entry needed correcting anyway
 * (plain-text titles, guid isPermaLink, dc:creator, category terms, enclosure types) or was
 * missing (Media RSS, related links). See feed-package-fixes.ts for the document heads.
 *
 * An article's AMP URL is in JSON Feed only (`_syndication.amp_url`): `amphtml` is no registered
 * link relation (RFC 4287 §4.2.7.2 wants a registered name or an IRI, and the W3C Feed Validator
 * reports "Unregistered link relationship"), no IRI for it exists, and no reader uses it.
 */
import { renderPageEntry } from './browser-view.js';
import { cdata, escapeHtml, escapeXmlAttribute, escapeXmlText, escapeXmlValue } from './escape.js';
import type { FeedEntry } from '../feeds/feed-model.js';

/** An entry's text in each format; `html` is its article on the plain HTML page. */
export interface EntryFragments {
  readonly rss: string;
  readonly atom: string;
  readonly json: string;
  readonly html: string;
}

/** The indentation of an RSS item inside `<channel>`, and of an Atom entry inside `<feed>`. */
export const RSS_ITEM_INDENT = '    ';
export const ATOM_ENTRY_INDENT = '  ';
/** A JSON Feed item inside `"items": [`. */
export const JSON_ITEM_INDENT = '    ';

export function renderEntryFragments(entry: FeedEntry): EntryFragments {
  return { rss: rssItem(entry), atom: atomEntry(entry), json: jsonFeedItemText(entry), html: renderPageEntry(entry) };
}

type Attributes = readonly (readonly [string, string | number | undefined])[];

function attributes(list: Attributes): string {
  let text = '';
  for (const [name, value] of list) if (value !== undefined) text += ` ${name}="${escapeXmlAttribute(String(value))}"`;
  return text;
}

/** `<name a="…"/>` */
function empty(name: string, list: Attributes): string {
  return `<${name}${attributes(list)}/>`;
}

/** `<name>text</name>`: plain text, escaped as the RSS profile asks (escape.ts). */
function text(name: string, value: string, list: Attributes = []): string {
  return `<${name}${attributes(list)}>${escapeXmlText(value)}</${name}>`;
}

/** `<name>value</name>`: a URL, an id or a date, escaped with XML's named entities (escape.ts). */
function value(name: string, content: string, list: Attributes = []): string {
  return `<${name}${attributes(list)}>${escapeXmlValue(content)}</${name}>`;
}

/** `<name><![CDATA[…]]></name>` */
function cdataText(name: string, value: string, list: Attributes = []): string {
  return `<${name}${attributes(list)}>${cdata(value)}</${name}>`;
}

/** An element holding other elements, each on its own line one level deeper than `indent`. */
function parent(name: string, list: Attributes, children: readonly string[], indent: string): string {
  if (children.length === 0) return empty(name, list);
  const inner = `\n${indent}  `;
  return `<${name}${attributes(list)}>${inner}${children.join(inner)}\n${indent}</${name}>`;
}

/**
 * Media RSS for every image (readers such as Feedly show these), in RSS and Atom alike: each as
 * media:content with its size and title, the first also as media:thumbnail.
 */
function mediaElements(entry: FeedEntry, indent: string): string[] {
  const elements = entry.images.map((image) =>
    parent(
      'media:content',
      [['url', image.url], ['medium', 'image'], ['type', image.type], ['width', image.width], ['height', image.height]],
      image.title ? [text('media:title', image.title, [['type', 'plain']])] : [],
      indent,
    ),
  );
  const [first] = entry.images;
  if (first) elements.push(empty('media:thumbnail', [['url', first.url], ['width', first.width], ['height', first.height]]));
  return elements;
}

/** An RSS 2.0 item: guid isPermaLink only when the id is the link; provider as dc:creator. */
export function rssItem(entry: FeedEntry): string {
  const indent = `${RSS_ITEM_INDENT}  `;
  const children = [
    text('title', entry.title),
    value('link', entry.link),
    value('guid', entry.id, [['isPermaLink', String(entry.id === entry.link)]]),
    value('pubDate', entry.published.toUTCString()),
  ];
  // <description> is HTML: the plain excerpt is escaped. Without an excerpt the content is the
  // description, as in plain RSS 2.0: content:encoded alone is a finding of the W3C Feed Validator
  // ("Ensure description precedes content:encoded", after the RSS Advisory Board's profile), and
  // writing the content twice would double the item.
  if (entry.summary !== undefined) children.push(cdataText('description', escapeHtml(entry.summary)));
  if (entry.contentHtml) children.push(cdataText(entry.summary === undefined ? 'description' : 'content:encoded', entry.contentHtml));
  // RSS reserves <author> for an e-mail address.
  if (entry.author) {
    children.push(text('dc:creator', entry.author.name));
    // The provider also published the article.
    children.push(text('dc:publisher', entry.author.name));
    // RSS 2.0's <source>: the channel the item came from, here this service's feed of the provider.
    if (entry.author.feedUrl) children.push(text('source', entry.author.name, [['url', entry.author.feedUrl]]));
  }
  for (const category of entry.categories) children.push(text('category', category.label));
  // A real MIME type (`feed` guesses image/jpg or image//th from the URL); RSS allows one enclosure.
  const [image] = entry.images;
  if (image) children.push(empty('enclosure', [['url', image.url], ['length', 0], ['type', image.type]]));
  for (const related of entry.related) children.push(empty('atom:link', [['rel', 'related'], ['href', related.url], ['title', related.title]]));
  children.push(...mediaElements(entry, indent));
  return parent('item', [], children, RSS_ITEM_INDENT);
}

/** An Atom entry: plain-text title, categories with a term, enclosures with real types. */
export function atomEntry(entry: FeedEntry): string {
  const indent = `${ATOM_ENTRY_INDENT}  `;
  const children = [
    text('title', entry.title, [['type', 'text']]),
    value('id', entry.id),
    empty('link', [['href', entry.link]]),
    value('updated', entry.updated.toISOString()),
  ];
  if (entry.author) {
    const author = [text('name', entry.author.name), ...(entry.author.url ? [value('uri', entry.author.url)] : [])];
    children.push(parent('author', [], author, indent));
  }
  for (const category of entry.categories) children.push(empty('category', [['term', category.term], ['label', category.label]]));
  for (const image of entry.images) children.push(empty('link', [['rel', 'enclosure'], ['href', image.url], ['type', image.type], ['title', image.title]]));
  for (const related of entry.related) children.push(empty('link', [['rel', 'related'], ['href', related.url], ['title', related.title]]));
  children.push(...mediaElements(entry, indent));
  if (entry.summary !== undefined) children.push(cdataText('summary', escapeHtml(entry.summary), [['type', 'html']]));
  // An entry with neither excerpt nor body would have no text at all: readers (and the W3C Feed
  // Validator, "Missing textual content") want some, so its title is its summary, as JSON Feed's
  // content_text is.
  else if (!entry.contentHtml) children.push(text('summary', entry.title, [['type', 'text']]));
  if (entry.contentHtml) children.push(cdataText('content', entry.contentHtml, [['type', 'html']]));
  children.push(value('published', entry.published.toISOString()));
  return parent('entry', [], children, ATOM_ENTRY_INDENT);
}

/** A JSON Feed 1.1 item: `authors`, a plain summary, content on every item, images as attachments. */
export function jsonFeedItem(entry: FeedEntry): Record<string, unknown> {
  return {
    id: entry.id,
    url: entry.link,
    title: entry.title,
    date_modified: entry.updated.toISOString(),
    date_published: entry.published.toISOString(),
    summary: entry.summary,
    // 1.1 requires content_html or content_text on every item.
    ...(entry.contentHtml ? { content_html: entry.contentHtml } : { content_text: entry.summary ?? entry.title }),
    image: entry.images[0]?.url,
    authors: entry.author ? [{ name: entry.author.name, url: entry.author.url }] : undefined,
    tags: entry.categories.length ? entry.categories.map((category) => category.label) : undefined,
    attachments: entry.images.length
      ? entry.images.map((image) => ({ url: image.url, mime_type: image.type, title: image.title }))
      : undefined,
    _syndication:
      entry.ampUrl || entry.related.length
        ? { amp_url: entry.ampUrl, related: entry.related.length ? entry.related : undefined }
        : undefined,
  };
}

/** The item as it stands in a document's `items` list: two-space JSON, indented to its place. */
function jsonFeedItemText(entry: FeedEntry): string {
  return JSON.stringify(jsonFeedItem(entry), null, 2).replaceAll('\n', `\n${JSON_ITEM_INDENT}`);
}
