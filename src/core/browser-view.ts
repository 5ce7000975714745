import { BROWSER_FILES, type FeedFile } from './feed-formats.js';
import type { FeedDocument } from './feed-model.js';
import { escapeHtml } from './xml-safe-text.js';

/**
 * The browser view of the feeds. PLACEHOLDER: replaced by the real XSL stylesheet, CSS and HTML
 * page renderer.
 */
export function renderBrowserFiles(): FeedFile[] {
  return [
    { name: BROWSER_FILES.xsl.name, contentType: BROWSER_FILES.xsl.contentType, body: '<?xml version="1.0" encoding="utf-8"?>\n<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"/>\n' },
    { name: BROWSER_FILES.css.name, contentType: BROWSER_FILES.css.contentType, body: 'body{font-family:system-ui,sans-serif}\n' },
  ];
}

export function renderFeedPage(document: FeedDocument): FeedFile {
  return { name: `${document.path}.${BROWSER_FILES.html.extension}`, contentType: BROWSER_FILES.html.contentType, body: `<!doctype html><title>${escapeHtml(document.title)}</title>\n` };
}
