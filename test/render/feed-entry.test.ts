import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toFeedEntry } from '../../src/render/feed-entry.js';
import { frontMatter, makeArticle, testSite } from '../helpers/articles.js';

const SAMPLE_IMAGE_URL = 'https://www.bing.com/th?id=ON.97331B7269776F2B2C73CE8D888D034D';

const entryOf = (fields: Record<string, unknown> = {}, body = '') => toFeedEntry(makeArticle(fields, body), testSite.baseUrl);

describe('toFeedEntry', () => {
  describe('id and links', () => {
    it('uses the sourceUrl as id when the article has no id', () => {
      assert.equal(entryOf().id, 'https://news.example.com/2024/05/test-article/');
    });

    it('uses the article id when it has one', () => {
      assert.equal(entryOf({ id: 'urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427' }).id, 'urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427');
    });

    it('links to the sourceUrl', () => {
      assert.equal(entryOf({ id: 'urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427' }).link, 'https://news.example.com/2024/05/test-article/');
    });

    it('carries the ampUrl', () => {
      assert.equal(entryOf({ ampUrl: 'https://news.example.com/2024/05/test-article/amp/' }).ampUrl, 'https://news.example.com/2024/05/test-article/amp/');
    });

    it('has no ampUrl when the article has none', () => {
      assert.equal(entryOf().ampUrl, undefined);
    });
  });

  describe('text', () => {
    it('carries the title', () => {
      assert.equal(entryOf({ title: 'A Title' }).title, 'A Title');
    });

    it('uses the excerpt as summary', () => {
      assert.equal(entryOf({ excerpt: 'A & B < C' }).summary, 'A & B < C');
    });
  });

  describe('dates', () => {
    it('takes published from publishedDateTime', () => {
      assert.equal(entryOf().published.getTime(), Date.UTC(2024, 4, 1, 10, 0, 0));
    });

    it('takes updated from updatedDateTime when it is later', () => {
      assert.equal(entryOf({ updatedDateTime: '2024-05-02T08:00:00Z' }).updated.getTime(), Date.UTC(2024, 4, 2, 8, 0, 0));
    });

    it('takes updated from publishedDateTime when updatedDateTime is earlier', () => {
      assert.equal(entryOf({ updatedDateTime: '2024-04-30T08:00:00Z' }).updated.getTime(), Date.UTC(2024, 4, 1, 10, 0, 0));
    });

    it('takes updated from publishedDateTime when there is no updatedDateTime', () => {
      assert.equal(entryOf().updated.getTime(), Date.UTC(2024, 4, 1, 10, 0, 0));
    });
  });

  describe('author', () => {
    it('is the provider name with https://domain/ as url, and this service\'s RSS feed of the provider', () => {
      assert.deepEqual(entryOf({ provider: { name: 'Example News', domain: 'news.example.com' } }).author, {
        name: 'Example News',
        url: 'https://news.example.com/',
        feedUrl: `${testSite.baseUrl}/feeds/providers/news.example.com.xml`,
      });
    });

    it('has no url when the provider has no domain', () => {
      assert.equal(entryOf({ provider: { name: 'Example News' } }).author?.url, undefined);
    });

    it('is absent when the article has no provider', () => {
      assert.equal(entryOf({ provider: undefined }).author, undefined);
    });
  });

  describe('categories', () => {
    it('lists topics then the category, with the slug as term and the name as label', () => {
      assert.deepEqual(entryOf({ topics: ['Machine Learning', 'AI'], category: 'news' }).categories, [
        { term: 'machine-learning', label: 'Machine Learning' },
        { term: 'ai', label: 'AI' },
        { term: 'news', label: 'news' },
      ]);
    });

    it('lists a category that is also a topic once', () => {
      assert.deepEqual(entryOf({ topics: ['AI'], category: 'ai' }).categories, [{ term: 'ai', label: 'AI' }]);
    });

    it('is empty with no topics and no category', () => {
      assert.deepEqual(entryOf({ topics: [], category: undefined }).categories, []);
    });
  });

  describe('images', () => {
    it('maps url, width, height and title', () => {
      const [image] = entryOf({ images: [{ url: 'https://img.example.com/a.jpg', width: 640, height: 480, title: 'An image' }] }).images;
      assert.deepEqual(image, { url: 'https://img.example.com/a.jpg', type: 'image/jpeg', width: 640, height: 480, title: 'An image' });
    });

    const types: ReadonlyArray<[string, string]> = [
      ['https://img.example.com/a.jpg', 'image/jpeg'],
      ['https://img.example.com/a.JPEG', 'image/jpeg'],
      [SAMPLE_IMAGE_URL, 'image/jpeg'],
      ['https://img.example.com/a.png', 'image/png'],
    ];
    for (const [url, type] of types) {
      it(`gives ${url} the type ${type}`, () => {
        assert.equal(entryOf({ images: [{ url }] }).images[0]?.type, type);
      });
    }

    it('keeps the images in order', () => {
      const urls = ['https://img.example.com/1.png', 'https://img.example.com/2.jpg'];
      assert.deepEqual(
        entryOf({ images: urls.map((url) => ({ url })) }).images.map((image) => image.url),
        urls,
      );
    });
  });

  describe('related', () => {
    it('maps related articles to {url, title}', () => {
      const related = [{ title: 'Related One', sourceUrl: 'https://other.example.com/one', excerpt: 'dropped', quality: 3 }];
      assert.deepEqual(entryOf({ related }).related, [{ url: 'https://other.example.com/one', title: 'Related One' }]);
    });
  });

  describe('contentHtml', () => {
    it('is the excerpt in a paragraph, escaped, when the body is empty', () => {
      assert.equal(entryOf({ excerpt: 'A & B < C', related: [] }).contentHtml, '<p>A &amp; B &lt; C</p>');
    });

    it('is the rendered Markdown when there is a body', () => {
      assert.equal(entryOf({ related: [] }, 'Some *emphasis*.').contentHtml, '<p>Some <em>emphasis</em>.</p>');
    });

    it('is empty with neither body nor excerpt nor related', () => {
      assert.equal(entryOf({ excerpt: undefined, related: [] }).contentHtml, '');
    });

    it('lists the related articles as links', () => {
      const related = [
        { title: 'One & Two', sourceUrl: 'https://other.example.com/one', provider: { name: 'Other' } },
        { title: 'Three', sourceUrl: 'https://other.example.com/three' },
      ];
      const html = entryOf({ related }).contentHtml;
      assert.ok(html.startsWith('<p>An excerpt.</p>'), html);
      assert.ok(html.includes('<a href="https://other.example.com/one">One &amp; Two</a>'), html);
      assert.ok(html.includes('<a href="https://other.example.com/three">Three</a>'), html);
    });
  });

  it('has no field holding the secured value', () => {
    const secured = String(frontMatter().secured);
    const json = JSON.stringify(toFeedEntry(makeArticle({ secured }), testSite.baseUrl));
    assert.equal(json.includes(secured), false);
    assert.equal(json.includes('secured'), false);
  });
});
