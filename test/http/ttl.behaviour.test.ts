/**
 * RSS `<ttl>` says in minutes what Cache-Control's max-age says in seconds, for the document it is
 * in: CACHE_MAX_AGE for subscription feeds, ARCHIVE_CACHE_MAX_AGE for archive pages. Checked on
 * served responses, the header from the server and the ttl read by rss-parser.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import type { Express } from 'express';
import Parser from 'rss-parser';
import request from 'supertest';
import { buildFeeds } from '../../src/build/build-feeds.js';
import { createApp } from '../../src/http/app.js';
import { FeedStore } from '../../src/http/feed-store.js';
import { silentLogger } from '../../src/logger.js';
import { articleText, frontMatter } from '../helpers/articles.js';
import { testConfig } from '../helpers/config.js';
import { bufferParser } from '../helpers/http.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const NOW = new Date('2025-03-01T00:00:00Z');

/** The app main.ts makes, serving a build of three articles in pages of 2 under `env`. */
async function served(env: Record<string, string>): Promise<Express> {
  const contentDir = await makeTempDir('ttl-content-');
  for (const n of [1, 2, 3]) {
    await writeFile(path.join(contentDir, `a${n}.md`), articleText(frontMatter({ title: `A${n}`, sourceUrl: `https://news.example.com/${n}`, publishedDateTime: `2025-01-0${n}T00:00:00Z` })));
  }
  const config = testConfig(contentDir, path.join(await makeTempDir('ttl-feeds-'), 'feeds'), { FEED_MAX_ITEMS: '2', ...env });
  const store = new FeedStore();
  store.publish(await buildFeeds({ config, logger: silentLogger, clock: () => NOW }), NOW);
  return createApp({ store, logger: silentLogger, cacheMaxAgeSeconds: config.cacheMaxAgeSeconds, archiveCacheMaxAgeSeconds: config.archiveCacheMaxAgeSeconds });
}

/** The response's max-age and the RSS document's ttl as rss-parser reads it. */
async function maxAgeAndTtl(app: Express, url: string): Promise<{ maxAge: number | undefined; ttl: string | undefined }> {
  const response = await request(app).get(url).set('Accept-Encoding', 'identity').buffer(true).parse(bufferParser);
  assert.equal(response.status, 200, url);
  const maxAge = /(?:^|,)\s*max-age=(\d+)/.exec(response.headers['cache-control'] ?? '')?.[1];
  const feed = (await new Parser().parseString((response.body as Buffer).toString('utf8'))) as { ttl?: string };
  return { maxAge: maxAge === undefined ? undefined : Number(maxAge), ttl: feed.ttl };
}

describe('RSS <ttl> and Cache-Control max-age', () => {
  let defaults: Express;
  before(async () => {
    defaults = await served({});
  });

  it('are 5 minutes and 300 seconds on a subscription feed by default', async () => {
    assert.deepEqual(await maxAgeAndTtl(defaults, '/feeds/all.xml'), { maxAge: 300, ttl: '5' });
  });

  it('are a day on an archive page by default', async () => {
    assert.deepEqual(await maxAgeAndTtl(defaults, '/feeds/archive/all/1.xml'), { maxAge: 86_400, ttl: '1440' });
  });

  it('follow CACHE_MAX_AGE and ARCHIVE_CACHE_MAX_AGE, the ttl in whole minutes rounded down', async () => {
    const app = await served({ CACHE_MAX_AGE: '150', ARCHIVE_CACHE_MAX_AGE: '3600' });
    assert.deepEqual(await maxAgeAndTtl(app, '/feeds/ai.xml'), { maxAge: 150, ttl: '2' });
    assert.deepEqual(await maxAgeAndTtl(app, '/feeds/archive/ai/1.xml'), { maxAge: 3600, ttl: '60' });
  });

  it('leave out the ttl under a minute, where RSS has no whole number of minutes to say it', async () => {
    const app = await served({ CACHE_MAX_AGE: '0' });
    assert.deepEqual(await maxAgeAndTtl(app, '/feeds/all.xml'), { maxAge: 0, ttl: undefined });
  });
});
