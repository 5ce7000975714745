import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Article } from '../../src/content/article-schema.js';
import { groupByTopic, topicSlug } from '../../src/feeds/topics.js';
import { makeArticle } from '../helpers/articles.js';

/** An article about `topics`, with its own file and URL so articles are told apart. */
function articleAbout(name: string, topics: string[]): Article {
  return makeArticle({ topics, sourceUrl: `https://news.example.com/${name}/` }, '', `${name}.md`);
}

const files = (articles: readonly Article[]) => articles.map((article) => article.file);

describe('topicSlug', () => {
  const cases: ReadonlyArray<[string, string]> = [
    ['AI', 'ai'],
    ['Machine Learning', 'machine-learning'],
    ['Zürich', 'zuerich'],
    ['São Paulo', 'sao-paulo'],
    ['Технологии', 'tekhnologii'],
    ['人工智能', '人工智能'],
    ['R&D', 'r-and-d'],
    ['  Climate   Tech ', 'climate-tech'],
    ['A.I.', 'a-i'],
    ['🚀', ''],
    // A + or # on a word names another language or product than the word alone.
    ['C', 'c'],
    ['C++', 'c-plus-plus'],
    ['C#', 'c-sharp'],
    ['F#', 'f-sharp'],
    ['Ｃ＃', 'c-sharp'],
    ['Notepad++', 'notepad-plus-plus'],
    ['C# / .NET', 'c-sharp-net'],
    // On its own or before a word, a mark is still punctuation.
    ['#AI', 'ai'],
    ['A + B', 'a-b'],
    ['+1', '1'],
  ];
  for (const [name, slug] of cases) {
    it(`${JSON.stringify(name)} → ${JSON.stringify(slug)}`, () => {
      assert.equal(topicSlug(name), slug);
    });
  }
});

describe('groupByTopic', () => {
  it('groups articles by topic', () => {
    const ai = articleAbout('ai-one', ['AI']);
    const climate = articleAbout('climate-one', ['Climate']);
    const { topics } = groupByTopic([ai, climate]);
    assert.deepEqual(
      topics.map((topic) => [topic.slug, topic.name, files(topic.articles)]),
      [
        ['ai', 'AI', ['ai-one.md']],
        ['climate', 'Climate', ['climate-one.md']],
      ],
    );
  });

  it('keeps the input order within a topic', () => {
    const articles = [articleAbout('c', ['AI']), articleAbout('a', ['AI']), articleAbout('b', ['AI'])];
    const [topic] = groupByTopic(articles).topics;
    assert.deepEqual(files(topic?.articles ?? []), ['c.md', 'a.md', 'b.md']);
  });

  it('puts an article with two topics in both', () => {
    const both = articleAbout('both', ['AI', 'Climate']);
    const { topics } = groupByTopic([both]);
    assert.deepEqual(
      topics.map((topic) => [topic.slug, files(topic.articles)]),
      [
        ['ai', ['both.md']],
        ['climate', ['both.md']],
      ],
    );
  });

  it('reports no problems when every topic has its own slug', () => {
    assert.deepEqual(groupByTopic([articleAbout('one', ['AI', 'Climate'])]).problems, []);
  });

  it('sorts topics by slug', () => {
    const { topics } = groupByTopic([articleAbout('one', ['Zebra', 'Machine Learning', 'AI'])]);
    assert.deepEqual(
      topics.map((topic) => topic.slug),
      ['ai', 'machine-learning', 'zebra'],
    );
  });

  it('merges "All" (reserved, so all-topic) with "All Topic" instead of writing one feed twice', () => {
    const { topics, problems } = groupByTopic([articleAbout('one', ['All']), articleAbout('two', ['All Topic'])]);
    assert.deepEqual(topics.map((topic) => [topic.slug, files(topic.articles)]), [['all-topic', ['one.md', 'two.md']]]);
    assert.deepEqual(problems.map((problem) => problem.issues[0]?.reason).sort(), ['reserved_slug', 'slug_collision']);
  });

  describe('slug collisions', () => {
    it('merges "AI" and "ai" into one topic', () => {
      const { topics } = groupByTopic([articleAbout('upper', ['AI']), articleAbout('lower', ['ai'])]);
      assert.deepEqual(
        topics.map((topic) => [topic.slug, files(topic.articles)]),
        [['ai', ['upper.md', 'lower.md']]],
      );
    });

    it('reports "AI" and "ai" with code TOPIC_SLUG_COLLISION', () => {
      const { problems } = groupByTopic([articleAbout('upper', ['AI']), articleAbout('lower', ['ai'])]);
      assert.deepEqual(
        problems.map((problem) => [problem.code, problem.issues.map((issue) => issue.path)]),
        [['TOPIC_SLUG_COLLISION', ['topics']]],
      );
    });

    it('names the merged topic after the spelling most articles use', () => {
      const articles = [articleAbout('one', ['ai']), articleAbout('two', ['AI']), articleAbout('three', ['ai'])];
      assert.equal(groupByTopic(articles).topics[0]?.name, 'ai');
    });

    it('does not treat "A.I." (slug a-i) as a collision with "AI"', () => {
      const { topics, problems } = groupByTopic([articleAbout('one', ['AI']), articleAbout('two', ['A.I.'])]);
      assert.deepEqual(
        topics.map((topic) => topic.slug),
        ['a-i', 'ai'],
      );
      assert.deepEqual(problems, []);
    });

    it('lists an article once when two of its topics share a slug', () => {
      const { topics } = groupByTopic([articleAbout('one', ['AI', 'ai'])]);
      assert.deepEqual(files(topics[0]?.articles ?? []), ['one.md']);
    });
  });

  describe('reserved slugs', () => {
    it('gives a topic named "All" the slug all-topic', () => {
      const { topics } = groupByTopic([articleAbout('one', ['All'])]);
      assert.deepEqual(
        topics.map((topic) => [topic.slug, topic.name]),
        [['all-topic', 'All']],
      );
    });

    it('reports a topic named "All" with code TOPIC_SLUG_COLLISION', () => {
      const { problems } = groupByTopic([articleAbout('one', ['All'])]);
      assert.deepEqual(
        problems.map((problem) => [problem.code, problem.issues.map((issue) => issue.path)]),
        [['TOPIC_SLUG_COLLISION', ['topics']]],
      );
    });
  });
});
