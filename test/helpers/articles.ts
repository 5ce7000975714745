import yaml from 'js-yaml';
import type { Article } from '../../src/content/article-schema.js';
import { FEED_KINDS, type FeedSite } from '../../src/feeds/feed-model.js';
import { parseArticle } from '../../src/content/parse-article.js';

/** Front matter of a valid, complete article; tests override what they are about. */
export function frontMatter(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    category: 'news',
    title: 'Test Article',
    excerpt: 'An excerpt.',
    publishedDateTime: '2024-05-01T10:00:00Z',
    sourceUrl: 'https://news.example.com/2024/05/test-article/',
    type: 'article',
    quality: 50,
    heat: 40,
    published: true,
    provider: { name: 'Example News', domain: 'news.example.com' },
    topics: ['AI'],
    images: [{ url: 'https://img.example.com/a.jpg', width: 640, height: 480, title: 'An image' }],
    related: [],
    secured: 'c2VjcmV0LXZhbHVlLXRoYXQtbXVzdC1uZXZlci1sZWFr;Zm9v',
    ...overrides,
  };
}

/** The text of an article file, written with js-yaml (not the code under test). */
export function articleText(fields: Record<string, unknown> = frontMatter(), body = ''): string {
  const defined = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
  return `---\n${yaml.safeDump(defined, { lineWidth: -1 })}---\n${body}`;
}

/** A parsed Article; throws (failing the test) if the fields are invalid. */
export function makeArticle(overrides: Record<string, unknown> = {}, body = '', file = 'test-article.md'): Article {
  const result = parseArticle(articleText(frontMatter(overrides), body), file);
  if (!result.ok) throw new Error(`makeArticle: invalid fields: ${JSON.stringify(result.problem.issues)}`);
  return result.article;
}

export const testSite: FeedSite = Object.freeze({
  baseUrl: 'https://feeds.example.org',
  siteUrl: 'https://www.example.org/',
  title: 'Example Feeds',
  description: 'The latest articles about {topic}.',
  language: 'en',
  maxItems: 50,
  archives: FEED_KINDS,
  maxAgeSeconds: { subscription: 300, archive: 86_400 },
  iconUrl: 'https://feeds.example.org/feeds/icon.png',
  logoUrl: 'https://feeds.example.org/feeds/logo.png',
  maxBytes: 1024 * 1024,
});
