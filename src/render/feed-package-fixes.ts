/**
 * The one place that corrects and extends what the `feed` package (6.0.0) writes. Each fix names
 * the pitfall it answers (see ../shared/STYLE.md, "library facts"); each has a test in
 * test/render/feed-package-fixes.test.ts.
 *
 * `feed` is given only what it writes correctly (ids, links, dates, titles, HTML summary and
 * content). Everything carrying free text in attributes, or that `feed` cannot express, is added
 * here from the FeedDocument: authors, categories, images, related and AMP links, the alternate
 * links between formats. The XML is then written by xml-tree.ts, which escapes attributes and text
 * correctly and splits every `]]>` in CDATA.
 */
import type { FeedDocument, FeedEntry } from '../feeds/feed-model.js';
import { FEED_FORMATS } from './feed-formats.js';
import { escapeHtml } from '../content/plain-text.js';
import {
  firstChild,
  insertChildren,
  parseXml,
  serializeElement,
  serializeXml,
  xmlElement,
  xmlTextElement,
  type XmlElement,
} from './xml-tree.js';

const NS = {
  atom: 'http://www.w3.org/2005/Atom',
  content: 'http://purl.org/rss/1.0/modules/content/',
  dc: 'http://purl.org/dc/elements/1.1/',
  media: 'http://search.yahoo.com/mrss/',
  fh: 'http://purl.org/syndication/history/1.0',
  at: 'http://purl.org/atompub/tombstones/1.0',
} as const;

/**
 * Links every format shares, as [rel, type, href]: the other formats and the HTML page, the
 * WebSub hub, and RFC 5005 paging (current / prev-archive / next-archive).
 */
function documentLinks(document: FeedDocument, self: keyof typeof FEED_FORMATS): [string, string | undefined, string][] {
  const links: [string, string | undefined, string][] = [];
  for (const format of ['rss', 'atom', 'json'] as const) {
    if (format !== self) links.push(['alternate', mediaType(FEED_FORMATS[format].contentType), document.urls[format]]);
  }
  links.push(['alternate', 'text/html', document.urls.html]);
  if (document.hubUrl) links.push(['hub', undefined, document.hubUrl]);
  if (document.archive) links.push(['current', mediaType(FEED_FORMATS[self].contentType), document.archive.current[self]]);
  if (document.prevArchive) links.push(['prev-archive', mediaType(FEED_FORMATS[self].contentType), document.prevArchive[self]]);
  if (document.nextArchive) links.push(['next-archive', mediaType(FEED_FORMATS[self].contentType), document.nextArchive[self]]);
  return links;
}

/** `<fh:archive/>` marks an RFC 5005 archive document, which readers fetch once. */
function archiveMarker(document: FeedDocument): XmlElement[] {
  return document.archive ? [xmlElement('fh:archive')] : [];
}

/**
 * Media RSS for every image (readers such as Feedly show these), in RSS and Atom alike: each as
 * media:content with its size and title, the first also as media:thumbnail.
 */
function mediaElements(entry: FeedEntry): XmlElement[] {
  const elements = entry.images.map((image) =>
    xmlElement('media:content', { url: image.url, medium: 'image', type: image.type, width: image.width, height: image.height }, [
      ...(image.title ? [xmlTextElement('media:title', image.title, { type: 'plain' })] : []),
    ]),
  );
  const [first] = entry.images;
  if (first) elements.push(xmlElement('media:thumbnail', { url: first.url, width: first.width, height: first.height }));
  return elements;
}

export const JSON_FEED_VERSION = 'https://jsonfeed.org/version/1.1';

function mediaType(contentType: string): string {
  return contentType.split(';')[0]!.trim();
}

/** Replaces an element's children with one text node (xml-js turned a literal `&amp;` into `&`). */
function setText(element: XmlElement, text: string): void {
  element.elements = [{ type: 'text', text }];
}


// ---------------------------------------------------------------- entries

/**
 * Entries are rendered here, once per entry and format, not by `feed`: `feed` renders every
 * entry again for every document it appears in (an article is in 4–5 documents: all, its topics,
 * its provider, its category, and their archive pages), and nearly every element of its entry
 * output needed correcting anyway (titles, guid, author, categories, enclosure types) or was
 * missing (Media RSS, related and AMP links). `feed` still writes each document's head, which
 * the functions below correct, and the entries are spliced in. Measured before this change:
 * ~25 ms per document, so a cold build with archives at 100k articles took over 280 s.
 */
