/**
 * The optional per-client limit on full (200) responses (RATE_LIMIT_FULL_RESPONSES), through the
 * app as main.ts makes it: off by default; past the limit a 429 with an integer Retry-After and
 * the service's JSON error; 304s never counted nor refused; HEAD counted like GET; /healthz never
 * limited; clients told apart by X-Forwarded-For only behind a trusted proxy (TRUST_PROXY).
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import request from 'supertest';
import type { Config } from '../../src/config.js';
import { createApp } from '../../src/http/app.js';
import type { FeedStore } from '../../src/http/feed-store.js';
import { silentLogger } from '../../src/logger.js';
import { testConfig } from '../helpers/config.js';
import { bundledStore } from '../helpers/bundled-store.js';

const identity = { 'Accept-Encoding': 'identity' };

let contentDir: string;
let feedsDir: string;
let store: FeedStore;

before(async () => {
  // Pages of 4, so there are archive pages (served from disk).
  ({ contentDir, feedsDir, store } = await bundledStore('limit', { FEED_MAX_ITEMS: '4' }));
});

/** A fresh app (and so a fresh limiter) from these settings, wired as main.ts wires it. */
function appWith(env: Record<string, string>) {
  const config: Config = testConfig(contentDir, feedsDir, env);
  return createApp({ store, logger: silentLogger, cacheMaxAgeSeconds: 300, fullResponseLimit: config.http.fullResponseLimit, trustProxy: config.http.trustProxy });
}

/** A 429 as the README describes it: integer Retry-After within the window, JSON error, no file headers. */
function assertRefused(response: request.Response, windowSeconds: number, what: string): void {
  assert.equal(response.status, 429, `${what}: expected 429, got ${response.status}`);
  const retryAfter = response.headers['retry-after'] ?? '';
  assert.match(retryAfter, /^[1-9]\d*$/, `${what}: Retry-After must be a positive integer (delay-seconds), got ${JSON.stringify(retryAfter)}`);
  assert.ok(Number(retryAfter) <= windowSeconds, `${what}: Retry-After ${retryAfter} is longer than the window`);
  assert.equal(response.headers['cache-control'], 'no-store', what);
  assert.equal(response.headers.etag, undefined, `${what}: a 429 has no ETag`);
  assert.equal(response.headers['last-modified'], undefined, `${what}: a 429 has no Last-Modified`);
  assert.equal(response.headers['x-content-type-options'], 'nosniff', what);
  if (response.request.method !== 'HEAD') {
    assert.match(response.headers['content-type'] ?? '', /^application\/json/, what);
    const body = JSON.parse(response.text) as { error: { code: string; message: string } };
    assert.deepEqual(Object.keys(body), ['error']);
    assert.equal(body.error.code, 'TOO_MANY_REQUESTS');
    assert.equal(typeof body.error.message, 'string');
  }
}

async function statuses(requests: (() => request.Test)[]): Promise<number[]> {
  const result: number[] = [];
  for (const send of requests) result.push((await send()).status);
  return result;
}

const times = <T>(count: number, value: T): T[] => Array.from({ length: count }, () => value);

describe('full-response limit: off by default', () => {
  it('answers 200 to 100 full requests from one client when RATE_LIMIT_FULL_RESPONSES is unset', async () => {
    const app = appWith({});
    const got = await statuses(times(100, () => request(app).get('/feeds/ai.xml').set(identity)));
    assert.deepEqual(got, times(100, 200));
  });
});

