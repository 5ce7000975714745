/**
 * GET /metrics, read by Prometheus's own Python client (test/helpers/prometheus-text.ts): the
 * figures agree with the build and the responses the server sent, before and after a build and
 * after a failed one; METRICS=false leaves it 404.
 */
import assert from 'node:assert/strict';
import { cp } from 'node:fs/promises';
import type { Server } from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { buildFeeds, type BuildResult } from '../../src/build/build-feeds.js';
import { loadConfig } from '../../src/config.js';
import { FeedServiceError } from '../../src/errors.js';
import { createApp } from '../../src/http/app.js';
import { createHttpServer } from '../../src/http/create-server.js';
import { FeedStore } from '../../src/http/feed-store.js';
import { createServiceMetrics } from '../../src/http/service-metrics.js';
import { silentLogger } from '../../src/logger.js';
import { testConfig } from '../helpers/config.js';
import { missingPrometheusParser, parsePrometheusText, sampleValue } from '../helpers/prometheus-text.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const CONTENT = new URL('../../content/', import.meta.url).pathname;
const TIMEOUTS = loadConfig({}).http;

const servers: Server[] = [];
after(() => {
  for (const server of servers) server.close();
});

/** The server as main.ts puts it together: metrics counted on every response, served at /metrics. */
function serve(store: FeedStore, watching?: () => boolean): Server {
  const metrics = createServiceMetrics({ store, watchingContent: watching });
  const server = createHttpServer(createApp({ store, logger: silentLogger, cacheMaxAgeSeconds: 300, watchingContent: watching, metrics }), TIMEOUTS, metrics).listen(0, '127.0.0.1');
  servers.push(server);
  return server;
}

