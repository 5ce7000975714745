/**
 * The one place that uses the `feed` package (6.0.0), and corrects what it writes. Each fix
 * names the pitfall it answers (../shared/STYLE.md, "library facts"); each has a test in
 * test/render/feed-package-fixes.test.ts.
 *
 * `feed` writes the head of each document (the channel or feed elements before the entries):
 * which elements there are, in which order, with which fixed values (docs, generator, self
 * links). Its output is used as TEXT, never parsed back: it is rendered once per process with a
 * marker in every place a document's value goes, turned into a template (the fixes below are
 * text edits of that output), and each document's head is the template with its values
 * substituted, escaped by src/render/escape.ts. Entries are not given to `feed` at all
 * (entry-fragments.ts renders each one once).
 *
 * What is corrected:
 * - xml-js (under `feed`) turns a literal `&amp;` in text into `&`, and escapes only `&` in
 *   attributes: every value is substituted here, escaped by escape.ts.
 * - RSS declares `xmlns:dc` only when an item has content (dc:creator needs it always), and no
 *   Media RSS, content or RFC 5005 namespaces: the root element's namespaces are ours.
 * - `options.feed` would become the self link of RSS *and* Atom: `feedLinks` is used per format.
 * - `json1()` writes JSON Feed 1.0 (version 1, a singular `author`, the HTML description copied
 *   into `summary`, no `language`): its head is rewritten as 1.1.
 * - The links between formats, the HTML page, the WebSub hub and RFC 5005 paging are added.
 */
import { Feed } from 'feed';
import { FEED_FORMATS, type FeedFormat } from './feed-formats.js';
import type { FeedDocumentHead } from '../feeds/feed-model.js';
import { escapeXmlAttribute, escapeXmlText, escapeXmlValue } from './escape.js';

export const GENERATOR = 'feed-syndication-service';
export const JSON_FEED_VERSION = 'https://jsonfeed.org/version/1.1';

const NS = {
  atom: 'http://www.w3.org/2005/Atom',
  content: 'http://purl.org/rss/1.0/modules/content/',
  dc: 'http://purl.org/dc/elements/1.1/',
  media: 'http://search.yahoo.com/mrss/',
  fh: 'http://purl.org/syndication/history/1.0',
  at: 'http://purl.org/atompub/tombstones/1.0',
} as const;

/**
 * What `feed` is given for the template: a marker in each place a document's value goes, which
 * `feed` writes as it is (ASCII letters, or a URL already in WHATWG form where `feed` passes the
 * value through `new URL()`). The date is the epoch: its two spellings are replaced like markers.
 */
const MARKERS = {
  id: 'FEEDxMARKxID',
  title: 'FEEDxMARKxTITLE',
  description: 'FEEDxMARKxDESCRIPTION',
  link: 'https://feed-marker.invalid/link',
  language: 'FEEDxMARKxLANGUAGE',
  rss: 'https://feed-marker.invalid/rss',
  atom: 'https://feed-marker.invalid/atom',
  json: 'https://feed-marker.invalid/json',
  authorName: 'FEEDxMARKxAUTHORxNAME',
  authorUrl: 'https://feed-marker.invalid/author',
  stylesheet: 'FEEDxMARKxSTYLESHEET',
  /** A number: `feed` takes `ttl` as one. */
  ttl: '918273645',
  /** RSS <image><url> and atom:logo (JSON Feed `icon`, rewritten below). */
  image: 'https://feed-marker.invalid/image',
  /** atom:icon. */
  icon: 'https://feed-marker.invalid/icon',
} as const;
type Marker = keyof typeof MARKERS;
const EPOCH = new Date(0);
const EPOCH_RFC822 = EPOCH.toUTCString();
const EPOCH_ISO = EPOCH.toISOString();

interface Template {
  /** The head as literal text and slots (a marker, or the updated date) in order. */
  readonly parts: readonly (string | { readonly slot: Marker | 'updated' })[];
}

