import assert from 'node:assert/strict';
import { cp, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { before, describe, it } from 'node:test';
import type { Express } from 'express';
import request from 'supertest';
import { buildFeeds } from '../../src/build/build-feeds.js';
import { FeedStore } from '../../src/http/feed-store.js';
import { createApp } from '../../src/http/app.js';
import { silentLogger } from '../../src/logger.js';
import { FeedServiceError } from '../../src/errors.js';
import { testConfig } from '../helpers/config.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { builtFile, fakeBuildResult } from '../helpers/build-result.js';
import { bufferParser } from '../helpers/http.js';

const CONTENT = path.resolve(import.meta.dirname, '../../content');
const STACK_LINE = /^\s+at /m;

type Pending = ReturnType<ReturnType<typeof request>['get']>;


/**
 * The body exactly as sent: superagent would otherwise gunzip/un-brotli it before any parser
 * sees it (there is no public option for this, so the instance's decision is overridden).
 */
function rawBytes(pending: Pending): Pending {
  Object.assign(pending, { _shouldDecompress: () => false });
  return pending.buffer(true).parse(bufferParser);
}

let feedsDir: string;
let store: FeedStore;
let app: Express;

before(async () => {
  const contentDir = path.join(await makeTempDir('app-content-'), 'content');
  feedsDir = path.join(await makeTempDir('app-feeds-'), 'feeds');
  await cp(CONTENT, contentDir, { recursive: true });
  const config = testConfig(contentDir, feedsDir);
  store = new FeedStore();
  store.publish(await buildFeeds({ config, logger: silentLogger }), new Date());
  app = createApp({ store, logger: silentLogger, cacheMaxAgeSeconds: 300 });
});

describe('GET /feeds/:name: headers', () => {
  const types: [string, string][] = [
    ['ai.xml', 'application/rss+xml; charset=utf-8'],
    ['ai.atom', 'application/atom+xml; charset=utf-8'],
    ['ai.json', 'application/feed+json; charset=utf-8'],
    ['all.xml', 'application/rss+xml; charset=utf-8'],
    ['index.opml', 'text/x-opml; charset=utf-8'],
  ];
  for (const [name, contentType] of types) {
    it(`serves ${name} as ${contentType.split(';')[0]}`, async () => {
      const response = await request(app).get(`/feeds/${name}`).set('Accept-Encoding', 'identity');
      assert.equal(response.status, 200);
      assert.equal(response.headers['content-type'], contentType);
    });
  }

  it('sends ETag, Last-Modified, Cache-Control, nosniff and Vary', async () => {
    const response = await request(app).get('/feeds/ai.xml').set('Accept-Encoding', 'identity');
    assert.equal(response.status, 200);
    assert.match(response.headers.etag ?? '', /^"[A-Za-z0-9_-]+"$/);
    assert.ok(!Number.isNaN(Date.parse(response.headers['last-modified'] ?? '')));
    assert.equal(response.headers['cache-control'], 'public, max-age=300');
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
    assert.equal(response.headers.vary, 'Accept, Accept-Encoding');
    assert.equal(response.headers['x-powered-by'], undefined);
  });

  it('sends the modification time of the file on disk as Last-Modified', async () => {
    const { mtime } = await stat(path.join(feedsDir, 'ai.xml'));
    const response = await request(app).get('/feeds/ai.xml').set('Accept-Encoding', 'identity');
    assert.equal(response.headers['last-modified'], mtime.toUTCString());
  });
});

describe('GET /feeds/:name: the same bytes the build wrote', () => {
  for (const name of ['ai.xml', 'ai.atom', 'ai.json', 'all.json', 'index.opml', 'index.html']) {
    it(`serves ${name} byte for byte as written to the feeds folder`, async () => {
      const response = await rawBytes(request(app).get(`/feeds/${name}`).set('Accept-Encoding', 'identity'));
      assert.equal(response.status, 200);
      const onDisk = await readFile(path.join(feedsDir, name));
      assert.ok(Buffer.isBuffer(response.body));
      assert.ok((response.body as Buffer).equals(onDisk), `${name} differs from the file on disk`);
      assert.equal(response.headers['content-length'], String(onDisk.length));
    });
  }
});

describe('GET /feeds/:name: conditional requests', () => {
  let etag: string;
  let lastModified: string;

  before(async () => {
    const response = await request(app).get('/feeds/ai.xml').set('Accept-Encoding', 'identity');
    etag = response.headers.etag ?? '';
    lastModified = response.headers['last-modified'] ?? '';
  });

  const get = (headers: Record<string, string>) => rawBytes(request(app).get('/feeds/ai.xml').set({ 'Accept-Encoding': 'identity', ...headers }));

  it('answers 304 with no body and the ETag when If-None-Match matches', async () => {
    const response = await get({ 'If-None-Match': etag });
    assert.equal(response.status, 304);
    assert.equal(response.headers.etag, etag);
    assert.equal((response.body as Buffer).length, 0);
    assert.equal(response.headers['cache-control'], 'public, max-age=300');
    assert.equal(response.headers['content-type'], undefined, 'no representation metadata on a 304 (RFC 9110 §15.4.5)');
  });

  it('compares ETags weakly: a W/ prefix still matches', async () => {
    assert.equal((await get({ 'If-None-Match': `W/${etag}` })).status, 304);
  });

  it("answers 304 to If-None-Match: *", async () => {
    assert.equal((await get({ 'If-None-Match': '*' })).status, 304);
  });

  it('finds the ETag in a list', async () => {
    assert.equal((await get({ 'If-None-Match': `"other", ${etag}` })).status, 304);
  });

  it('answers 200 when If-None-Match does not match', async () => {
    const response = await get({ 'If-None-Match': '"something-else"' });
    assert.equal(response.status, 200);
    assert.ok((response.body as Buffer).length > 0);
  });

  it('accepts the ETag of the gzip variant as a validator of the identity variant', async () => {
    const gzip = await request(app).get('/feeds/ai.xml').set('Accept-Encoding', 'gzip');
    assert.equal(gzip.headers.etag, `${etag.slice(0, -1)}.gzip"`);
    assert.equal((await get({ 'If-None-Match': gzip.headers.etag ?? '' })).status, 304);
  });

  it('answers 304 when If-Modified-Since equals Last-Modified', async () => {
    const response = await get({ 'If-Modified-Since': lastModified });
    assert.equal(response.status, 304);
    assert.equal((response.body as Buffer).length, 0);
  });

  it('answers 304 when If-Modified-Since is later than Last-Modified', async () => {
    const later = new Date(Date.parse(lastModified) + 60_000).toUTCString();
    assert.equal((await get({ 'If-Modified-Since': later })).status, 304);
  });

  it('answers 200 when If-Modified-Since is before Last-Modified', async () => {
    const earlier = new Date(Date.parse(lastModified) - 1000).toUTCString();
    assert.equal((await get({ 'If-Modified-Since': earlier })).status, 200);
  });

  it('ignores a malformed If-Modified-Since', async () => {
    assert.equal((await get({ 'If-Modified-Since': 'yesterday-ish' })).status, 200);
  });

  it('lets If-None-Match win over If-Modified-Since', async () => {
    const response = await get({ 'If-None-Match': '"something-else"', 'If-Modified-Since': lastModified });
    assert.equal(response.status, 200);
  });

  it('answers 200 when If-Match names the ETag, or If-Unmodified-Since is not before Last-Modified', async () => {
    for (const headers of [{ 'If-Match': etag }, { 'If-Match': '*' }, { 'If-Unmodified-Since': lastModified }] as Record<string, string>[]) {
      const response = await get(headers);
      assert.equal(response.status, 200, JSON.stringify(headers));
      assert.ok((response.body as Buffer).length > 0);
    }
  });

  it('answers 412 PRECONDITION_FAILED when If-Match names another version, or the feed changed after If-Unmodified-Since', async () => {
    const earlier = new Date(Date.parse(lastModified) - 1000).toUTCString();
    for (const headers of [{ 'If-Match': '"something-else"' }, { 'If-Match': `W/${etag}` }, { 'If-Unmodified-Since': earlier }, { 'If-Match': '"something-else"', 'If-None-Match': etag }] as Record<string, string>[]) {
      const response = await request(app).get('/feeds/ai.xml').set(headers);
      assert.equal(response.status, 412, JSON.stringify(headers));
      assert.equal(response.body.error.code, 'PRECONDITION_FAILED');
      assert.equal(response.headers['cache-control'], 'no-store');
      assert.equal(response.headers.etag, undefined);
    }
  });

  it('evaluates If-Match on a page read from disk too', async () => {
    const page = await request(app).get('/feeds/ai.html').set('Accept-Encoding', 'identity');
    assert.equal(page.status, 200);
    assert.equal((await request(app).get('/feeds/ai.html').set('If-Match', page.headers.etag ?? '')).status, 200);
    assert.equal((await request(app).get('/feeds/ai.html').set('If-Match', '"something-else"')).status, 412);
  });
});

describe('HEAD /feeds/:name', () => {
  it('answers with the same headers as GET, a Content-Length, and no body', async () => {
    const got = await request(app).get('/feeds/ai.xml').set('Accept-Encoding', 'identity');
    const head = await rawBytes(request(app).head('/feeds/ai.xml').set('Accept-Encoding', 'identity'));
    assert.equal(head.status, 200);
    for (const header of ['content-type', 'etag', 'last-modified', 'cache-control', 'vary', 'x-content-type-options', 'content-length']) {
      assert.equal(head.headers[header], got.headers[header], header);
    }
    assert.equal(head.headers['content-length'], String(Buffer.byteLength(got.text)));
    assert.equal((head.body as Buffer | undefined)?.length ?? 0, 0);
  });
});

describe('GET /feeds/:name: compression', () => {
  let identity: Buffer;

  before(async () => {
    identity = await readFile(path.join(feedsDir, 'ai.xml'));
  });

  it('sends gzip when the client accepts it, and the bytes gunzip to the identity body', async () => {
    const response = await rawBytes(request(app).get('/feeds/ai.xml').set('Accept-Encoding', 'gzip'));
    assert.equal(response.status, 200);
    assert.equal(response.headers['content-encoding'], 'gzip');
    assert.equal(response.headers.vary, 'Accept, Accept-Encoding');
    assert.equal(response.headers['content-type'], 'application/rss+xml; charset=utf-8');
    const body = response.body as Buffer;
    assert.equal(response.headers['content-length'], String(body.length));
    assert.ok(body.length < identity.length);
    assert.ok(gunzipSync(body).equals(identity));
  });

  it('sends brotli when the client accepts it, and the bytes decompress to the identity body', async () => {
    const response = await rawBytes(request(app).get('/feeds/ai.xml').set('Accept-Encoding', 'br'));
    assert.equal(response.headers['content-encoding'], 'br');
    assert.ok(brotliDecompressSync(response.body as Buffer).equals(identity));
    assert.match(response.headers.etag ?? '', /\.br"$/);
  });

  it('prefers brotli when the client lists it first', async () => {
    const response = await rawBytes(request(app).get('/feeds/ai.xml').set('Accept-Encoding', 'br, gzip'));
    assert.equal(response.headers['content-encoding'], 'br');
  });

  it('prefers brotli when a browser lists gzip first (gzip, deflate, br, zstd)', async () => {
    const response = await rawBytes(request(app).get('/feeds/ai.xml').set('Accept-Encoding', 'gzip, deflate, br, zstd'));
    assert.equal(response.headers['content-encoding'], 'br');
  });

  it('honours q=0', async () => {
    const response = await rawBytes(request(app).get('/feeds/ai.xml').set('Accept-Encoding', 'br;q=0, gzip'));
    assert.equal(response.headers['content-encoding'], 'gzip');
  });

  it('sends identity bytes when no coding is acceptable', async () => {
    const response = await rawBytes(request(app).get('/feeds/ai.xml').set('Accept-Encoding', 'identity'));
    assert.equal(response.headers['content-encoding'], undefined);
    assert.ok((response.body as Buffer).equals(identity));
  });

  it('decodes to the same text as the identity response (as a client sees it)', async () => {
    const gzip = await request(app).get('/feeds/ai.xml').set('Accept-Encoding', 'gzip');
    assert.equal(gzip.headers['content-encoding'], 'gzip');
    assert.equal(gzip.text, identity.toString('utf8'));
  });
});

describe('GET /feeds/: errors', () => {
  it('answers 404 FEED_NOT_FOUND as JSON for an unknown topic', async () => {
    const response = await request(app).get('/feeds/nope.xml');
    assert.equal(response.status, 404);
    assert.match(response.headers['content-type'] ?? '', /^application\/json/);
    assert.equal(response.body.error.code, 'FEED_NOT_FOUND');
    assert.equal(response.headers['cache-control'], 'no-store');
  });

  it('answers 404 for a known topic with an unknown extension', async () => {
    assert.equal((await request(app).get('/feeds/ai.rss')).status, 404);
  });

  for (const url of ['/feeds/..%2f..%2fetc%2fpasswd', '/feeds/..%252f..%252fetc%252fpasswd', '/feeds/%2e%2e%2f%2e%2e%2fetc%2fpasswd', '/feeds/....//....//etc/passwd']) {
    it(`does not leave the feeds for ${url}`, async () => {
      const response = await request(app).get(url);
      assert.equal(response.status, 404);
      assert.ok(!response.text.includes('root:'));
      assert.doesNotMatch(response.text, STACK_LINE);
    });
  }

  it('answers 404 to a path whose slashes are percent-encoded, which would be a second URL of a file', async () => {
    const nested = [...store.snapshot!.files.keys()].find((name) => name.includes('/'));
    assert.ok(nested, 'the build has a file in a folder');
    assert.equal((await request(app).get(`/feeds/${nested}`)).status, 200);
    for (const encoded of [nested.replaceAll('/', '%2F'), nested.replaceAll('/', '%2f'), nested.replace(/\.[a-z]+$/, '').replaceAll('/', '%2F')]) {
      const response = await request(app).get(`/feeds/${encoded}`);
      assert.equal(response.status, 404, encoded);
      assert.equal(response.body.error.code, 'FEED_NOT_FOUND');
    }
  });

  it('answers 400 JSON, without a stack trace, for a malformed percent-encoding', async () => {
    const response = await request(app).get('/feeds/%E0%A4%A');
    assert.equal(response.status, 400);
    assert.equal(response.body.error.code, 'BAD_REQUEST');
    assert.doesNotMatch(response.text, STACK_LINE);
    assert.doesNotMatch(response.text, /URIError|decode/);
  });

  it('answers 405 with Allow: GET, HEAD to other methods, on / too', async () => {
    for (const pending of [request(app).post('/feeds/ai.xml'), request(app).put('/feeds/ai.xml'), request(app).delete('/feeds/'), request(app).post('/healthz'), request(app).post('/'), request(app).delete('/')]) {
      const response = await pending;
      assert.equal(response.status, 405);
      assert.equal(response.headers.allow, 'GET, HEAD');
      assert.equal(response.body.error.code, 'METHOD_NOT_ALLOWED');
    }
  });

  it('answers 404 JSON for a path outside /feeds/', async () => {
    const response = await request(app).get('/etc/passwd');
    assert.equal(response.status, 404);
    assert.equal(response.body.error.code, 'NOT_FOUND');
    assert.ok(!response.text.includes('root:'));
  });
});

describe('the index and the root', () => {
  for (const url of ['/feeds/', '/feeds/index.html']) {
    it(`serves index.html at ${url}`, async () => {
      const response = await request(app).get(url).set('Accept-Encoding', 'identity');
      assert.equal(response.status, 200);
      assert.equal(response.headers['content-type'], 'text/html; charset=utf-8');
      assert.equal(response.text, await readFile(path.join(feedsDir, 'index.html'), 'utf8'));
    });
  }

  it('redirects /feeds to /feeds/ with 301, where the index\'s relative stylesheet link works (GET and HEAD)', async () => {
    for (const pending of [request(app).get('/feeds'), request(app).head('/feeds')]) {
      const response = await pending.redirects(0);
      assert.equal(response.status, 301);
      assert.equal(response.headers.location, '/feeds/');
    }
  });

  it('keeps the query string when it redirects /feeds to /feeds/ (GET and HEAD)', async () => {
    for (const pending of [request(app).get('/feeds?from=menu&x=%2F%20'), request(app).head('/feeds?from=menu&x=%2F%20')]) {
      const response = await pending.redirects(0);
      assert.equal(response.status, 301);
      assert.equal(response.headers.location, '/feeds/?from=menu&x=%2F%20');
    }
  });

  it('redirects / to /feeds/ with 302, keeping the query', async () => {
    const response = await request(app).get('/').redirects(0);
    assert.equal(response.status, 302);
    assert.equal(response.headers.location, '/feeds/');
    const withQuery = await request(app).get('/?utm_source=x&y=%2F').redirects(0);
    assert.equal(withQuery.headers.location, '/feeds/?utm_source=x&y=%2F');
  });
});

describe('GET /healthz', () => {
  it("answers 200 'ok' with the last build's counts", async () => {
    const response = await request(app).get('/healthz');
    assert.equal(response.status, 200);
    assert.equal(response.headers['cache-control'], 'no-store');
    const health = response.body as ReturnType<FeedStore['health']>;
    assert.equal(health.status, 'ok');
    assert.equal(health.lastScheduledBuildFailed, false);
    assert.equal(health.lastFailure, null);
    assert.ok(health.lastBuild);
    assert.equal(health.lastBuild.files, store.snapshot?.files.size);
    assert.ok(health.lastBuild.articles > 0);
    assert.equal(health.lastBuild.drafts, 2);
    assert.ok(health.lastBuild.feeds > 1);
    assert.equal(typeof health.lastBuild.durationMs, 'number');
    assert.equal(response.body.contentWatcher, 'off', 'no watcher given: WATCH_CONTENT=false');
  });

  it("says whether the content watcher hears of changes now ('watching' or 'failed'), without changing the status", async () => {
    let watching = true;
    const watchedApp = createApp({ store, logger: silentLogger, cacheMaxAgeSeconds: 300, watchingContent: () => watching });
    const before = await request(watchedApp).get('/healthz');
    assert.equal(before.body.contentWatcher, 'watching');
    watching = false;
    const after = await request(watchedApp).get('/healthz');
    assert.equal(after.body.contentWatcher, 'failed');
    assert.equal(after.status, 200);
    assert.equal(after.body.status, 'ok', 'the feeds served are right; only new changes wait for the schedule');
  });
});

describe('before the first build', () => {
  const empty = () => createApp({ store: new FeedStore(), logger: silentLogger, cacheMaxAgeSeconds: 300 });

  it('answers 503 NOT_READY for a feed, with Retry-After', async () => {
    const response = await request(empty()).get('/feeds/ai.xml');
    assert.equal(response.status, 503);
    assert.equal(response.body.error.code, 'NOT_READY');
    assert.ok(response.headers['retry-after']);
    assert.equal(response.headers['cache-control'], 'no-store');
  });

  it("answers 503 'starting' on /healthz", async () => {
    const response = await request(empty()).get('/healthz');
    assert.equal(response.status, 503);
    assert.equal(response.body.status, 'starting');
    assert.equal(response.body.lastBuild, null);
  });

  it("answers 503 'failing' on /healthz once the first build has failed, with the failure", async () => {
    const failed = new FeedStore();
    failed.recordFailure(new FeedServiceError('CONTENT_FOLDER_UNAVAILABLE', 'The content folder /srv/content is missing (ENOENT).'), new Date());
    const response = await request(createApp({ store: failed, logger: silentLogger, cacheMaxAgeSeconds: 300 })).get('/healthz');
    assert.equal(response.status, 503);
    assert.equal(response.body.status, 'failing');
    assert.equal(response.body.lastFailure.code, 'CONTENT_FOLDER_UNAVAILABLE');
  });
});

describe('conditional GET: ETag edge cases', () => {
  it('matches an identity ETag whose hash happens to end in "-br" (base64url can)', async () => {
    // This body's sha256 in base64url ends in "-br"; a suffix-stripping matcher would never 304 it.
    const store = new FeedStore();
    store.publish(fakeBuildResult([builtFile('ai.xml', '<rss>102317</rss>')]), new Date('2024-05-01T10:00:00Z'));
    const edgeApp = createApp({ store, logger: silentLogger, cacheMaxAgeSeconds: 300 });
    const first = await request(edgeApp).get('/feeds/ai.xml').set('Accept-Encoding', 'identity');
    assert.match(first.headers.etag ?? '', /-br"$/);
    const second = await request(edgeApp).get('/feeds/ai.xml').set({ 'Accept-Encoding': 'identity', 'If-None-Match': first.headers.etag ?? '' });
    assert.equal(second.status, 304);
  });
});

describe('Last-Modified of a version dated into the next second', () => {
  it('is not sent until that second has come, and If-Modified-Since then gets the whole body', async () => {
    // The build dates a version written in the second of the one it replaces the next whole
    // second (write-feeds.ts, versionMtime), which may not have come yet.
    const store = new FeedStore();
    const ahead = new Date(Date.now() + 60_000);
    store.publish(fakeBuildResult([builtFile('ai.xml', '<rss>v2</rss>', undefined, ahead), builtFile('space.xml', '<rss>s</rss>')]), new Date());
    const app = createApp({ store, logger: silentLogger, cacheMaxAgeSeconds: 300 });
    const response = await request(app).get('/feeds/ai.xml');
    assert.equal(response.status, 200);
    assert.equal(response.headers['last-modified'], undefined);
    assert.ok(Date.parse(response.headers.date ?? '') < ahead.getTime());
    const revalidated = await request(app).get('/feeds/ai.xml').set('If-Modified-Since', new Date().toUTCString());
    assert.equal(revalidated.status, 200, 'a reader revalidating by date gets the new bytes');
    // A version dated in the past keeps its Last-Modified.
    assert.equal((await request(app).get('/feeds/space.xml')).headers['last-modified'], 'Wed, 01 May 2024 10:00:00 GMT');
  });
});
