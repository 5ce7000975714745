import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Article } from '../../src/content/article-schema.js';
import { entryId, selectPublishable } from '../../src/feeds/select-articles.js';
import { makeArticle } from '../helpers/articles.js';

const NOW = new Date('2024-06-01T12:00:00Z');

/** An article in file `name`.md at its own URL; `fields` override the rest. */
function article(name: string, fields: Record<string, unknown> = {}): Article {
  return makeArticle({ sourceUrl: `https://news.example.com/${name}/`, ...fields }, '', `${name}.md`);
}

const files = (articles: readonly Article[]) => articles.map((item) => item.file);

describe('selectPublishable', () => {
  it('excludes drafts (published: false) and lists them as drafts', () => {
    const selection = selectPublishable([article('live'), article('draft', { published: false })], NOW);
    assert.deepEqual(files(selection.publishable), ['live.md']);
    assert.deepEqual(files(selection.drafts), ['draft.md']);
  });

  it('holds back an article dated after now', () => {
    const selection = selectPublishable([article('future', { publishedDateTime: '2024-06-01T12:00:01Z' })], NOW);
    assert.deepEqual(files(selection.publishable), []);
    assert.deepEqual(files(selection.scheduled), ['future.md']);
  });

  it('publishes a held-back article once now passes its date', () => {
    const future = article('future', { publishedDateTime: '2024-06-02T00:00:00Z' });
    const later = new Date('2024-06-02T00:00:01Z');
    assert.deepEqual(files(selectPublishable([future], later).publishable), ['future.md']);
  });

  it('publishes an article dated exactly now', () => {
    const selection = selectPublishable([article('now', { publishedDateTime: NOW.toISOString() })], NOW);
    assert.deepEqual(files(selection.publishable), ['now.md']);
  });

  it('orders articles newest first', () => {
    const articles = [
      article('middle', { publishedDateTime: '2024-05-02T00:00:00Z' }),
      article('oldest', { publishedDateTime: '2024-05-01T00:00:00Z' }),
      article('newest', { publishedDateTime: '2024-05-03T00:00:00Z' }),
    ];
    assert.deepEqual(files(selectPublishable(articles, NOW).publishable), ['newest.md', 'middle.md', 'oldest.md']);
  });

  it('orders articles with equal dates by entry id, not by file name', () => {
    const date = '2024-05-01T00:00:00Z';
    const articles = [
      makeArticle({ publishedDateTime: date, sourceUrl: 'https://news.example.com/b/' }, '', 'a.md'),
      makeArticle({ publishedDateTime: date, sourceUrl: 'https://news.example.com/a/' }, '', 'b.md'),
    ];
    assert.deepEqual(files(selectPublishable(articles, NOW).publishable), ['b.md', 'a.md']);
  });

  it('gives the same order whatever the input order', () => {
    const date = '2024-05-01T00:00:00Z';
    const articles = [article('x', { publishedDateTime: date }), article('y', { publishedDateTime: date }), article('z')];
    const forward = files(selectPublishable(articles, NOW).publishable);
    const backward = files(selectPublishable([...articles].reverse(), NOW).publishable);
    assert.deepEqual(backward, forward);
  });

  describe('duplicate entry ids', () => {
    const sharedUrl = 'https://news.example.com/shared/';

    it('publishes only the file that sorts first when two published in the same instant share a sourceUrl', () => {
      const second = makeArticle({ sourceUrl: sharedUrl, title: 'Second' }, '', 'b.md');
      const first = makeArticle({ sourceUrl: sharedUrl, title: 'First' }, '', 'a.md');
      assert.deepEqual(files(selectPublishable([second, first], NOW).publishable), ['a.md']);
    });

    for (const copyName of ['one (copy).md', 'one - Copy.md', 'one copy.md', 'Copy of one.md', 'news/one (1).md']) {
      it(`keeps the id with one.md when ${JSON.stringify(copyName)}, a copy of it with its date left unchanged, claims it too`, () => {
        // A copy started as a new article, title edited, URL and date forgotten: it must not replace the original.
        const original = makeArticle({ sourceUrl: sharedUrl, title: 'Original' }, '', 'one.md');
        const copy = makeArticle({ sourceUrl: sharedUrl, title: 'New article' }, '', copyName);
        for (const order of [[copy, original], [original, copy]]) {
          const { publishable, problems } = selectPublishable(order, NOW);
          assert.deepEqual(files(publishable), ['one.md']);
          assert.deepEqual(problems.map((problem) => problem.file), [copyName]);
        }
      });
    }

    it('keeps the id with the article published first, even when a later one sorts first by file', () => {
      const original = makeArticle({ sourceUrl: sharedUrl, publishedDateTime: '2024-05-01T00:00:00Z' }, '', 'z-original.md');
      const copy = makeArticle({ sourceUrl: sharedUrl, publishedDateTime: '2024-05-20T00:00:00Z' }, '', 'a-copy.md');
      const { publishable, problems } = selectPublishable([copy, original], NOW);
      assert.deepEqual(files(publishable), ['z-original.md']);
      assert.deepEqual(
        problems.map((problem) => [problem.file, problem.issues[0]?.message]),
        [['a-copy.md', `gives the entry id ${sharedUrl}, which z-original.md already has; only z-original.md is published`]],
      );
    });

    it('reports the other file with code DUPLICATE_ID at path sourceUrl', () => {
      const second = makeArticle({ sourceUrl: sharedUrl }, '', 'b.md');
      const first = makeArticle({ sourceUrl: sharedUrl }, '', 'a.md');
      const { problems } = selectPublishable([second, first], NOW);
      assert.deepEqual(
        problems.map((problem) => [problem.code, problem.file, problem.issues.map((issue) => issue.path)]),
        [['DUPLICATE_ID', 'b.md', ['sourceUrl']]],
      );
    });

    it('reports a duplicate id at path id', () => {
      const id = 'urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427';
      const articles = [article('one', { id }), article('two', { id })];
      const { publishable, problems } = selectPublishable(articles, NOW);
      assert.deepEqual(files(publishable), ['one.md']);
      assert.deepEqual(
        problems.map((problem) => [problem.code, problem.file, problem.issues.map((issue) => issue.path)]),
        [['DUPLICATE_ID', 'two.md', ['id']]],
      );
    });

    it('does not count a draft as a duplicate', () => {
      const articles = [makeArticle({ sourceUrl: sharedUrl, published: false }, '', 'a.md'), makeArticle({ sourceUrl: sharedUrl }, '', 'b.md')];
      const { publishable, problems } = selectPublishable(articles, NOW);
      assert.deepEqual(files(publishable), ['b.md']);
      assert.deepEqual(problems, []);
    });
  });
});

describe('entryId', () => {
  it('is the article id when it has one', () => {
    const id = 'tag:news.example.com,2024:test-article';
    assert.equal(entryId(article('with-id', { id })), id);
  });

  it('is the sourceUrl when the article has no id', () => {
    assert.equal(entryId(article('without-id')), 'https://news.example.com/without-id/');
  });
});
