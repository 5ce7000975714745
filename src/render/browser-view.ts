import { FEED_CSS } from './browser-view/feed-css.js';
import { FEED_XSL } from './browser-view/feed-xsl.js';
import { BROWSER_FILES, FEED_FORMATS, type FeedFile } from './feed-formats.js';
import type { FeedDocument, FeedDocumentHead, FeedEntry, FeedUrls } from '../feeds/feed-model.js';
import { escapeHtml } from './escape.js';

/**
 * The browser view of the feeds: `feed.xsl`, which turns an RSS or Atom document into a page when
 * a browser opens it, and `feed.css`, which styles that page and the plain HTML pages. Both are
 * the same for every build.
 */
export function renderBrowserFiles(): FeedFile[] {
  return [
    { name: BROWSER_FILES.xsl.name, contentType: BROWSER_FILES.xsl.contentType, body: FEED_XSL },
    { name: BROWSER_FILES.css.name, contentType: BROWSER_FILES.css.contentType, body: FEED_CSS },
  ];
}

const FORMAT_LABELS = [
  ['rss', 'RSS'],
  ['atom', 'Atom'],
  ['json', 'JSON Feed'],
] as const;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/**
 * `<path>.html`: the entries of one feed document as a plain HTML5 page, with the same content
 * and markup as feed.xsl gives the RSS and Atom documents, and autodiscovery links so a reader
 * given the page's address finds the feeds. No script and no inline style (the server's CSP allows
 * neither); every text and URL is escaped. Pure: the same document gives the same bytes. The
 * page is its frame (pageFrame) around each entry's article (renderPageEntry), joined by lines.
 */
export function renderFeedPage(document: FeedDocument): FeedFile {
  const frame = pageFrame(document);
  const entries = document.entries.length > 0 ? document.entries.map(renderPageEntry).join('\n') : EMPTY_PAGE;
  return { name: `${document.path}.${BROWSER_FILES.html.extension}`, contentType: BROWSER_FILES.html.contentType, body: `${frame.head}${entries}${frame.tail}` };
}

/** What a page without entries shows where the entries go. */
export const EMPTY_PAGE = '<p class="empty">No entries yet.</p>';

/** A page's text before its entries and after them. */
export function pageFrame(document: FeedDocumentHead): { readonly head: string; readonly tail: string } {
  // An archive page (RFC 5005) is not something to subscribe to: point readers at the current feed.
  const subscription: FeedUrls = document.archive?.current ?? document.urls;
  const discovery = FORMAT_LABELS.map(
    ([format, label]) =>
      `<link rel="alternate" type="${mediaType(FEED_FORMATS[format].contentType)}" title="${escapeHtml(`${document.title} (${label})`)}" href="${escapeHtml(subscription[format])}">`,
  );
  const formats = [
    ...FORMAT_LABELS.map(
      ([format, label]) => `<a href="${escapeHtml(document.urls[format])}" type="${mediaType(FEED_FORMATS[format].contentType)}">${label}</a>`,
    ),
    `<a href="${escapeHtml(document.siteUrl)}">Website</a>`,
  ];
  const subscribe = document.archive
    ? `This page is an archive of older entries. To subscribe, copy the current feed's address into your feed reader: <code class="feed-url">${escapeHtml(subscription.rss)}</code>`
    : `Subscribe by copying this feed's address into your feed reader: <code class="feed-url">${escapeHtml(subscription.rss)}</code>`;
  const archiveNav = archiveNavigation(document);
  const head = `<!doctype html>
<html lang="${escapeHtml(document.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(document.title)}</title>
<link rel="icon" href="${escapeHtml(document.iconUrl)}">
<link rel="stylesheet" href="${escapeHtml(cssHref(document.stylesheetHref))}">
${discovery.join('\n')}
</head>
<body>
<header class="feed-header">
<p class="feed-label">Web feed</p>
<h1>${escapeHtml(document.title)}</h1>
${document.description ? `<p class="feed-description">${escapeHtml(document.description)}</p>\n` : ''}<p class="subscribe">${subscribe}</p>
<p class="formats">Also available as: ${formats.join(' · ')}</p>
${archiveNav}</header>
<main class="entries">
`;
  const tail = `
</main>
${archiveNav ? `<footer class="feed-footer">\n${archiveNav}</footer>\n` : ''}</body>
</html>
`;
  return { head, tail };
}

/** One entry as an `<article>` of the page. */
export function renderPageEntry(entry: FeedEntry): string {
  const [image] = entry.images;
  const meta = [
    `<time datetime="${entry.published.toISOString()}">${formatUtc(entry.published)}</time>`,
    ...(entry.author ? [`<span class="provider">${escapeHtml(entry.author.name)}</span>`] : []),
  ];
  const lines = [
    '<article class="entry">',
    `<h2 class="entry-title"><a href="${escapeHtml(entry.link)}">${escapeHtml(entry.title)}</a></h2>`,
    `<p class="entry-meta">${meta.join(' · ')}</p>`,
  ];
  if (image) {
    const size = image.width !== undefined && image.height !== undefined ? ` width="${image.width}" height="${image.height}"` : '';
    lines.push(
      `<img class="entry-image" src="${escapeHtml(image.url)}" loading="lazy" decoding="async" alt="${escapeHtml(image.title || entry.title)}"${size}>`,
    );
  }
  if (entry.summary) lines.push(`<p class="summary">${escapeHtml(entry.summary)}</p>`);
  lines.push('</article>');
  return lines.join('\n');
}

/** RFC 5005 paging between the HTML pages: newer, current, older; empty when there is none. */
function archiveNavigation(document: FeedDocumentHead): string {
  const links = [
    ...(document.nextArchive ? [`<a rel="next-archive" href="${escapeHtml(document.nextArchive.html)}">Newer entries</a>`] : []),
    ...(document.archive ? [`<a rel="current" href="${escapeHtml(document.archive.current.html)}">Current feed</a>`] : []),
    ...(document.prevArchive ? [`<a rel="prev-archive" href="${escapeHtml(document.prevArchive.html)}">Older entries</a>`] : []),
  ];
  return links.length > 0 ? `<nav class="archive-nav" aria-label="Archive pages">\n${links.join('\n')}\n</nav>\n` : '';
}

/** feed.css beside feed.xsl: `../feed.xsl` → `../feed.css`. */
function cssHref(stylesheetHref: string): string {
  const xsl = BROWSER_FILES.xsl.name;
  const folder = stylesheetHref.endsWith(xsl) ? stylesheetHref.slice(0, -xsl.length) : '';
  return `${folder}${BROWSER_FILES.css.name}`;
}

/** `3 Nov 2025, 14:00 UTC`: the same words feed.xsl writes, without the locale or time zone of the build machine. */
function formatUtc(date: Date): string {
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}, ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())} UTC`;
}

function mediaType(contentType: string): string {
  return contentType.split(';')[0]!.trim();
}