const fragments = new WeakMap<FeedEntry, { rss: string; atom: string; json: string }>();

function entryFragments(entry: FeedEntry): { rss: string; atom: string; json: string } {
  let cached = fragments.get(entry);
  if (!cached) {
    cached = {
      rss: serializeElement(rssItem(entry), '    '),
      atom: serializeElement(atomEntry(entry), '  '),
      json: JSON.stringify(jsonFeedItem(entry), null, 2).replaceAll('\n', '\n    '),
    };
    fragments.set(entry, cached);
  }
  return cached;
}

function cdataElement(name: string, text: string, attributes: Record<string, string> = {}): XmlElement {
  return xmlElement(name, attributes, [{ type: 'cdata', cdata: text }]);
}

/** An RSS 2.0 item: guid isPermaLink only when the id is the link; provider as dc:creator. */
export function rssItem(entry: FeedEntry): XmlElement {
  const children: XmlElement[] = [
    xmlTextElement('title', entry.title),
    xmlTextElement('link', entry.link),
    xmlTextElement('guid', entry.id, { isPermaLink: String(entry.id === entry.link) }),
    xmlTextElement('pubDate', entry.published.toUTCString()),
  ];
  // <description> is HTML: the plain excerpt is escaped.
  if (entry.summary !== undefined) children.push(cdataElement('description', escapeHtml(entry.summary)));
  if (entry.contentHtml) children.push(cdataElement('content:encoded', entry.contentHtml));
  // RSS reserves <author> for an e-mail address.
  if (entry.author) {
    children.push(xmlTextElement('dc:creator', entry.author.name));
    // The provider also published the article (RSS <source> would need the provider's own feed URL).
    children.push(xmlTextElement('dc:publisher', entry.author.name));
  }
  for (const category of entry.categories) children.push(xmlTextElement('category', category.label));
  // A real MIME type (`feed` guesses image/jpg or image//th from the URL); RSS allows one enclosure.
  const [image] = entry.images;
  if (image) children.push(xmlElement('enclosure', { url: image.url, length: 0, type: image.type }));
  for (const related of entry.related) children.push(xmlElement('atom:link', { rel: 'related', href: related.url, title: related.title }));
  if (entry.ampUrl) children.push(xmlElement('atom:link', { rel: 'amphtml', href: entry.ampUrl, type: 'text/html' }));
  children.push(...mediaElements(entry));
  return xmlElement('item', {}, children);
}

/** An Atom entry: plain-text title, categories with a term, enclosures with real types. */
export function atomEntry(entry: FeedEntry): XmlElement {
  const children: XmlElement[] = [
    xmlTextElement('title', entry.title, { type: 'text' }),
    xmlTextElement('id', entry.id),
    xmlElement('link', { href: entry.link }),
    xmlTextElement('updated', entry.updated.toISOString()),
  ];
  if (entry.author) {
    children.push(
      xmlElement('author', {}, [xmlTextElement('name', entry.author.name), ...(entry.author.url ? [xmlTextElement('uri', entry.author.url)] : [])]),
    );
  }
  for (const category of entry.categories) children.push(xmlElement('category', { term: category.term, label: category.label }));
  for (const image of entry.images) children.push(xmlElement('link', { rel: 'enclosure', href: image.url, type: image.type, title: image.title }));
  for (const related of entry.related) children.push(xmlElement('link', { rel: 'related', href: related.url, title: related.title }));
  if (entry.ampUrl) children.push(xmlElement('link', { rel: 'amphtml', type: 'text/html', href: entry.ampUrl }));
  children.push(...mediaElements(entry));
  if (entry.summary !== undefined) children.push(cdataElement('summary', escapeHtml(entry.summary), { type: 'html' }));
  if (entry.contentHtml) children.push(cdataElement('content', entry.contentHtml, { type: 'html' }));
  children.push(xmlTextElement('published', entry.published.toISOString()));
  return xmlElement('entry', {}, children);
}