async function scrape(server: Server) {
  const response = await request(server).get('/metrics');
  assert.equal(response.status, 200);
  assert.equal(response.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  assert.equal(response.headers['cache-control'], 'no-store');
  return { text: response.text, families: await parsePrometheusText(response.text) };
}

describe('GET /metrics after a build', () => {
  let result: BuildResult;
  let store: FeedStore;

  before(async () => {
    const contentDir = path.join(await makeTempDir('metrics-content-'), 'content');
    await cp(CONTENT, contentDir, { recursive: true });
    result = await buildFeeds({ config: testConfig(contentDir, path.join(await makeTempDir('metrics-feeds-'), 'feeds')), logger: silentLogger });
    store = new FeedStore();
    store.publish(result, new Date('2026-12-07T10:00:00Z'));
  });

  it('reports the build, the responses by status and the watcher, as Prometheus reads them', async (t) => {
    if (await missingPrometheusParser(t)) return;
    let watching = true;
    const server = serve(store, () => watching);
    const first = await request(server).get('/feeds/ai.xml');
    assert.equal(first.status, 200);
    assert.equal((await request(server).get('/feeds/ai.xml').set('If-None-Match', String(first.headers.etag))).status, 304);
    assert.equal((await request(server).get('/feeds/ai.xml').set('If-None-Match', String(first.headers.etag))).status, 304);
    assert.equal((await request(server).get('/feeds/no-such-feed.xml')).status, 404);
    assert.equal((await request(server).post('/feeds/ai.xml')).status, 405);

    const { families } = await scrape(server);
    const value = (name: string, labels?: Record<string, string>) => sampleValue(families, name, labels);
    assert.equal(value('feed_service_http_responses_total', { code: '200' }), 1);
    assert.equal(value('feed_service_http_responses_total', { code: '304' }), 2);
    assert.equal(value('feed_service_http_responses_total', { code: '404' }), 1);
    assert.equal(value('feed_service_http_responses_total', { code: '405' }), 1);
    assert.equal(value('feed_service_builds_total', { outcome: 'succeeded' }), 1);
    assert.equal(value('feed_service_builds_total', { outcome: 'failed' }), 0);
    assert.equal(value('feed_service_serving'), 1);
    assert.equal(value('feed_service_last_build_failed'), 0);
    assert.equal(value('feed_service_served_build_timestamp_seconds'), Date.parse('2026-12-07T10:00:00Z') / 1000);
    assert.equal(value('feed_service_served_files'), store.snapshot?.files.size);
    assert.equal(value('feed_service_articles_published'), result.report.published);
    assert.equal(value('feed_service_articles_scheduled'), result.report.scheduled);
    assert.equal(value('feed_service_feeds'), result.report.feeds);
    assert.equal(value('feed_service_content_problems'), result.report.problems.length);
    assert.equal(value('feed_service_last_build_duration_seconds'), result.report.durationMs / 1000);
    assert.equal(value('feed_service_content_watcher_up'), 1);
    // Every family has its type and help, as Prometheus's conventions ask.
    const ours = families.filter((family) => family.name.startsWith('feed_service_'));
    assert.equal(ours.length, 12, ours.map((family) => family.name).join(', '));
    for (const family of ours) {
      assert.ok(family.help.length > 10, `${family.name} has help`);
      assert.ok(['counter', 'gauge'].includes(family.type), `${family.name}: ${family.type}`);
    }

    watching = false;
    const later = (await scrape(server)).families;
    assert.equal(sampleValue(later, 'feed_service_content_watcher_up'), 0);
    assert.equal(sampleValue(later, 'feed_service_http_responses_total', { code: '200' }), 2, 'the first scrape is counted once it was sent');
  });
});

describe('GET /metrics before the first build, and after a failed one', () => {
  it('says nothing is served, leaves out what no build has told yet, and counts the failure', async (t) => {
    if (await missingPrometheusParser(t)) return;
    const store = new FeedStore();
    const server = serve(store);
    const { families, text } = await scrape(server);
    assert.equal(sampleValue(families, 'feed_service_serving'), 0);
    assert.equal(sampleValue(families, 'feed_service_articles_published'), undefined, 'not reported as 0 articles');
    assert.doesNotMatch(text, /feed_service_content_watcher_up/, 'no watcher, no watcher metric');

    store.recordFailure(new FeedServiceError('CONTENT_FOLDER_UNAVAILABLE', 'The content folder /srv/content is missing (ENOENT).'), new Date());
    const failed = (await scrape(server)).families;
    assert.equal(sampleValue(failed, 'feed_service_builds_total', { outcome: 'failed' }), 1);
    assert.equal(sampleValue(failed, 'feed_service_last_build_failed'), 1);
    assert.equal(sampleValue(failed, 'feed_service_serving'), 0);
  });

  it('answers only the configured bearer token with METRICS_TOKEN, and tells nothing to others', async (t) => {
    if (await missingPrometheusParser(t)) return;
    const token = 'f0e1d2c3b4a5968778695a4b3c2d1e0f';
    const store = new FeedStore();
    const metrics = createServiceMetrics({ store });
    const app = createApp({ store, logger: silentLogger, cacheMaxAgeSeconds: 300, metrics, metricsToken: token });
    for (const [authorization, error] of [
      [undefined, undefined],
      ['Bearer 00000000000000000000000000000000', 'invalid_token'],
      [`Basic ${Buffer.from(`prometheus:${token}`).toString('base64')}`, 'invalid_token'],
    ] as const) {
      const refused = await (authorization === undefined ? request(app).get('/metrics') : request(app).get('/metrics').set('Authorization', authorization));
      assert.equal(refused.status, 401, String(authorization));
      assert.equal(refused.headers['www-authenticate'], error === undefined ? 'Bearer realm="metrics"' : `Bearer realm="metrics", error="${error}"`);
      assert.equal(refused.headers['cache-control'], 'no-store');
      assert.equal(refused.body.error.code, 'UNAUTHORIZED');
      assert.doesNotMatch(refused.text, /feed_service_|# HELP/, 'no figure in a refusal');
      assert.ok(!refused.text.includes(token), 'the token is never echoed');
    }
    const scraped = await request(app).get('/metrics').set('Authorization', `Bearer ${token}`);
    assert.equal(scraped.status, 200);
    assert.equal(sampleValue(await parsePrometheusText(scraped.text), 'feed_service_serving'), 0);
    // The other routes do not ask for it.
    assert.equal((await request(app).get('/healthz')).status, 503);
  });

  it('is 404 with METRICS=false (no metrics given to the app)', async () => {
    const app = createApp({ store: new FeedStore(), logger: silentLogger, cacheMaxAgeSeconds: 300 });
    assert.equal((await request(app).get('/metrics')).status, 404);
    assert.equal(loadConfig({ METRICS: 'false' }).metrics, false);
    assert.equal(loadConfig({}).metrics, true);
  });
});

describe('GET /metrics: the responses counted', () => {
  it("counts only its own server's responses, with two servers in one process", async (t) => {
    if (await missingPrometheusParser(t)) return;
    const store = new FeedStore();
    const [one, two] = [serve(store), serve(store)];
    for (let i = 0; i < 3; i++) assert.equal((await request(one).get('/healthz')).status, 503);
    assert.equal((await request(two).get('/no-such-page')).status, 404);
    const [oneSeen, twoSeen] = [(await scrape(one)).families, (await scrape(two)).families];
    assert.equal(sampleValue(oneSeen, 'feed_service_http_responses_total', { code: '503' }), 3);
    assert.equal(sampleValue(oneSeen, 'feed_service_http_responses_total', { code: '404' }), undefined);
    assert.equal(sampleValue(twoSeen, 'feed_service_http_responses_total', { code: '404' }), 1);
    assert.equal(sampleValue(twoSeen, 'feed_service_http_responses_total', { code: '503' }), undefined);
  });
});