/** `feed`'s three documents for an empty feed, with markers. */
function feedOutput(): { rss: string; atom: string; json: string } {
  const feed = new Feed({
    id: MARKERS.id,
    title: MARKERS.title,
    description: MARKERS.description,
    link: MARKERS.link,
    language: MARKERS.language,
    updated: EPOCH,
    generator: GENERATOR,
    // Not `feed`: that option becomes the self link of RSS *and* Atom.
    feedLinks: { rss: MARKERS.rss, atom: MARKERS.atom, json: MARKERS.json },
    author: { name: MARKERS.authorName, link: MARKERS.authorUrl },
    // Browsers render the feed through this XSL stylesheet (served as XML to them; see http/app.ts).
    stylesheet: MARKERS.stylesheet,
    // RSS only: minutes a reader may cache the channel (the Cache-Control max-age it is served with).
    ttl: Number(MARKERS.ttl),
    // RSS <image> (with the channel's title and link, as RSS 2.0 requires), atom:logo, atom:icon.
    image: MARKERS.image,
    favicon: MARKERS.icon,
  });
  return { rss: feed.rss2(), atom: feed.atom1(), json: feed.json1() };
}

/**
 * Turns `feed`'s XML into a head template: the declaration and the stylesheet instruction on
 * lines of their own, our root start tag, two-space indentation (`feed` uses four), the closing
 * tags cut off (the entries and our closing tags follow), and `replace` applied to the rest.
 */
function xmlTemplate(xml: string, root: string, rootStartTag: string, closing: string, replace: (text: string) => string): Template {
  let text = xml.replace('?><?xml-stylesheet', '?>\n<?xml-stylesheet');
  const rootTag = new RegExp(`^<${root}\\b[^>]*>$`, 'm');
  if (!rootTag.test(text)) throw new Error(`feed package: no <${root}> start tag in its output`);
  text = text.replace(rootTag, rootStartTag);
  text = text.replace(/^((?: {4})+)/gm, (spaces: string) => ' '.repeat(spaces.length / 2));
  const end = text.lastIndexOf(closing);
  if (end === -1) throw new Error(`feed package: its output does not end with ${closing.trim()}`);
  return toTemplate(replace(text.slice(0, end)));
}

