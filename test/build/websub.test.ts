/**
 * WebSub publisher notifications, against a local stand-in for a hub (an HTTP server on
 * 127.0.0.1, port 0) that records what it is sent. Then the whole path: two real builds through
 * buildAndPublish with the notifier as onChanged.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { buildFeeds } from '../../src/build/build-feeds.js';
import { FeedStore } from '../../src/http/feed-store.js';
import { silentLogger } from '../../src/logger.js';
import { changedFeedUrls, createHubNotifier } from '../../src/build/websub.js';
import { buildAndPublish } from '../../src/build/schedule.js';
import { articleText, frontMatter } from '../helpers/articles.js';
import { testConfig } from '../helpers/config.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { builtFile, fakeBuildResult } from '../helpers/build-result.js';
import { collectingLogger } from '../helpers/logger.js';

const BASE_URL = 'https://feeds.example.org';

interface Notification {
  readonly method: string;
  readonly contentType: string | undefined;
  readonly form: Record<string, string>;
}

interface FakeHub {
  readonly url: string;
  readonly received: Notification[];
  /** How the hub answers: a status code, or 'never' to leave the request hanging. */
  answer: number | 'never';
  close(): Promise<void>;
}

/** A hub stand-in on an ephemeral port; records each request's method, type and form body. */
async function startHub(): Promise<FakeHub> {
  const received: Notification[] = [];
  const hub: { answer: number | 'never' } = { answer: 204 };
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        method: request.method ?? '',
        contentType: request.headers['content-type'],
        form: Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))),
      });
      if (hub.answer !== 'never') response.writeHead(hub.answer).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return Object.assign(hub, {
    url: `http://127.0.0.1:${port}/`,
    received,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  }) as FakeHub;
}


const WRITTEN = ['ai.xml', 'ai.atom', 'ai.json', 'ai.html', 'archive/ai/1.xml', 'index.opml', 'providers/x.com.xml'];

let hub: FakeHub;
before(async () => {
  hub = await startHub();
});
after(async () => {
  await hub.close();
});
beforeEach(() => {
  hub.received.length = 0;
  hub.answer = 204;
});

describe('changedFeedUrls', () => {
  it('keeps RSS, Atom and JSON Feed files and gives their public URLs', () => {
    assert.deepEqual(changedFeedUrls(['ai.xml', 'ai.atom', 'ai.json'], BASE_URL), [
      `${BASE_URL}/feeds/ai.xml`,
      `${BASE_URL}/feeds/ai.atom`,
      `${BASE_URL}/feeds/ai.json`,
    ]);
  });

  it('leaves out the HTML view, the indexes and the stylesheet', () => {
    assert.deepEqual(changedFeedUrls(['ai.html', 'index.html', 'index.opml', 'feed.xsl', 'feed.css'], BASE_URL), []);
  });

  it('leaves out archive pages, which nobody subscribes to', () => {
    assert.deepEqual(changedFeedUrls(['archive/ai/1.xml', 'archive/ai/1.atom', 'archive/providers/x.com/2.json'], BASE_URL), []);
  });

  it('keeps nested provider and category feeds with their slashes', () => {
    assert.deepEqual(changedFeedUrls(['providers/x.com.xml', 'categories/news.atom'], BASE_URL), [
      `${BASE_URL}/feeds/providers/x.com.xml`,
      `${BASE_URL}/feeds/categories/news.atom`,
    ]);
  });

  it('percent-encodes each path segment', () => {
    assert.deepEqual(changedFeedUrls(['人工智能.xml'], BASE_URL), [`${BASE_URL}/feeds/%E4%BA%BA%E5%B7%A5%E6%99%BA%E8%83%BD.xml`]);
  });

  it('gives nothing for nothing written', () => {
    assert.deepEqual(changedFeedUrls([], BASE_URL), []);
  });
});

describe('createHubNotifier', () => {
  it('sends one notification per changed subscription feed, and none for other files', async () => {
    await createHubNotifier({ hubUrl: hub.url, baseUrl: BASE_URL, logger: silentLogger })(WRITTEN);
    assert.deepEqual(
      hub.received.map((notification) => notification.form['hub.url']),
      ['ai.xml', 'ai.atom', 'ai.json', 'providers/x.com.xml'].map((name) => `${BASE_URL}/feeds/${name}`),
    );
  });

  it('POSTs a form-encoded hub.mode=publish for each', async () => {
    await createHubNotifier({ hubUrl: hub.url, baseUrl: BASE_URL, logger: silentLogger })(WRITTEN);
    assert.equal(hub.received.length, 4);
    for (const notification of hub.received) {
      assert.equal(notification.method, 'POST');
      assert.equal(notification.contentType, 'application/x-www-form-urlencoded');
      assert.equal(notification.form['hub.mode'], 'publish');
      assert.deepEqual(Object.keys(notification.form).sort(), ['hub.mode', 'hub.url']);
    }
  });

  it('sends nothing when no feed changed', async () => {
    await createHubNotifier({ hubUrl: hub.url, baseUrl: BASE_URL, logger: silentLogger })(['index.html', 'archive/ai/1.atom']);
    assert.deepEqual(hub.received, []);
  });

  it('logs a warning with the status, and does not throw, when the hub answers 500', async () => {
    hub.answer = 500;
    const { logger, entries } = collectingLogger();
    await createHubNotifier({ hubUrl: hub.url, baseUrl: BASE_URL, logger })(['ai.xml']);
    const warnings = entries.filter((entry) => entry.level === 'warn');
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]?.status, 500);
    assert.equal(warnings[0]?.url, `${BASE_URL}/feeds/ai.xml`);
  });

  it('gives up on a hub that never answers after timeoutMs, logs a warning, and does not throw', async () => {
    hub.answer = 'never';
    const { logger, entries } = collectingLogger();
    const started = Date.now();
    await createHubNotifier({ hubUrl: hub.url, baseUrl: BASE_URL, logger, timeoutMs: 200 })(['ai.xml']);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 150 && elapsed < 2000, `took ${elapsed} ms`);
    assert.equal(hub.received.length, 1);
    assert.equal(entries.filter((entry) => entry.level === 'warn').length, 1);
  });

  it('logs a warning, and does not throw, when nothing listens at the hub URL', async () => {
    const gone = await startHub();
    await gone.close();
    const { logger, entries } = collectingLogger();
    await createHubNotifier({ hubUrl: gone.url, baseUrl: BASE_URL, logger, timeoutMs: 1000 })(['ai.xml']);
    assert.equal(entries.filter((entry) => entry.level === 'warn').length, 1);
  });
});

