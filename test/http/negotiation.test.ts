/**
 * Content negotiation and the headers that go with it: /feeds/<path> without an extension picks a
 * format from Accept; a browser asking for an .xml or .atom feed gets it as application/xml (so
 * feed.xsl applies); nested provider, category and archive paths are served; archive pages get
 * their own Cache-Control; every response carries the security headers.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import type { Express } from 'express';
import request from 'supertest';
import { buildFeeds, type BuildResult } from '../../src/build/build-feeds.js';
import { FeedStore } from '../../src/http/feed-store.js';
import { createApp } from '../../src/http/app.js';
import { silentLogger } from '../../src/logger.js';
import { articleText, frontMatter } from '../helpers/articles.js';
import { testConfig } from '../helpers/config.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { bufferParser } from '../helpers/http.js';

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const READER_ACCEPT = 'application/rss+xml, application/atom+xml;q=0.9';
const CACHE_MAX_AGE = 300;
const ARCHIVE_CACHE_MAX_AGE = 86_400;

type Pending = ReturnType<ReturnType<typeof request>['get']>;


/** GET `url` without compression, the body as raw bytes. */
function get(url: string, headers: Record<string, string> = {}): Pending {
  return request(app).get(url).set({ 'Accept-Encoding': 'identity', ...headers }).buffer(true).parse(bufferParser);
}

const varyOf = (response: { headers: Record<string, string | undefined> }) =>
  (response.headers.vary ?? '').split(',').map((value) => value.trim().toLowerCase());

let app: Express;
let built: BuildResult;

/** The bytes the build produced for `name`. */
function builtBytes(name: string): Buffer {
  const file = built.files.find((candidate) => candidate.name === name);
  assert.ok(file, `the build produced no ${name}`);
  return readFileSync(path.join(built.feedsDir!, name));
}

before(async () => {
  const contentDir = await makeTempDir('negotiation-content-');
  // Five AI articles with two per feed: ai.* (articles 5, 4) plus archive pages archive/ai/1
  // (article 1) and archive/ai/2 (article 2), the first archive's two halves, and archive/ai/3 (4, 3).
  for (const n of [1, 2, 3, 4, 5]) {
    const fields = frontMatter({ title: `Article ${n}`, sourceUrl: `https://news.example.com/${n}`, publishedDateTime: `2024-05-0${n}T10:00:00Z` });
    await writeFile(path.join(contentDir, `article-${n}.md`), articleText(fields));
  }
  const config = testConfig(contentDir, path.join(await makeTempDir('negotiation-feeds-'), 'feeds'), { FEED_MAX_ITEMS: '2' });
  built = await buildFeeds({ config, logger: silentLogger });
  const store = new FeedStore();
  store.publish(built, new Date());
  app = createApp({ store, logger: silentLogger, cacheMaxAgeSeconds: CACHE_MAX_AGE, archiveCacheMaxAgeSeconds: ARCHIVE_CACHE_MAX_AGE });
});

