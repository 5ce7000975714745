/**
 * How /metrics counts responses: from Node.js's diagnostics channel for finished responses,
 * subscribed while the server listens. In a file of its own, so that no other server of the
 * process is subscribed when it checks that a closed server is let go.
 */
import assert from 'node:assert/strict';
import diagnosticsChannel from 'node:diagnostics_channel';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import request from 'supertest';
import { loadConfig } from '../../src/config.js';
import { createApp } from '../../src/http/app.js';
import { createHttpServer } from '../../src/http/create-server.js';
import { FeedStore } from '../../src/http/feed-store.js';
import { createServiceMetrics } from '../../src/http/service-metrics.js';
import { silentLogger } from '../../src/logger.js';
import { missingPrometheusParser, parsePrometheusText, sampleValue } from '../helpers/prometheus-text.js';

describe('GET /metrics: the subscription that counts responses', () => {
  it('lets go of its server once it has closed, and counts again if it listens again', async (t) => {
    if (await missingPrometheusParser(t)) return;
    const channel = diagnosticsChannel.channel('http.server.response.finish');
    assert.equal(channel.hasSubscribers, false, 'nothing else in this file subscribes');
    const store = new FeedStore();
    const metrics = createServiceMetrics({ store });
    const server = createHttpServer(createApp({ store, logger: silentLogger, cacheMaxAgeSeconds: 300, metrics }), loadConfig({}).http, metrics);
    assert.equal(channel.hasSubscribers, false, 'not before it listens');
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    assert.equal(channel.hasSubscribers, true);
    assert.equal((await request(server).get('/healthz')).status, 503);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    assert.equal(channel.hasSubscribers, false, 'the closed server is still held by the channel');

    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      assert.equal((await request(server).get('/healthz')).status, 503);
      const scraped = await request(server).get('/metrics');
      assert.equal(sampleValue(await parsePrometheusText(scraped.text), 'feed_service_http_responses_total', { code: '503' }), 2);
    } finally {
      server.close();
    }
  });
});