describe('WebSub through buildAndPublish: only changed feeds are announced', () => {
  const NOW = new Date('2025-01-01T00:00:00Z');
  const ARTICLES = {
    'ai-one.md': frontMatter({
      title: 'AI one',
      sourceUrl: 'https://news.example.com/ai-one',
      topics: ['AI'],
      category: 'news',
      provider: { name: 'Example News', domain: 'news.example.com' },
      publishedDateTime: '2024-05-01T10:00:00Z',
    }),
    'ai-robots.md': frontMatter({
      title: 'AI and robots',
      sourceUrl: 'https://other.example.com/ai-robots',
      topics: ['AI', 'Robots'],
      category: 'analysis',
      provider: { name: 'Other', domain: 'other.example.com' },
      publishedDateTime: '2024-05-02T10:00:00Z',
    }),
    'space.md': frontMatter({
      title: 'Space one',
      sourceUrl: 'https://orbit.example.com/space',
      topics: ['Space'],
      category: 'news',
      provider: { name: 'Orbit', domain: 'orbit.example.com' },
      publishedDateTime: '2024-05-03T10:00:00Z',
    }),
  };
  const FEEDS = ['all', 'ai', 'robots', 'space', 'providers/news.example.com', 'providers/other.example.com', 'providers/orbit.example.com', 'categories/news', 'categories/analysis'];
  const urlsOf = (feeds: readonly string[]) => feeds.flatMap((feed) => ['xml', 'atom', 'json'].map((extension) => `${BASE_URL}/feeds/${feed}.${extension}`)).sort();

  let contentDir: string;
  let publish: () => Promise<void>;
  const notified = () => hub.received.map((notification) => notification.form['hub.url']).sort();

  before(async () => {
    contentDir = await makeTempDir('websub-content-');
    for (const [name, fields] of Object.entries(ARTICLES)) await writeFile(path.join(contentDir, name), articleText(fields));
    const config = testConfig(contentDir, path.join(await makeTempDir('websub-feeds-'), 'feeds'));
    const store = new FeedStore();
    const notifier = createHubNotifier({ hubUrl: hub.url, baseUrl: config.site.baseUrl, logger: silentLogger, timeoutMs: 1000 });
    // buildAndPublish does not wait for the hub (a slow hub must not hold builds); the test does.
    let pending: Promise<void> = Promise.resolve();
    const onChanged = (written: readonly string[]) => (pending = notifier(written));
    publish = async () => {
      pending = Promise.resolve();
      const result = await buildAndPublish({ build: () => buildFeeds({ config, logger: silentLogger, clock: () => NOW }), store, logger: silentLogger, onChanged }, { scheduled: true });
      assert.ok(result, 'the build succeeded');
      await pending;
    };
  });

  // The three steps depend on each other, in order: node:test runs its() in a describe sequentially.
  it('announces every subscription feed, in every format, after the first build', async () => {
    await publish();
    assert.deepEqual(notified(), urlsOf(FEEDS));
  });

  it('announces nothing after a build that changed nothing', async () => {
    await publish();
    assert.deepEqual(notified(), []);
  });

  it('announces only the feeds holding an article after it changes: all, its topic, its provider, its category', async () => {
    await writeFile(path.join(contentDir, 'space.md'), articleText({ ...ARTICLES['space.md'], title: 'Space one, corrected' }));
    await publish();
    assert.deepEqual(notified(), urlsOf(['all', 'space', 'providers/orbit.example.com', 'categories/news']));
  });
});

describe('buildAndPublish: a slow hub does not hold the build', () => {
  it('resolves before the notifications finish', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const store = new FeedStore();
    const started = Date.now();
    const result = await buildAndPublish(
      { build: async () => fakeBuildResult([builtFile('ai.xml', '<rss/>')]), store, logger: silentLogger, onChanged: () => held },
      { scheduled: true },
    );
    assert.ok(result);
    assert.ok(Date.now() - started < 1000);
    release();
  });
});