describe('GET /feeds/<path> without an extension: content negotiation', () => {
  const cases: [accept: string, file: string, contentType: string][] = [
    ['application/atom+xml', 'ai.atom', 'application/atom+xml; charset=utf-8'],
    ['application/feed+json', 'ai.json', 'application/feed+json; charset=utf-8'],
    ['application/json', 'ai.json', 'application/feed+json; charset=utf-8'],
    ['application/rss+xml', 'ai.xml', 'application/rss+xml; charset=utf-8'],
    ['text/html', 'ai.html', 'text/html; charset=utf-8'],
    // Parameters the file satisfies do not prevent the match (RFC 5023 §12.1 for type=feed).
    ['application/atom+xml; charset=utf-8', 'ai.atom', 'application/atom+xml; charset=utf-8'],
    ['application/atom+xml;type=feed', 'ai.atom', 'application/atom+xml; charset=utf-8'],
    ['application/atom+xml; type="feed"; charset=UTF-8', 'ai.atom', 'application/atom+xml; charset=utf-8'],
    ['application/feed+json;charset=utf-8', 'ai.json', 'application/feed+json; charset=utf-8'],
    ['application/json; charset=utf-8', 'ai.json', 'application/feed+json; charset=utf-8'],
    ['text/html; charset=utf-8', 'ai.html', 'text/html; charset=utf-8'],
    ['application/rss+xml; charset=utf-8, application/atom+xml;type=feed;q=0.9', 'ai.xml', 'application/rss+xml; charset=utf-8'],
    // Parameters after the weight are accept-extensions, not the type's (RFC 9110 §12.5.1).
    ['application/atom+xml;q=0.9;charset=utf-8', 'ai.atom', 'application/atom+xml; charset=utf-8'],
    ['application/atom+xml;q=0.9;charset=iso-8859-1', 'ai.atom', 'application/atom+xml; charset=utf-8'],
    ['application/feed+json; q=0.5; type=feed', 'ai.json', 'application/feed+json; charset=utf-8'],
    ['text/html; q=0.5; level=1', 'ai.html', 'text/html; charset=utf-8'],
    ['application/rss+xml;q=0.4, application/atom+xml;type=feed;q=0.5;ext="a,b"', 'ai.atom', 'application/atom+xml; charset=utf-8'],
  ];
  for (const [accept, file, contentType] of cases) {
    it(`answers Accept: ${accept} with ${file} as ${contentType.split(';')[0]}`, async () => {
      const response = await get('/feeds/ai', { Accept: accept });
      assert.equal(response.status, 200);
      assert.equal(response.headers['content-type'], contentType);
      assert.ok((response.body as Buffer).equals(builtBytes(file)), `the body is ${file}`);
    });

    it(`names /feeds/${file} in Content-Location for Accept: ${accept}`, async () => {
      const response = await get('/feeds/ai', { Accept: accept });
      assert.equal(response.headers['content-location'], `/feeds/${file}`);
    });
  }

  it('says the response varies with Accept', async () => {
    const response = await get('/feeds/ai', { Accept: 'application/atom+xml' });
    assert.ok(varyOf(response).includes('accept'), response.headers.vary);
  });

  it('answers a request without Accept with RSS', async () => {
    const response = await request(app).get('/feeds/ai').set('Accept-Encoding', 'identity').unset('Accept').buffer(true).parse(bufferParser);
    assert.equal(response.status, 200);
    assert.equal(response.headers['content-type'], 'application/rss+xml; charset=utf-8');
    assert.ok((response.body as Buffer).equals(builtBytes('ai.xml')));
  });

  it('does not take an Atom entry document (type=entry) for the Atom feed, and answers RSS', async () => {
    const response = await get('/feeds/ai', { Accept: 'application/atom+xml;type=entry' });
    assert.equal(response.headers['content-type'], 'application/rss+xml; charset=utf-8');
  });

  it('weighs a range by its q even with parameters after it: RSS at q=0.5 wins over Atom at q=0.4', async () => {
    const response = await get('/feeds/ai', { Accept: 'application/rss+xml; q=0.5; type=feed, application/atom+xml; q=0.4' });
    assert.equal(response.headers['content-type'], 'application/rss+xml; charset=utf-8');
  });

  it('still refuses a type parameter before the weight that the file lacks: application/atom+xml;type=entry;q=0.9;x=1', async () => {
    const response = await get('/feeds/ai', { Accept: 'application/atom+xml;type=entry;q=0.9;x=1' });
    assert.equal(response.headers['content-type'], 'application/rss+xml; charset=utf-8');
  });

  it('answers a feed reader that prefers RSS over Atom with RSS', async () => {
    const response = await get('/feeds/ai', { Accept: READER_ACCEPT });
    assert.equal(response.headers['content-type'], 'application/rss+xml; charset=utf-8');
  });

  it('answers a browser with the HTML page', async () => {
    const response = await get('/feeds/ai', { Accept: BROWSER_ACCEPT });
    assert.equal(response.headers['content-type'], 'text/html; charset=utf-8');
    assert.ok((response.body as Buffer).equals(builtBytes('ai.html')));
  });

  it('negotiates nested paths too: /feeds/providers/<domain>', async () => {
    const response = await get('/feeds/providers/news.example.com', { Accept: 'application/atom+xml' });
    assert.equal(response.status, 200);
    assert.ok((response.body as Buffer).equals(builtBytes('providers/news.example.com.atom')));
    assert.equal(response.headers['content-location'], '/feeds/providers/news.example.com.atom');
  });

  it('answers 404 FEED_NOT_FOUND for an unknown feed', async () => {
    const response = await request(app).get('/feeds/nope').set('Accept', 'application/atom+xml');
    assert.equal(response.status, 404);
    assert.equal(response.body.error.code, 'FEED_NOT_FOUND');
  });

  it('answers 304 to If-None-Match with the ETag of the negotiated response', async () => {
    const first = await get('/feeds/ai', { Accept: 'application/atom+xml' });
    assert.ok(first.headers.etag);
    const second = await get('/feeds/ai', { Accept: 'application/atom+xml', 'If-None-Match': first.headers.etag });
    assert.equal(second.status, 304);
    assert.equal((second.body as Buffer).length, 0);
    assert.ok(varyOf(second).includes('accept'), second.headers.vary);
  });

  it('answers 200 when the ETag is that of another format', async () => {
    const rss = await get('/feeds/ai', { Accept: 'application/rss+xml' });
    const atom = await get('/feeds/ai', { Accept: 'application/atom+xml', 'If-None-Match': rss.headers.etag ?? '' });
    assert.notEqual(rss.headers.etag, atom.headers.etag);
    assert.equal(atom.status, 200);
    assert.ok((atom.body as Buffer).equals(builtBytes('ai.atom')));
  });
});

