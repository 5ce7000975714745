import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toUriText } from '../../src/content/uri-text.js';
import { makeArticle } from '../helpers/articles.js';

/** RFC 3986 outside the host: unreserved, reserved but `[` `]`, and percent-encoded octets only. */
const URI_AFTER_HOST = /^(?:[A-Za-z0-9\-._~:/?#@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$/;

describe('toUriText', () => {
  it('percent-encodes what WHATWG URL leaves in paths and queries but RFC 3986 forbids', () => {
    assert.equal(toUriText('https://a.example/r%201/%C3%A4?x=]]%3E&y=[2]|^{}`'), 'https://a.example/r%201/%C3%A4?x=%5D%5D%3E&y=%5B2%5D%7C%5E%7B%7D%60');
  });

  it('leaves the host alone, an IPv6 literal included', () => {
    assert.equal(toUriText('http://[::1]:8080/a[b]'), 'http://[::1]:8080/a%5Bb%5D');
  });

  it('encodes < and > in a tag URI, a lone %, a second #, and non-ASCII as UTF-8', () => {
    assert.equal(toUriText('tag:food.example.com,2026:fish&chips<1>'), 'tag:food.example.com,2026:fish&chips%3C1%3E');
    assert.equal(toUriText('urn:x:100%-sure#a#b'), 'urn:x:100%25-sure#a%23b');
    assert.equal(toUriText('https://a.example/p?q#one#two'), 'https://a.example/p?q#one%23two');
    assert.equal(toUriText('https://a.example/p?q#one'), 'https://a.example/p?q#one');
    assert.equal(toUriText('urn:x:ä😀'), 'urn:x:%C3%A4%F0%9F%98%80');
  });

  it('returns a valid URI unchanged, and only URI characters for any input', () => {
    const valid = "https://news.example.com/a/b;c?d=1&e=%20f+g,h'i(j)*~#frag/ment?";
    assert.equal(toUriText(valid), valid);
    for (const text of ['urn:x:<>"{}|\\^`[] \t', 'tag:x,2026:%zz%4', 'urn:x:\u{10FFFF}\uD800']) {
      assert.match(toUriText(text).replace(/^[a-z]+:/, ''), URI_AFTER_HOST, text);
    }
  });
});

describe('URLs and ids of an article', () => {
  it('are valid URIs: the related URL and the id of the hostile fixtures', () => {
    const article = makeArticle({
      id: 'tag:food.example.com,2026:fish&chips<1>',
      related: [{ title: 'Related', sourceUrl: 'https://related.example.net/r 1/ä?x=]]>&y=2' }],
    });
    assert.equal(article.id, 'tag:food.example.com,2026:fish&chips%3C1%3E');
    assert.equal(article.related[0]?.sourceUrl, 'https://related.example.net/r%201/%C3%A4?x=%5D%5D%3E&y=2');
  });
});
