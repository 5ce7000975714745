/**
 * feed.css: the one stylesheet of the browser view, shared by the XSL-rendered RSS/Atom pages and
 * the plain HTML pages. A linked file, because the pages' CSP (style-src 'self') refuses inline
 * <style> and style="" attributes. Light and dark schemes; images keep their aspect ratio from
 * their width/height attributes.
 */
export const FEED_CSS = `:root {
  color-scheme: light dark;
  --text: #1d1d1f;
  --muted: #5c5c66;
  --accent: #0b57d0;
  --surface: #f4f5f7;
  --border: #dcdde2;
  --background: #ffffff;
}

@media (prefers-color-scheme: dark) {
  :root {
    --text: #e8e8ed;
    --muted: #a1a1aa;
    --accent: #8ab4f8;
    --surface: #1f2023;
    --border: #35363b;
    --background: #121214;
  }
}

*,
*::before,
*::after {
  box-sizing: border-box;
}

html {
  background: var(--background);
  color: var(--text);
  font: 17px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
  -webkit-text-size-adjust: 100%;
  text-size-adjust: 100%;
}

body {
  max-width: 46rem;
  margin: 0 auto;
  padding: 2rem 1.25rem 4rem;
  overflow-wrap: break-word;
}

a {
  color: var(--accent);
}

a:hover,
a:focus-visible {
  text-decoration-thickness: 2px;
}

.feed-header {
  padding-bottom: 1.25rem;
  margin-bottom: 1.5rem;
  border-bottom: 1px solid var(--border);
}

.feed-label {
  margin: 0;
  color: var(--muted);
  font-size: 0.8rem;
  font-weight: 600;
  letter-spacing: 0.06em;
  text-transform: uppercase;
}

h1 {
  margin: 0.25rem 0 0.5rem;
  font-size: 1.9rem;
  line-height: 1.2;
}

.feed-description {
  margin: 0 0 1rem;
  color: var(--muted);
}

.subscribe {
  margin: 0 0 0.75rem;
  padding: 0.75rem 1rem;
  background: var(--surface);
  border: 1px solid var(--border);
  border-radius: 8px;
}

.feed-url {
  display: block;
  margin-top: 0.35rem;
  font: 0.9rem/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  word-break: break-all;
  -webkit-user-select: all;
  user-select: all;
}

.formats {
  margin: 0;
  font-size: 0.9rem;
  color: var(--muted);
}

.archive-nav {
  display: flex;
  flex-wrap: wrap;
  gap: 0.5rem 1.25rem;
  margin-top: 0.75rem;
  font-size: 0.95rem;
}

.feed-footer {
  margin-top: 2rem;
  padding-top: 1rem;
  border-top: 1px solid var(--border);
}

.entry {
  display: flow-root;
  padding: 1.25rem 0;
  border-bottom: 1px solid var(--border);
}

.entry:last-child {
  border-bottom: 0;
}

.entry-title {
  margin: 0 0 0.3rem;
  font-size: 1.25rem;
  line-height: 1.3;
}

.entry-title a {
  text-decoration: none;
}

.entry-title a:hover,
.entry-title a:focus-visible {
  text-decoration: underline;
}

.entry-meta {
  margin: 0 0 0.6rem;
  color: var(--muted);
  font-size: 0.875rem;
}

.entry-image {
  float: right;
  width: min(38%, 14rem);
  height: auto;
  margin: 0.2rem 0 0.5rem 1rem;
  border-radius: 6px;
  background: var(--surface);
  object-fit: cover;
}

.summary {
  margin: 0;
}

.empty {
  color: var(--muted);
}

/*
 * Chromium's XSLT deprecation notice, which it adds to pages made by feed.xsl. Its own inline
 * style is refused by our CSP (style-src 'self'), which would leave it in the middle of the page:
 * keep it as a bar at the bottom of the window instead.
 */
xslt-warning-banner {
  inset: auto 0 0 0;
  width: auto;
  max-width: none;
  margin: 0;
  padding: 0.6rem 1rem;
  border: 0;
  border-top: 1px solid var(--border);
  background: var(--surface);
  color: var(--text);
  font: 0.85rem/1.4 system-ui, sans-serif;
}

@media (max-width: 30rem) {
  .entry-image {
    float: none;
    display: block;
    width: 100%;
    margin: 0 0 0.75rem;
  }
}
`;
