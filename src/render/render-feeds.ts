import { Feed } from 'feed';
import { fixAtom, fixJsonFeed, fixRss } from './feed-package-fixes.js';
import { FEED_FORMATS, feedFileName, type FeedFile } from './feed-formats.js';
import type { FeedDocument } from '../feeds/feed-model.js';

export const GENERATOR = 'feed-syndication-service';

/**
 * Renders one feed document in all three formats: the `feed` package writes each document's
 * head, and feed-package-fixes.ts, the one place that corrects and extends what `feed` writes,
 * fixes the head and adds the entries (rendered there once per entry; see its comment).
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
  return [
    { name: feedFileName(document.path, 'rss'), contentType: FEED_FORMATS.rss.contentType, body: fixRss(feed.rss2(), document) },
    { name: feedFileName(document.path, 'atom'), contentType: FEED_FORMATS.atom.contentType, body: fixAtom(feed.atom1(), document) },
    { name: feedFileName(document.path, 'json'), contentType: FEED_FORMATS.json.contentType, body: fixJsonFeed(feed.json1(), document) },
  ];
}