describe('full-response limit: on', () => {
  it('answers 429 with an integer Retry-After and a JSON error once a client has had its full responses', async () => {
    const app = appWith({ RATE_LIMIT_FULL_RESPONSES: '3', RATE_LIMIT_WINDOW_SECONDS: '60' });
    assert.deepEqual(await statuses(times(3, () => request(app).get('/feeds/ai.xml').set(identity))), [200, 200, 200]);
    assertRefused(await request(app).get('/feeds/ai.xml').set(identity), 60, 'the 4th');
    assertRefused(await request(app).get('/feeds/ai.atom').set('Accept-Encoding', 'gzip, br'), 60, 'another feed, compressed');
    assertRefused(await request(app).get('/feeds/ai').set('Accept', 'application/atom+xml'), 60, 'a negotiated feed');
    const negotiated = await request(app).get('/feeds/ai').set('Accept', 'application/atom+xml');
    assert.equal(negotiated.headers['content-location'], undefined, 'a 429 names no representation');
  });

  it('never counts nor refuses a 304: revalidation goes on past the limit', async () => {
    const app = appWith({ RATE_LIMIT_FULL_RESPONSES: '3' });
    const first = await request(app).get('/feeds/ai.xml').set(identity);
    assert.equal(first.status, 200);
    const etag = first.headers.etag!;
    const lastModified = first.headers['last-modified']!;
    // 30 revalidations, ten times the limit: all 304, none counted.
    assert.deepEqual(await statuses(times(30, () => request(app).get('/feeds/ai.xml').set({ ...identity, 'If-None-Match': etag }))), times(30, 304));
    assert.deepEqual(await statuses(times(5, () => request(app).get('/feeds/ai.xml').set({ ...identity, 'If-Modified-Since': lastModified }))), times(5, 304));
    // So two full responses are left, then the limit.
    assert.deepEqual(await statuses(times(2, () => request(app).get('/feeds/all.xml').set(identity))), [200, 200]);
    assertRefused(await request(app).get('/feeds/all.xml').set(identity), 60, 'past the limit');
    // And still 304s once refused.
    assert.equal((await request(app).get('/feeds/ai.xml').set({ ...identity, 'If-None-Match': etag })).status, 304);
    // A conditional request that does not match is a full response, so it is refused.
    assertRefused(await request(app).get('/feeds/ai.xml').set({ ...identity, 'If-None-Match': '"stale"' }), 60, 'a stale ETag');
  });

  it('counts HEAD like GET', async () => {
    const app = appWith({ RATE_LIMIT_FULL_RESPONSES: '2' });
    assert.deepEqual(await statuses([() => request(app).head('/feeds/ai.xml'), () => request(app).head('/feeds/ai.json')]), [200, 200]);
    assertRefused(await request(app).head('/feeds/ai.xml'), 60, 'a HEAD past the limit');
    assertRefused(await request(app).get('/feeds/ai.xml').set(identity), 60, 'a GET after two HEADs');
  });

  it('limits files served from disk (archive pages, the HTML index) the same way, with 304s free', async () => {
    const app = appWith({ RATE_LIMIT_FULL_RESPONSES: '2' });
    const page = await request(app).get('/feeds/archive/all/1.xml').set(identity);
    assert.equal(page.status, 200);
    assert.equal((await request(app).get('/feeds/').set(identity)).status, 200);
    assertRefused(await request(app).get('/feeds/archive/all/1.xml').set(identity), 60, 'an archive page');
    assertRefused(await request(app).get('/feeds/').set(identity), 60, 'the HTML index');
    assert.equal((await request(app).get('/feeds/archive/all/1.xml').set({ ...identity, 'If-None-Match': page.headers.etag! })).status, 304);
    assertRefused(await request(app).get('/feeds/archive/all/1.xml').set({ ...identity, 'If-None-Match': '"stale"' }), 60, 'an archive page, stale ETag');
  });

  it('refuses an unconditional request for a file on disk before reading it, so a refused crawler costs no reads', async () => {
    // ai.html is served from disk; removed, any read of it answers 404.
    await rm(path.join(feedsDir, 'ai.html'));
    assert.equal((await request(appWith({})).get('/feeds/ai.html')).status, 404, 'read, it is gone');
    const limited = appWith({ RATE_LIMIT_FULL_RESPONSES: '1' });
    assert.equal((await request(limited).get('/feeds/ai.xml').set(identity)).status, 200);
    assertRefused(await request(limited).get('/feeds/ai.html').set(identity), 60, 'refused, not read');
  });

  it('never limits /healthz nor counts errors', async () => {
    const app = appWith({ RATE_LIMIT_FULL_RESPONSES: '1' });
    assert.deepEqual(await statuses(times(10, () => request(app).get('/feeds/nope.xml'))), times(10, 404));
    assert.equal((await request(app).get('/feeds/ai.xml').set(identity)).status, 200);
    assertRefused(await request(app).get('/feeds/ai.xml').set(identity), 60, 'the 2nd');
    assert.deepEqual(await statuses(times(10, () => request(app).get('/healthz'))), times(10, 200));
  });

  it('gives a Retry-After no longer than a short window', async () => {
    const app = appWith({ RATE_LIMIT_FULL_RESPONSES: '1', RATE_LIMIT_WINDOW_SECONDS: '5' });
    await request(app).get('/feeds/ai.xml').set(identity);
    const refused = await request(app).get('/feeds/ai.xml').set(identity);
    assertRefused(refused, 5, 'a 5 s window');
  });
});

