/**
 * frameSizes: the byte sizes the budget (FEED_MAX_BYTES) is applied from must be those of the
 * files as written, measured here on the rendered text with Buffer.byteLength.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { collectFeeds } from '../../src/feeds/feed-collections.js';
import type { FeedDocument } from '../../src/feeds/feed-model.js';
import { renderEntryFragments } from '../../src/render/entry-fragments.js';
import { BUDGET_FORMATS, frameSizes, renderDocumentFiles } from '../../src/render/render-document.js';
import { makeArticle, testSite } from '../helpers/articles.js';
import { buildFeedDocuments } from '../helpers/documents.js';

/** Documents of articles with multi-byte text everywhere (titles, topic, provider, deletion notices). */
function documents(): FeedDocument[] {
  const list = [3, 2, 1].map((n) =>
    makeArticle(
      { title: `Ärtikel ${n} — 人工智能 🚀`, sourceUrl: `https://news.example.com/${n}`, publishedDateTime: `2024-05-0${n}T10:00:00Z`, topics: ['Künstliche Intelligenz'], provider: { name: 'Nachrichten Ü' } },
      `Body ${n}: 日本語 & <b>bold</b>`,
      `article-${n}.md`,
    ),
  );
  const { collections } = collectFeeds(list);
  const gone = [{ id: 'https://news.example.com/gone-é', deletedAt: new Date('2024-06-01T00:00:00Z') }];
  const tombstones = new Map(collections.map((collection) => [collection.path, gone]));
  return buildFeedDocuments(collections, { ...testSite, maxItems: 2, hubUrl: 'https://hub.example.com/' }, { tombstones });
}

describe('frameSizes', () => {
  it('gives, with the entries, the byte length of each feed file of every document', () => {
    const all = documents();
    assert.ok(all.some((document) => document.archive) && all.some((document) => document.deleted.length), 'archive pages and deletion notices');
    for (const document of all) {
      const fragments = document.entries.map(renderEntryFragments);
      const files = renderDocumentFiles(document, fragments);
      frameSizes(document).forEach((frame, index) => {
        const format = BUDGET_FORMATS[index]!;
        const entries = fragments.reduce((sum, fragment) => sum + Buffer.byteLength(fragment[format]), 0);
        const expected = Buffer.byteLength(files.find((file) => file.name === `${document.path}.${format === 'rss' ? 'xml' : format}`)!.body);
        assert.equal(frame.fixed + entries + (fragments.length - 1) * frame.between, expected, `${document.path} ${format}`);
      });
    }
  });

  it("does not depend on the document's updated date (frames are measured before the entries are chosen)", () => {
    for (const document of documents()) {
      for (const updated of [new Date(0), new Date('2026-12-31T23:59:59.999Z'), new Date('2024-02-09T01:02:03Z')]) {
        assert.deepEqual(frameSizes({ ...document, updated }), frameSizes(document), `${document.path} at ${updated.toISOString()}`);
      }
    }
  });
});
