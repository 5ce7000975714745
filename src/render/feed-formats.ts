/**
 * The files a build produces and how they are served. File names are the URL path under /feeds/,
 * so the server's lookup is an exact match against this set (no path is ever joined from a URL).
 */
export const FEED_FORMATS = {
  rss: { extension: 'xml', contentType: 'application/rss+xml; charset=utf-8' },
  atom: { extension: 'atom', contentType: 'application/atom+xml; charset=utf-8' },
  json: { extension: 'json', contentType: 'application/feed+json; charset=utf-8' },
} as const;

export type FeedFormat = keyof typeof FEED_FORMATS;

export const INDEX_FILES = {
  opml: { name: 'index.opml', contentType: 'text/x-opml; charset=utf-8' },
  html: { name: 'index.html', contentType: 'text/html; charset=utf-8' },
} as const;

/** One output file: its name under feeds/, its Content-Type, its bytes as text. */
export interface FeedFile {
  readonly name: string;
  readonly contentType: string;
  readonly body: string;
}

/** `ai.xml`, `providers/pymnts.com.atom`: a document's path plus its format's extension. */
export function feedFileName(path: string, format: FeedFormat): string {
  return `${path}.${FEED_FORMATS[format].extension}`;
}

/** The browser view: an XSL stylesheet that RSS and Atom link to, its CSS, and HTML pages. */
export const BROWSER_FILES = {
  xsl: { name: 'feed.xsl', contentType: 'text/xsl; charset=utf-8' },
  css: { name: 'feed.css', contentType: 'text/css; charset=utf-8' },
  html: { extension: 'html', contentType: 'text/html; charset=utf-8' },
} as const;

/** The service's own feed icon and logo (render/feed-images.ts), used unless FEED_ICON_URL / FEED_LOGO_URL name others. */
export const IMAGE_FILES = {
  icon: { name: 'icon.png', contentType: 'image/png' },
  logo: { name: 'logo.png', contentType: 'image/png' },
} as const;
