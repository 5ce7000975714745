import { Feed } from 'feed';
import { fixAtom, fixJsonFeed, fixRss } from './feed-package-fixes.js';
import { FEED_FORMATS, feedFileName, type FeedFile } from './feed-formats.js';
import type { FeedDocument } from './feed-model.js';
import { escapeHtml } from './xml-safe-text.js';

export const GENERATOR = 'feed-syndication-service';

/**
 * Renders one feed document in all three formats with the `feed` package, then passes each
 * output through feed-package-fixes.ts, the one place that corrects and extends what `feed`
 * writes. `feed` is given only values it handles correctly; the rest is added by the fixes.
 */
export function renderFeedFiles(document: FeedDocument): FeedFile[] {
  const feed = new Feed({
    id: document.urls.atom,
    title: document.title,
    description: document.description,
    link: document.siteUrl,
    language: document.language,
    updated: document.updated,
    generator: GENERATOR,
    // Not `feed`: that option becomes the self link of RSS *and* Atom.
    feedLinks: { rss: document.urls.rss, atom: document.urls.atom, json: document.urls.json },
    author: { name: document.author.name, link: document.author.url },
    // Browsers render the feed through this XSL stylesheet (served as XML to them; see http/app.ts).
    stylesheet: document.stylesheetHref,
  });
  for (const entry of document.entries) {
    feed.addItem({
      id: entry.id,
      // xml-js splits only the first `]]>` of the CDATA `feed` puts titles in, which can make the
      // document unparsable; escaped text has no `]]>`. Every format's title is then rewritten
      // from the model in feed-package-fixes.ts.
      title: escapeHtml(entry.title),
      link: entry.link,
      date: entry.updated,
      published: entry.published,
      // RSS <description> and Atom <summary type="html"> are HTML: the plain excerpt is escaped.
      description: entry.summary === undefined ? undefined : escapeHtml(entry.summary),
      content: entry.contentHtml || undefined,
    });
  }
  return [
    { name: feedFileName(document.path, 'rss'), contentType: FEED_FORMATS.rss.contentType, body: fixRss(feed.rss2(), document) },
    { name: feedFileName(document.path, 'atom'), contentType: FEED_FORMATS.atom.contentType, body: fixAtom(feed.atom1(), document) },
    { name: feedFileName(document.path, 'json'), contentType: FEED_FORMATS.json.contentType, body: fixJsonFeed(feed.json1(), document) },
  ];
}