describe('GET /feeds/<name>.xml and .atom: browsers get application/xml', () => {
  it('serves RSS to a browser as application/xml, same bytes', async () => {
    const response = await get('/feeds/ai.xml', { Accept: BROWSER_ACCEPT });
    assert.equal(response.status, 200);
    assert.equal(response.headers['content-type'], 'application/xml; charset=utf-8');
    assert.ok((response.body as Buffer).equals(builtBytes('ai.xml')));
  });

  it('serves Atom to a browser as application/xml, same bytes', async () => {
    const response = await get('/feeds/ai.atom', { Accept: BROWSER_ACCEPT });
    assert.equal(response.headers['content-type'], 'application/xml; charset=utf-8');
    assert.ok((response.body as Buffer).equals(builtBytes('ai.atom')));
  });

  it('says the response varies with Accept', async () => {
    const response = await get('/feeds/ai.xml', { Accept: BROWSER_ACCEPT });
    assert.ok(varyOf(response).includes('accept'), response.headers.vary);
  });

  it('serves RSS to a feed reader as application/rss+xml', async () => {
    const response = await get('/feeds/ai.xml', { Accept: READER_ACCEPT });
    assert.equal(response.headers['content-type'], 'application/rss+xml; charset=utf-8');
  });

  it('serves a feed to a reader that names its type with parameters, and HTML second, as the feed type', async () => {
    const rss = await get('/feeds/ai.xml', { Accept: 'application/rss+xml; charset=utf-8, text/html;q=0.5' });
    assert.equal(rss.headers['content-type'], 'application/rss+xml; charset=utf-8');
    const atom = await get('/feeds/ai.atom', { Accept: 'application/atom+xml;type=feed, text/html;q=0.5' });
    assert.equal(atom.headers['content-type'], 'application/atom+xml; charset=utf-8');
  });

  it('serves a feed to a reader whose feed type has parameters after its weight, and HTML lower, as the feed type', async () => {
    const rss = await get('/feeds/ai.xml', { Accept: 'application/rss+xml; q=0.9; type=feed, text/html;q=0.5' });
    assert.equal(rss.headers['content-type'], 'application/rss+xml; charset=utf-8');
    const atom = await get('/feeds/ai.atom', { Accept: 'application/atom+xml;q=0.9;ext=1, text/html;q=0.5' });
    assert.equal(atom.headers['content-type'], 'application/atom+xml; charset=utf-8');
  });

  it('serves Atom to a feed reader as application/atom+xml', async () => {
    const response = await get('/feeds/ai.atom', { Accept: READER_ACCEPT });
    assert.equal(response.headers['content-type'], 'application/atom+xml; charset=utf-8');
  });

  it('gives the browser view an ETag of its own, in every coding: it is another representation', async () => {
    for (const coding of ['identity', 'gzip', 'br']) {
      const view = await get('/feeds/ai.xml', { Accept: BROWSER_ACCEPT, 'Accept-Encoding': coding });
      const feed = await get('/feeds/ai.xml', { Accept: READER_ACCEPT, 'Accept-Encoding': coding });
      assert.match(view.headers.etag ?? '', /^"[^"]+"$/, coding);
      assert.notEqual(view.headers.etag, feed.headers.etag, coding);
    }
  });

  for (const url of ['/feeds/ai.xml', '/feeds/ai.atom', '/feeds/archive/ai/1.xml']) {
    it(`answers a revalidation of ${url} with 304 only for the ETag of the representation asked for`, async () => {
      const view = (await get(url, { Accept: BROWSER_ACCEPT })).headers.etag ?? '';
      const feed = (await get(url, { Accept: READER_ACCEPT })).headers.etag ?? '';
      assert.equal((await get(url, { Accept: BROWSER_ACCEPT, 'If-None-Match': view })).status, 304);
      assert.equal((await get(url, { Accept: READER_ACCEPT, 'If-None-Match': feed })).status, 304);
      assert.equal((await get(url, { Accept: BROWSER_ACCEPT, 'If-None-Match': feed })).status, 200);
      assert.equal((await get(url, { Accept: READER_ACCEPT, 'If-None-Match': view })).status, 200);
      // A cache holding both sends both; the 304's ETag says which one is current.
      const both = await get(url, { Accept: BROWSER_ACCEPT, 'If-None-Match': `${feed}, ${view}` });
      assert.equal(both.status, 304);
      assert.equal(both.headers.etag, view);
    });

    it(`sends no Content-Type with a 304 of ${url}, for the browser view or the feed (RFC 9110 §15.4.5)`, async () => {
      for (const accept of [BROWSER_ACCEPT, READER_ACCEPT]) {
        const etag = (await get(url, { Accept: accept })).headers.etag ?? '';
        const response = await get(url, { Accept: accept, 'If-None-Match': etag });
        assert.equal(response.status, 304);
        assert.equal(response.headers['content-type'], undefined, accept);
        assert.equal(response.headers.etag, etag);
        assert.ok(varyOf(response).includes('accept'));
      }
    });
  }

  it('serves JSON Feed to a browser as application/feed+json (no stylesheet applies to JSON)', async () => {
    const response = await get('/feeds/ai.json', { Accept: BROWSER_ACCEPT });
    assert.equal(response.headers['content-type'], 'application/feed+json; charset=utf-8');
  });
});

