import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toPlainName, withoutHtmlTags } from '../../src/content/plain-text.js';
import { makeArticle } from '../helpers/articles.js';

describe('withoutHtmlTags', () => {
  it('removes start, end and empty tags of HTML elements, attributes and all', () => {
    assert.equal(withoutHtmlTags('<b>Bold</b> & <i class="x">claims</i><br/>!'), 'Bold & claims!');
  });

  it('removes script and style elements with their text, also when unclosed', () => {
    assert.equal(withoutHtmlTags("A </title><script>alert(1)</script>B<style>p{}</style>"), 'A B');
    assert.equal(withoutHtmlTags('A <script>alert(1)'), 'A ');
  });

  it('keeps what only looks like markup: comparisons, tags that are no HTML element, entity text', () => {
    for (const text of ['1 < 2 > 0', 'R&D <Lab>', 'Ben & Jerry\'s <News> "Desk"', 'Fish &amp; Chips &lt;not a tag&gt;', '<3 and >_<']) {
      assert.equal(withoutHtmlTags(text), text);
    }
  });
});

describe('toPlainName', () => {
  it('collapses the white space a removed tag leaves', () => {
    assert.equal(toPlainName('  <b>Bold</b>   <i>x</i>  '), 'Bold x');
  });
});

describe('titles and names of an article', () => {
  it('lose their HTML tags when the article is read, in every field that titles or names something', () => {
    const article = makeArticle({
      title: '<b>Bold</b> title',
      category: '<i>News</i>',
      topics: ['<em>AI</em>'],
      provider: { name: '<span>Wire</span> & Co', domain: 'wire.example.com' },
      images: [{ url: 'https://img.example.com/a.png', title: '<b>Chart</b>' }],
      related: [{ title: 'See <i>also</i>', sourceUrl: 'https://other.example.com/r' }],
    });
    assert.deepEqual(
      [article.title, article.category, article.topics, article.provider?.name, article.images[0]?.title, article.related[0]?.title],
      ['Bold title', 'News', ['AI'], 'Wire & Co', 'Chart', 'See also'],
    );
  });

  it('keeps the excerpt as typed: it is written as escaped text inside HTML, never read as markup', () => {
    assert.equal(makeArticle({ excerpt: '<b>rise</b> & fall' }).excerpt, '<b>rise</b> & fall');
  });
});
