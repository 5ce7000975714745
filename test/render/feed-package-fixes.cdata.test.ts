/**
 * An entry's HTML is carried in CDATA (RSS description and content:encoded, Atom summary and
 * content). HTML may hold `]]>` as it is (`>` needs no escaping in HTML text), and CDATA cannot:
 * each one must be split across two sections, however many there are. Markdown rendering escapes
 * `>` today, so no article reaches this through a build; a renderer must still get it right for
 * any HTML it is given. Rendered through collectFeeds → buildFeedDocuments → renderFeedFiles with
 * the entry's HTML replaced, read back with fast-xml-parser and checked by Python's expat.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { collectFeeds } from '../../src/feeds/feed-collections.js';
import { buildFeedDocuments } from '../helpers/documents.js';
import { renderFeedFiles } from '../../src/render/render-feeds.js';
import { expatErrors, missingExpat } from '../helpers/expat.js';
import { makeArticle, testSite } from '../helpers/articles.js';
import { parseXmlDocument, textOf } from '../helpers/xml.js';

/** Valid HTML with three raw `]]>`, two of them in one text run. */
const HTML = '<p>One ]]> two ]]> three</p>\n<ul><li>and ]]>]]&gt; four</li></ul>';

/** all.xml and all.atom of one article whose entry HTML is `html`. */
function renderWithContent(html: string): Map<string, string> {
  const [document] = buildFeedDocuments(collectFeeds([makeArticle()]).collections, testSite);
  assert.ok(document);
  const entries = document.entries.map((entry) => ({ ...entry, contentHtml: html }));
  const files = renderFeedFiles({ ...document, entries }).filter((file) => file.name === 'all.xml' || file.name === 'all.atom');
  return new Map(files.map((file) => [file.name, file.body]));
}

describe('entry HTML holding "]]>" more than once', () => {
  it('is written as RSS content:encoded that reads back exactly', () => {
    const rss = parseXmlDocument(renderWithContent(HTML).get('all.xml')!).rss.channel;
    assert.equal(textOf(rss.item[0]['content:encoded']), HTML);
  });

  it('is written as Atom content that reads back exactly', () => {
    const atom = parseXmlDocument(renderWithContent(HTML).get('all.atom')!).feed;
    assert.equal(textOf(atom.entry[0].content), HTML);
  });

  it('leaves both documents well-formed for a conforming parser (expat)', async (t) => {
    if (await missingExpat(t)) return;
    assert.deepEqual(await expatErrors(renderWithContent(HTML)), []);
  });
});