describe('nested paths', () => {
  const cases: [url: string, file: string, contentType: string][] = [
    ['/feeds/providers/news.example.com.xml', 'providers/news.example.com.xml', 'application/rss+xml; charset=utf-8'],
    ['/feeds/categories/news.atom', 'categories/news.atom', 'application/atom+xml; charset=utf-8'],
    ['/feeds/archive/ai/1.xml', 'archive/ai/1.xml', 'application/rss+xml; charset=utf-8'],
    ['/feeds/archive/ai/2.json', 'archive/ai/2.json', 'application/feed+json; charset=utf-8'],
  ];
  for (const [url, file, contentType] of cases) {
    it(`serves ${url}`, async () => {
      const response = await get(url, { Accept: READER_ACCEPT });
      assert.equal(response.status, 200);
      assert.equal(response.headers['content-type'], contentType);
      assert.ok((response.body as Buffer).equals(builtBytes(file)));
    });
  }

  it('answers 404 for an archive page that does not exist', async () => {
    const response = await request(app).get('/feeds/archive/ai/4.xml');
    assert.equal(response.status, 404);
    assert.equal(response.body.error.code, 'FEED_NOT_FOUND');
  });
});

describe('Cache-Control', () => {
  it('gives archive pages archiveCacheMaxAgeSeconds', async () => {
    for (const url of ['/feeds/archive/ai/1.xml', '/feeds/archive/ai/2.atom', '/feeds/archive/ai/1.json']) {
      const response = await get(url);
      assert.equal(response.headers['cache-control'], `public, max-age=${ARCHIVE_CACHE_MAX_AGE}`, url);
    }
  });

  it('gives a negotiated archive page archiveCacheMaxAgeSeconds too', async () => {
    const response = await get('/feeds/archive/ai/1', { Accept: 'application/atom+xml' });
    assert.equal(response.status, 200);
    assert.equal(response.headers['cache-control'], `public, max-age=${ARCHIVE_CACHE_MAX_AGE}`);
  });

  it('gives subscription feeds cacheMaxAgeSeconds', async () => {
    for (const url of ['/feeds/ai.xml', '/feeds/ai', '/feeds/providers/news.example.com.atom']) {
      const response = await get(url);
      assert.equal(response.headers['cache-control'], `public, max-age=${CACHE_MAX_AGE}`, url);
    }
  });
});

describe('security headers', () => {
  const requests: [label: string, send: () => Pending | ReturnType<ReturnType<typeof request>['head']>][] = [
    ['a feed', () => get('/feeds/ai.xml')],
    ['a negotiated feed', () => get('/feeds/ai', { Accept: 'application/atom+xml' })],
    ['a feed served to a browser', () => get('/feeds/ai.xml', { Accept: BROWSER_ACCEPT })],
    ['an archive page', () => get('/feeds/archive/ai/1.atom')],
    ['the index', () => get('/feeds/')],
    ['a 304', () => get('/feeds/ai.xml', { 'If-None-Match': '*' })],
    ['a 404', () => get('/feeds/nope')],
    ['a 404 outside /feeds/', () => get('/nothing-here')],
    ['a 405', () => request(app).post('/feeds/ai.xml')],
    ['a HEAD', () => request(app).head('/feeds/ai.json')],
  ];
  for (const [label, send] of requests) {
    it(`sends Content-Security-Policy and X-Content-Type-Options: nosniff with ${label}`, async () => {
      const response = await send();
      assert.match(response.headers['content-security-policy'] ?? '', /default-src 'none'/);
      assert.equal(response.headers['x-content-type-options'], 'nosniff');
    });
  }
});
