import { FEED_FORMATS, INDEX_FILES, type FeedFile } from './feed-formats.js';
import type { FeedDocument, FeedDocumentHead, FeedSite } from '../feeds/feed-model.js';
import { serializeXml, xmlElement, xmlTextElement } from './xml-tree.js';
import { escapeHtml } from './escape.js';

/** What the indexes need of a document: its metadata and how many entries it holds. */
export type IndexedDocument = FeedDocumentHead & { readonly entryCount: number };

function mediaType(contentType: string): string {
  return contentType.split(';')[0]!.trim();
}

/** The newest update across all feeds (never the clock). */
function newest(documents: readonly IndexedDocument[]): Date {
  let time = 0;
  for (const document of documents) time = Math.max(time, document.updated.getTime());
  return new Date(time);
}

const SECTIONS = [
  ['all', 'All topics'],
  ['topic', 'Topics'],
  ['provider', 'Providers'],
  ['category', 'Categories'],
] as const;

/** Subscription documents (not archive pages) of one kind, in build order. */
function subscriptions(documents: readonly IndexedDocument[], kind: FeedDocument['kind']): IndexedDocument[] {
  return documents.filter((document) => document.archive === undefined && document.kind === kind);
}

/**
 * OPML 2.0 subscription list with one outline per feed (RSS, the format every reader imports),
 * grouped as all topics, topics, providers and categories.
 */
export function renderOpml(documents: readonly IndexedDocument[], site: FeedSite): FeedFile {
  const outline = (document: IndexedDocument) =>
    xmlElement('outline', {
      type: 'rss',
      text: document.title,
      title: document.title,
      description: document.description,
      xmlUrl: document.urls.rss,
      htmlUrl: document.siteUrl,
      language: document.language,
    });
  const outlines = SECTIONS.flatMap(([kind, label]) => {
    const list = subscriptions(documents, kind);
    if (list.length === 0) return [];
    return kind === 'all' ? list.map(outline) : [xmlElement('outline', { text: label, title: label }, list.map(outline))];
  });
  const opml = xmlElement('opml', { version: '2.0' }, [
    xmlElement('head', {}, [
      xmlTextElement('title', site.title),
      xmlTextElement('dateModified', newest(documents).toUTCString()),
      xmlTextElement('docs', 'http://opml.org/spec2.opml'),
    ]),
    xmlElement('body', {}, outlines),
  ]);
  return { name: INDEX_FILES.opml.name, contentType: INDEX_FILES.opml.contentType, body: serializeXml({ elements: [opml] }) };
}

/** A page listing every feed, with autodiscovery <link>s so a reader given its URL finds them all. */
export function renderIndexHtml(documents: readonly IndexedDocument[], site: FeedSite): FeedFile {
  const formats = [
    ['rss', 'RSS'],
    ['atom', 'Atom'],
    ['json', 'JSON Feed'],
  ] as const;
  const listed = SECTIONS.flatMap(([kind]) => subscriptions(documents, kind));
  const discovery = listed.flatMap((document) =>
    formats.map(
      ([format, label]) =>
        `<link rel="alternate" type="${mediaType(FEED_FORMATS[format].contentType)}" title="${escapeHtml(`${document.title} (${label})`)}" href="${escapeHtml(document.urls[format])}">`,
    ),
  );
  const row = (document: IndexedDocument) => {
    const links = formats.map(([format, label]) => `<a href="${escapeHtml(document.urls[format])}">${label}</a>`).join(' · ');
    const count = `${document.entryCount} ${document.entryCount === 1 ? 'entry' : 'entries'}`;
    return `<li><a href="${escapeHtml(document.urls.html)}"><strong>${escapeHtml(document.name)}</strong></a> <span>(${count})</span><br>${links}</li>`;
  };
  const sections = SECTIONS.map(([kind, label]) => {
    const list = subscriptions(documents, kind);
    return list.length ? `<h2>${label}</h2>\n<ul>\n${list.map(row).join('\n')}\n</ul>` : '';
  }).filter(Boolean);
  const body = `<!doctype html>
<html lang="${escapeHtml(site.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(site.title)}: feeds</title>
<link rel="icon" href="${escapeHtml(site.iconUrl)}">
${discovery.join('\n')}
<link rel="outline" type="text/x-opml" title="All feeds (OPML)" href="${escapeHtml(`${site.baseUrl}/feeds/${INDEX_FILES.opml.name}`)}">
<link rel="stylesheet" href="feed.css">
</head>
<body>
<h1>${escapeHtml(site.title)}</h1>
<p>Copy a feed's address into your feed reader to subscribe, or import <a href="${escapeHtml(`${site.baseUrl}/feeds/${INDEX_FILES.opml.name}`)}">all feeds as OPML</a>.</p>
${sections.join('\n')}
</body>
</html>
`;
  return { name: INDEX_FILES.html.name, contentType: INDEX_FILES.html.contentType, body };
}