/** Splits text at the markers and the epoch dates; every marker must occur (checked by tests). */
function toTemplate(text: string): Template {
  const slots = new Map<string, Marker | 'updated'>([
    ...Object.entries(MARKERS).map(([name, marker]) => [marker, name as Marker] as const),
    [EPOCH_RFC822, 'updated'],
    [EPOCH_ISO, 'updated'],
  ]);
  const pattern = new RegExp([...slots.keys()].sort((a, b) => b.length - a.length).map((key) => key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  const parts: Template['parts'][number][] = [];
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    parts.push(text.slice(last, match.index));
    parts.push({ slot: slots.get(match[0])! });
    last = match.index + match[0].length;
  }
  parts.push(text.slice(last));
  return { parts: parts.filter((part) => part !== '') };
}

interface Templates {
  readonly rss: Template;
  readonly atom: Template;
  /** feed's JSON Feed head with markers, parsed once: the keys and their order. */
  readonly json: Readonly<Record<string, unknown>>;
}

let templates: Templates | undefined;

/** Rendered by `feed` once per process. */
function headTemplates(): Templates {
  if (templates) return templates;
  const output = feedOutput();
  const rss = xmlTemplate(
    output.rss,
    'rss',
    `<rss version="2.0" xmlns:atom="${NS.atom}" xmlns:content="${NS.content}" xmlns:dc="${NS.dc}" xmlns:media="${NS.media}" xmlns:fh="${NS.fh}">`,
    '\n  </channel>',
    (text) => text,
  );
  const atom = xmlTemplate(
    output.atom,
    'feed',
    `<feed xmlns="${NS.atom}" xmlns:media="${NS.media}" xmlns:fh="${NS.fh}" xml:lang="${MARKERS.language}">`,
    '\n</feed>',
    (text) => text,
  );
  templates = { rss, atom, json: JSON.parse(output.json) as Record<string, unknown> };
  return templates;
}

/** A URL as `feed` writes its links (it passes them through WHATWG URL). */
function asFeedWritesUrl(url: string): string {
  return new URL(url).toString();
}

/** Each slot's text for one document, escaped for where it stands. */
function slotValues(document: FeedDocumentHead, format: 'rss' | 'atom'): Record<Marker | 'updated', string> {
  const text = escapeXmlText;
  const value = escapeXmlValue;
  const attribute = escapeXmlAttribute;
  return {
    id: value(document.urls.atom),
    title: text(document.title),
    description: text(document.description),
    link: format === 'rss' ? value(asFeedWritesUrl(document.siteUrl)) : attribute(asFeedWritesUrl(document.siteUrl)),
    language: format === 'rss' ? value(document.language) : attribute(document.language),
    rss: attribute(asFeedWritesUrl(document.urls.rss)),
    atom: attribute(asFeedWritesUrl(document.urls.atom)),
    json: attribute(document.urls.json),
    authorName: text(document.author.name),
    authorUrl: value(asFeedWritesUrl(document.author.url ?? document.siteUrl)),
    stylesheet: document.stylesheetHref,
    ttl: String(ttlMinutes(document.maxAgeSeconds) ?? ''),
    // RSS <image> is shown as the feed's icon by readers (square); Atom has a logo (2:1) and an icon.
    image: value(format === 'rss' ? document.iconUrl : document.logoUrl),
    icon: value(document.iconUrl),
    updated: format === 'rss' ? document.updated.toUTCString() : document.updated.toISOString(),
  };
}

/**
 * RSS `<ttl>` (minutes a reader may cache the channel) for a document served with `max-age`
 * seconds: whole minutes, rounded down so a reader never waits past the max-age; none under a
 * minute (RSS wants a positive number of minutes, and 1 would say more than the max-age does).
 */
export function ttlMinutes(maxAgeSeconds: number): number | undefined {
  const minutes = Math.floor(maxAgeSeconds / 60);
  return minutes > 0 ? minutes : undefined;
}

/** The `<ttl>` line of an RSS head whose ttl slot was left empty. */
const EMPTY_TTL = /\n *<ttl><\/ttl>/;

function fill(template: Template, values: Record<Marker | 'updated', string>): string {
  let text = '';
  for (const part of template.parts) text += typeof part === 'string' ? part : values[part.slot];
  return text;
}

function mediaType(contentType: string): string {
  return contentType.split(';')[0]!.trim();
}

/**
 * Links every format shares, as [rel, type, href]: the other formats and the HTML page, the
 * WebSub hub, and RFC 5005 paging (current / prev-archive / next-archive).
 */
function documentLinks(document: FeedDocumentHead, self: FeedFormat): [string, string | undefined, string][] {
  const links: [string, string | undefined, string][] = [];
  for (const format of ['rss', 'atom', 'json'] as const) {
    if (format !== self) links.push(['alternate', mediaType(FEED_FORMATS[format].contentType), document.urls[format]]);
  }
  links.push(['alternate', 'text/html', document.urls.html]);
  if (document.hubUrl) links.push(['hub', undefined, document.hubUrl]);
  const selfType = mediaType(FEED_FORMATS[self].contentType);
  if (document.archive) links.push(['current', selfType, document.archive.current[self]]);
  if (document.prevArchive) links.push(['prev-archive', selfType, document.prevArchive[self]]);
  if (document.nextArchive) links.push(['next-archive', selfType, document.nextArchive[self]]);
  return links;
}

function xmlAttributes(list: readonly (readonly [string, string | undefined])[]): string {
  return list.map(([name, value]) => (value === undefined ? '' : ` ${name}="${escapeXmlAttribute(value)}"`)).join('');
}

/** `<fh:archive/>` marks an RFC 5005 archive document, which readers fetch once. */
function archiveMarker(document: FeedDocumentHead, indent: string): string {
  return document.archive ? `\n${indent}<fh:archive/>` : '';
}

// ---------------------------------------------------------------- RSS 2.0

/** Everything of an RSS document before its first item (which follows on a new line). */
export function rssHead(document: FeedDocumentHead): string {
  const links = documentLinks(document, 'rss')
    .map(([rel, type, href]) => `\n    <atom:link${xmlAttributes([['href', href], ['rel', rel], ['type', type]])}/>`)
    .join('');
  const head = fill(headTemplates().rss, slotValues(document, 'rss'));
  return `${ttlMinutes(document.maxAgeSeconds) === undefined ? head.replace(EMPTY_TTL, '') : head}${links}${archiveMarker(document, '    ')}`;
}

export const RSS_TAIL = '\n  </channel>\n</rss>\n';

// ---------------------------------------------------------------- Atom 1.0

/** Everything of an Atom document before its first entry: head, links, subtitle, deletions. */
export function atomHead(document: FeedDocumentHead): string {
  // RFC 6721: entries that were published and are gone, so aggregators can retract them. Before
  // the entries: RFC 4287's grammar puts a feed's extension elements ahead of its entry list.
  const deleted = document.deleted
    .map((tombstone) => `\n  <at:deleted-entry${xmlAttributes([['ref', tombstone.id], ['when', tombstone.deletedAt.toISOString()]])}/>`)
    .join('');
  // The tombstones namespace only where a notice uses it: the W3C Feed Validator (older than
  // RFC 6721) reports every declaration of it as "Use of unknown namespace".
  const filled = fill(headTemplates().atom, slotValues(document, 'atom'));
  const template = deleted === '' ? filled : withTombstonesNamespace(filled);
  const subtitle = template.lastIndexOf('\n  <subtitle>');
  if (subtitle === -1) throw new Error('feed package: no <subtitle> in its Atom output');
  const links = documentLinks(document, 'atom')
    .map(([rel, type, href]) => `\n  <link${xmlAttributes([['rel', rel], ['type', type], ['href', href]])}/>`)
    .join('');
  return `${template.slice(0, subtitle)}${links}${archiveMarker(document, '  ')}${template.slice(subtitle)}${deleted}`;
}

export const ATOM_TAIL = '\n</feed>\n';

const FH_DECLARATION = ` xmlns:fh="${NS.fh}"`;

/** The Atom head with `xmlns:at` declared on its root, after `xmlns:fh`. */
function withTombstonesNamespace(head: string): string {
  const at = head.indexOf(FH_DECLARATION);
  if (at === -1) throw new Error('Atom head: no xmlns:fh declaration on its root');
  const end = at + FH_DECLARATION.length;
  return `${head.slice(0, end)} xmlns:at="${NS.at}"${head.slice(end)}`;
}

// ---------------------------------------------------------------- JSON Feed 1.1

/** `feed`'s JSON head with each marker replaced by the document's value (in keys' order). */
function substituted(value: unknown, values: Readonly<Record<string, string>>): unknown {
  if (typeof value === 'string') return values[value] ?? value;
  if (Array.isArray(value)) return value.map((item) => substituted(item, values));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substituted(item, values)]));
  }
  return value;
}