/** Inserts rendered entries before `closing` (the last occurrence) in a serialized document. */
function spliceEntries(xml: string, closing: string, entries: readonly string[], indent: string): string {
  const at = xml.lastIndexOf(closing);
  if (at === -1) throw new Error(`no ${closing.trim()} in the rendered document`);
  return entries.length === 0 ? xml : `${xml.slice(0, at)}${entries.map((entry) => `\n${indent}${entry}`).join('')}${xml.slice(at)}`;
}

// ---------------------------------------------------------------- RSS 2.0

/** Corrects the channel `feed` wrote (no items), then adds the document's items. */
export function fixRss(xml: string, document: FeedDocument): string {
  const tree = parseXml(xml);
  const rss = firstChild(tree, 'rss');
  // `feed` declares xmlns:dc only when an item has content; dc:creator needs it always.
  rss.attributes = {
    version: '2.0',
    'xmlns:atom': NS.atom,
    'xmlns:content': NS.content,
    'xmlns:dc': NS.dc,
    'xmlns:media': NS.media,
    'xmlns:fh': NS.fh,
  };
  const channel = firstChild(rss, 'channel');
  setText(firstChild(channel, 'title'), document.title);
  setText(firstChild(channel, 'description'), document.description);
  // The self link comes from feedLinks.rss; the rest are added here.
  insertChildren(channel, [
    ...documentLinks(document, 'rss').map(([rel, type, href]) => xmlElement('atom:link', { href, rel, type })),
    ...archiveMarker(document),
  ]);
  return spliceEntries(serializeXml(tree), '\n  </channel>', document.entries.map((entry) => entryFragments(entry).rss), '    ');
}

// ---------------------------------------------------------------- Atom 1.0

/** Corrects the feed head `feed` wrote (no entries), then adds deletions and entries. */
export function fixAtom(xml: string, document: FeedDocument): string {
  const tree = parseXml(xml);
  const feed = firstChild(tree, 'feed');
  feed.attributes = { xmlns: NS.atom, 'xmlns:media': NS.media, 'xmlns:fh': NS.fh, 'xmlns:at': NS.at, 'xml:lang': document.language };
  setText(firstChild(feed, 'title'), document.title);
  setText(firstChild(feed, 'subtitle'), document.description);
  insertChildren(
    feed,
    [...documentLinks(document, 'atom').map(([rel, type, href]) => xmlElement('link', { rel, type, href })), ...archiveMarker(document)],
    'subtitle',
  );
  // RFC 6721: entries that were published and are gone, so aggregators can retract them. Before
  // the entries: RFC 4287's grammar puts a feed's extension elements ahead of its entry list.
  insertChildren(
    feed,
    document.deleted.map((tombstone) => xmlElement('at:deleted-entry', { ref: tombstone.id, when: tombstone.deletedAt.toISOString() })),
  );
  return spliceEntries(serializeXml(tree), '\n</feed>', document.entries.map((entry) => entryFragments(entry).atom), '  ');
}

// ---------------------------------------------------------------- JSON Feed 1.1

interface JsonFeedAuthor {
  name?: string;
  url?: string;
}

/**
 * `feed` writes JSON Feed 1.0: version 1, a singular `author`, the HTML description copied into
 * `summary`, no `language`, and no item without content. This rewrites its head as 1.1 and adds
 * the document's items.
 */
export function fixJsonFeed(json: string, document: FeedDocument): string {
  const { version: _version1, author, items: _none, ...feed } = JSON.parse(json) as Record<string, unknown> & {
    author?: JsonFeedAuthor;
    items: unknown[];
  };
  const fixed = {
    version: JSON_FEED_VERSION,
    ...feed,
    title: document.title,
    description: document.description,
    language: document.language,
    authors: author ? [author] : undefined,
    // JSON Feed pagination: next_url leads to older items (the RFC 5005 prev-archive page).
    next_url: document.prevArchive?.json,
    hubs: document.hubUrl ? [{ type: 'WebSub', url: document.hubUrl }] : undefined,
    items: [],
  };
  const head = JSON.stringify(fixed, null, 2);
  const items = document.entries.map((entry) => entryFragments(entry).json);
  const body = items.length ? head.replace(/"items": \[\]\n\}$/, `"items": [\n    ${items.join(',\n    ')}\n  ]\n}`) : head;
  return `${body}\n`;
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
