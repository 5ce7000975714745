/**
 * The one place that corrects and extends what the `feed` package (6.0.0) writes. Each fix names
 * the pitfall it answers (see ../shared/STYLE.md, "library facts"); each has a test in
 * test/core/feed-package-fixes.test.ts.
 *
 * `feed` is given only what it writes correctly (ids, links, dates, titles, HTML summary and
 * content). Everything carrying free text in attributes, or that `feed` cannot express, is added
 * here from the FeedDocument: authors, categories, images, related and AMP links, the alternate
 * links between formats. The XML is then written by xml-tree.ts, which escapes attributes and text
 * correctly and splits every `]]>` in CDATA.
 */
import type { FeedDocument, FeedEntry } from './feed-model.js';
import { FEED_FORMATS } from './feed-formats.js';
import {
  childElements,
  firstChild,
  insertChildren,
  parseXml,
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

function entryAt(document: FeedDocument, index: number): FeedEntry {
  const entry = document.entries[index];
  if (!entry) throw new Error(`feed wrote more entries than ${document.path} has`);
  return entry;
}

// ---------------------------------------------------------------- RSS 2.0

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
  insertChildren(
    channel,
    [
      ...documentLinks(document, 'rss').map(([rel, type, href]) => xmlElement('atom:link', { href, rel, type })),
      ...archiveMarker(document),
    ],
    'item',
  );

  childElements(channel, 'item').forEach((item, index) => {
    const entry = entryAt(document, index);
    setText(firstChild(item, 'title'), entry.title);
    // `feed` marks every guid isPermaLink="false"; an id that is the article's URL is a permalink.
    const guid = firstChild(item, 'guid');
    guid.attributes = { isPermaLink: String(entry.id === entry.link) };
    setText(guid, entry.id);
    const additions: XmlElement[] = [];
    // `feed` writes the provider as a bare <author>, which RSS reserves for an e-mail address.
    if (entry.author) {
      additions.push(xmlTextElement('dc:creator', entry.author.name));
      // The provider also published the article (RSS <source> would need the provider's own feed URL).
      additions.push(xmlTextElement('dc:publisher', entry.author.name));
    }
    for (const category of entry.categories) additions.push(xmlTextElement('category', category.label));
    // `feed` guesses the type from the extension (image/jpg, image//th); RSS allows one enclosure.
    const [image] = entry.images;
    if (image) additions.push(xmlElement('enclosure', { url: image.url, length: 0, type: image.type }));
    for (const related of entry.related) additions.push(xmlElement('atom:link', { rel: 'related', href: related.url, title: related.title }));
    if (entry.ampUrl) additions.push(xmlElement('atom:link', { rel: 'amphtml', href: entry.ampUrl, type: 'text/html' }));
    additions.push(...mediaElements(entry));
    insertChildren(item, additions);
  });
  return serializeXml(tree);
}

// ---------------------------------------------------------------- Atom 1.0

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

  childElements(feed, 'entry').forEach((element, index) => {
    const entry = entryAt(document, index);
    // `feed` always writes type="html" titles; ours are plain text.
    const title = firstChild(element, 'title');
    title.attributes = { type: 'text' };
    setText(title, entry.title);
    const additions: XmlElement[] = [];
    if (entry.author) {
      additions.push(
        xmlElement('author', {}, [
          xmlTextElement('name', entry.author.name),
          ...(entry.author.url ? [xmlTextElement('uri', entry.author.url)] : []),
        ]),
      );
    }
    // Categories built from `{name}` get no `term` in `feed`'s Atom; term is the required part.
    for (const category of entry.categories) additions.push(xmlElement('category', { term: category.term, label: category.label }));
    // `feed` cannot set an enclosure's type in Atom and guesses it from the extension.
    for (const image of entry.images) {
      additions.push(xmlElement('link', { rel: 'enclosure', href: image.url, type: image.type, title: image.title }));
    }
    for (const related of entry.related) additions.push(xmlElement('link', { rel: 'related', href: related.url, title: related.title }));
    if (entry.ampUrl) additions.push(xmlElement('link', { rel: 'amphtml', type: 'text/html', href: entry.ampUrl }));
    additions.push(...mediaElements(entry));
    insertChildren(element, additions, 'summary');
  });
  // RFC 6721: entries that were published and are gone, so aggregators can retract them. Before
  // the entries: RFC 4287's grammar puts a feed's extension elements ahead of its entry list.
  insertChildren(
    feed,
    document.deleted.map((tombstone) => xmlElement('at:deleted-entry', { ref: tombstone.id, when: tombstone.deletedAt.toISOString() })),
    'entry',
  );
  return serializeXml(tree);
}

// ---------------------------------------------------------------- JSON Feed 1.1

interface JsonFeedAuthor {
  name?: string;
  url?: string;
}

/**
 * `feed` writes JSON Feed 1.0: version 1, a singular `author`, the HTML description copied into
 * `summary`, no `language`, and no item without content. This rewrites its output as 1.1.
 */
export function fixJsonFeed(json: string, document: FeedDocument): string {
  const { version: _version1, author, items, ...feed } = JSON.parse(json) as Record<string, unknown> & {
    author?: JsonFeedAuthor;
    items: Record<string, unknown>[];
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
    items: items.map((item, index) => fixJsonFeedItem(item, entryAt(document, index))),
  };
  return `${JSON.stringify(fixed, null, 2)}\n`;
}

function fixJsonFeedItem(item: Record<string, unknown>, entry: FeedEntry): Record<string, unknown> {
  const { author: _singular, summary: _htmlSummary, content_html: _content, image: _image, ...rest } = item;
  return {
    ...rest,
    id: entry.id,
    title: entry.title,
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
