/**
 * collectFeeds: which feeds a build writes (all topics, each topic, each provider, each
 * category) and which articles each holds. Input is publishable articles, newest first.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Article } from '../../src/content/article-schema.js';
import { collectFeeds, type FeedCollection } from '../../src/feeds/feed-collections.js';
import { makeArticle } from '../helpers/articles.js';

/** Article `n` of a test: its own sourceUrl (so its own entry id) and a date that grows with `n`. */
function article(n: number, overrides: Record<string, unknown> = {}): Article {
  return makeArticle(
    { title: `Article ${n}`, sourceUrl: `https://news.example.com/${n}`, publishedDateTime: `2024-05-${String(n).padStart(2, '0')}T10:00:00Z`, ...overrides },
    '',
    `article-${n}.md`,
  );
}

const paths = (collections: readonly FeedCollection<Article>[]) => collections.map((collection) => collection.path);
const byPath = (collections: readonly FeedCollection<Article>[], path: string): FeedCollection<Article> => {
  const found = collections.find((collection) => collection.path === path);
  assert.ok(found, `no collection ${path} among ${paths(collections).join(', ')}`);
  return found;
};
const titles = (collection: FeedCollection<Article>) => collection.articles.map((a) => a.title);

describe('collectFeeds', () => {
  describe('the all-topics feed', () => {
    it("comes first, at the path 'all', with every article", () => {
      const articles = [article(3, { topics: ['Space'] }), article(2, { topics: ['AI'] }), article(1, { topics: [] })];
      const { collections } = collectFeeds(articles);
      assert.equal(collections[0]?.path, 'all');
      assert.equal(collections[0]?.kind, 'all');
      assert.deepEqual(titles(collections[0]!), ['Article 3', 'Article 2', 'Article 1']);
    });

    it('exists even when there are no articles', () => {
      const { collections } = collectFeeds([]);
      assert.deepEqual(
        collections.map((collection) => [collection.path, collection.articles.length]),
        [['all', 0]],
      );
    });
  });

  describe('topic feeds', () => {
    it('gives each topic one collection at its slug, holding the articles filed under it', () => {
      const articles = [article(3, { topics: ['Machine Learning', 'Space'] }), article(2, { topics: ['AI'] }), article(1, { topics: ['Space'] })];
      const { collections } = collectFeeds(articles);
      const topics = collections.filter((collection) => collection.kind === 'topic');
      assert.deepEqual(paths(topics).sort(), ['ai', 'machine-learning', 'space']);
      assert.deepEqual(titles(byPath(collections, 'space')), ['Article 3', 'Article 1']);
      assert.equal(byPath(collections, 'machine-learning').name, 'Machine Learning');
    });

    it('reports topic names that differ but share a slug, and merges them into one feed', () => {
      const articles = [article(2, { topics: ['AI'] }), article(1, { topics: ['ai'] })];
      const { collections, problems } = collectFeeds(articles);
      assert.deepEqual(
        problems.map((problem) => [problem.code, problem.issues.map((issue) => [issue.path, issue.reason])]),
        [['TOPIC_SLUG_COLLISION', [['topics', 'slug_collision']]]],
      );
      assert.deepEqual(titles(byPath(collections, 'ai')), ['Article 2', 'Article 1']);
    });

    it('gives C, C++ and C# feeds of their own, with no collision (the marks were separators once, and merged them into c)', () => {
      const articles = [article(3, { topics: ['C'] }), article(2, { topics: ['C++'] }), article(1, { topics: ['C#'] })];
      const { collections, problems } = collectFeeds(articles);
      assert.deepEqual(problems, []);
      assert.deepEqual(
        [byPath(collections, 'c'), byPath(collections, 'c-plus-plus'), byPath(collections, 'c-sharp')].map((collection) => [collection.name, titles(collection)]),
        [
          ['C', ['Article 3']],
          ['C++', ['Article 2']],
          ['C#', ['Article 1']],
        ],
      );
    });
  });

  describe('provider feeds', () => {
    it('keys a provider with a domain by the domain: providers/pymnts.com', () => {
      const { collections } = collectFeeds([article(1, { provider: { name: 'PYMNTS', domain: 'pymnts.com' } })]);
      const providers = collections.filter((collection) => collection.kind === 'provider');
      assert.deepEqual(paths(providers), ['providers/pymnts.com']);
    });

    it("keys a provider without a domain by its name's slug", () => {
      const { collections } = collectFeeds([article(1, { provider: { name: 'The Daily Planet' } })]);
      const providers = collections.filter((collection) => collection.kind === 'provider');
      assert.deepEqual(paths(providers), ['providers/the-daily-planet']);
    });

    it("uses the provider's name, not its domain, as the display name", () => {
      const { collections } = collectFeeds([article(1, { provider: { name: 'PYMNTS', domain: 'pymnts.com' } })]);
      assert.equal(byPath(collections, 'providers/pymnts.com').name, 'PYMNTS');
    });

    it('files each article under its own provider only', () => {
      const articles = [
        article(3, { provider: { name: 'PYMNTS', domain: 'pymnts.com' } }),
        article(2, { provider: { name: 'Example News', domain: 'news.example.com' } }),
        article(1, { provider: { name: 'PYMNTS', domain: 'pymnts.com' } }),
      ];
      const { collections } = collectFeeds(articles);
      assert.deepEqual(titles(byPath(collections, 'providers/pymnts.com')), ['Article 3', 'Article 1']);
      assert.deepEqual(titles(byPath(collections, 'providers/news.example.com')), ['Article 2']);
    });

    it('writes no provider feed for an article without a provider', () => {
      const { collections } = collectFeeds([article(1, { provider: undefined })]);
      assert.deepEqual(
        collections.filter((collection) => collection.kind === 'provider'),
        [],
      );
    });

    it('merges provider spellings that share a slug without reporting them', () => {
      const articles = [article(2, { provider: { name: 'Daily Planet' } }), article(1, { provider: { name: 'daily planet' } })];
      const { collections, problems } = collectFeeds(articles);
      const providers = collections.filter((collection) => collection.kind === 'provider');
      assert.deepEqual(paths(providers), ['providers/daily-planet']);
      assert.deepEqual(titles(providers[0]!), ['Article 2', 'Article 1']);
      assert.deepEqual(problems, []);
    });
  });

  describe('category feeds', () => {
    it('gives each category one collection: categories/news', () => {
      const articles = [article(3, { category: 'news' }), article(2, { category: 'Analysis' }), article(1, { category: 'news' })];
      const { collections } = collectFeeds(articles);
      const categories = collections.filter((collection) => collection.kind === 'category');
      assert.deepEqual(paths(categories).sort(), ['categories/analysis', 'categories/news']);
      assert.deepEqual(titles(byPath(collections, 'categories/news')), ['Article 3', 'Article 1']);
    });

    it('merges category spellings that share a slug without reporting them', () => {
      const articles = [article(2, { category: 'News' }), article(1, { category: 'news' })];
      const { collections, problems } = collectFeeds(articles);
      const categories = collections.filter((collection) => collection.kind === 'category');
      assert.deepEqual(paths(categories), ['categories/news']);
      assert.deepEqual(titles(categories[0]!), ['Article 2', 'Article 1']);
      assert.deepEqual(problems, []);
    });
  });

  it('keeps the newest-first input order in every collection', () => {
    const articles = [5, 4, 3, 2, 1].map((n) => article(n, { topics: ['AI', 'Space'], category: 'news' }));
    const { collections } = collectFeeds(articles);
    const expected = ['Article 5', 'Article 4', 'Article 3', 'Article 2', 'Article 1'];
    for (const collection of collections) assert.deepEqual(titles(collection), expected, collection.path);
  });
});