/**
 * The JSON Feed document up to its items: `"items": ` is last, and the items list follows
 * (render-document.ts). `feed` writes JSON Feed 1.0; this rewrites its head as 1.1.
 */
export function jsonHead(document: FeedDocumentHead): string {
  const values: Record<string, string> = {
    [MARKERS.id]: document.urls.atom,
    [MARKERS.title]: document.title,
    [MARKERS.description]: document.description,
    [MARKERS.link]: document.siteUrl,
    [MARKERS.language]: document.language,
    [MARKERS.rss]: document.urls.rss,
    [MARKERS.atom]: document.urls.atom,
    [MARKERS.json]: document.urls.json,
    [MARKERS.authorName]: document.author.name,
    [MARKERS.authorUrl]: document.author.url ?? document.siteUrl,
    [MARKERS.image]: document.iconUrl,
    [MARKERS.icon]: document.iconUrl,
  };
  const { version: _version1, author, items: _none, ...feed } = substituted(headTemplates().json, values) as Record<string, unknown> & {
    author?: { name?: string; url?: string };
  };
  const fixed = {
    version: JSON_FEED_VERSION,
    ...feed,
    title: document.title,
    description: document.description,
    language: document.language,
    authors: author ? [author] : undefined,
    icon: document.iconUrl,
    favicon: document.iconUrl,
    // JSON Feed pagination: next_url leads to older items (the RFC 5005 prev-archive page).
    next_url: document.prevArchive?.json,
    hubs: document.hubUrl ? [{ type: 'WebSub', url: document.hubUrl }] : undefined,
    items: [],
  };
  const text = JSON.stringify(fixed, null, 2);
  const items = text.lastIndexOf('[]\n}');
  if (items === -1 || items !== text.length - 4) throw new Error('JSON Feed head: "items" is not last');
  return text.slice(0, items);
}