describe('full-response limit: the client behind a proxy (TRUST_PROXY)', () => {
  const from = (address: string) => ({ ...identity, 'X-Forwarded-For': address });

  it('ignores X-Forwarded-For by default: a client cannot escape the limit by sending one', async () => {
    const app = appWith({ RATE_LIMIT_FULL_RESPONSES: '2' });
    assert.deepEqual(await statuses([() => request(app).get('/feeds/ai.xml').set(from('203.0.113.1')), () => request(app).get('/feeds/ai.xml').set(from('203.0.113.2'))]), [200, 200]);
    assertRefused(await request(app).get('/feeds/ai.xml').set(from('203.0.113.3')), 60, 'a third made-up address');
  });

  it('tells clients apart by X-Forwarded-For when the proxy (here 127.0.0.1) is trusted', async () => {
    for (const trust of ['loopback', '1', '127.0.0.1']) {
      const app = appWith({ RATE_LIMIT_FULL_RESPONSES: '2', TRUST_PROXY: trust });
      for (const client of ['203.0.113.1', '203.0.113.2', '2001:db8::1']) {
        assert.deepEqual(await statuses(times(2, () => request(app).get('/feeds/ai.xml').set(from(client)))), [200, 200], `TRUST_PROXY=${trust}: ${client}`);
        assertRefused(await request(app).get('/feeds/ai.xml').set(from(client)), 60, `TRUST_PROXY=${trust}: ${client}'s 3rd`);
      }
      // Addresses of one IPv6 /64 (one subscriber's network) are one client.
      assertRefused(await request(app).get('/feeds/ai.xml').set(from('2001:db8::ffff:2')), 60, `TRUST_PROXY=${trust}: another address of the same /64`);
      // The address the trusted proxy saw is the last one it appended: a client's own entries before it do not count.
      assertRefused(await request(app).get('/feeds/ai.xml').set(from('198.51.100.9, 203.0.113.1')), 60, `TRUST_PROXY=${trust}: a spoofed first entry`);
    }
  });

  it('does not trust X-Forwarded-For from an address outside TRUST_PROXY', async () => {
    const app = appWith({ RATE_LIMIT_FULL_RESPONSES: '2', TRUST_PROXY: '10.0.0.0/8' });
    assert.deepEqual(await statuses([() => request(app).get('/feeds/ai.xml').set(from('203.0.113.1')), () => request(app).get('/feeds/ai.xml').set(from('203.0.113.2'))]), [200, 200]);
    assertRefused(await request(app).get('/feeds/ai.xml').set(from('203.0.113.3')), 60, 'the socket address (127.0.0.1) is the client');
  });
});
