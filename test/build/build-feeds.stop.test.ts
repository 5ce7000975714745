import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { cp } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { buildFeeds, createBuildCache, UNKNOWN_CHANGES } from '../../src/build/build-feeds.js';
import { BuildStopped } from '../../src/build/build-stopped.js';
import { PARSE_CHUNK } from '../../src/build/parse-threads.js';
import { renderMissingEntries, scanContent } from '../../src/build/scan-content.js';
import type { ArticleRecord } from '../../src/feeds/article-record.js';
import { silentLogger } from '../../src/logger.js';
import { testConfig } from '../helpers/config.js';
import { assertSameFiles, feedFiles, writeManyArticles } from '../helpers/many-articles.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/** Above the count at which the scan shares its reading with helper threads (and sees a stop between chunks). */
const ARTICLES = 2600;

describe('buildFeeds stopped before it writes (a server stopping, npm run build:feeds interrupted)', { timeout: 180_000 }, () => {
  let contentDir: string;
  /** The feeds of the content, built in one go: what every stopped and resumed build must end with. */
  let reference: Map<string, Buffer>;

  before(async () => {
    contentDir = path.join(await makeTempDir('stop-content-'), 'content');
    await writeManyArticles(contentDir, ARTICLES, 'first edition');
    const config = testConfig(contentDir, path.join(await makeTempDir('stop-reference-'), 'feeds'));
    await buildFeeds({ config, logger: silentLogger });
    reference = feedFiles(config.feedsDir);
    assert.ok([...reference.keys()].some((name) => name.startsWith('archive/')), 'the reference has archive pages');
  });

  it('during its scan: throws BuildStopped, writes nothing, and saves the files it read, which the next build does not parse again', async () => {
    const config = testConfig(contentDir, path.join(await makeTempDir('stop-scan-'), 'feeds'));
    const stop = new AbortController();
    // Asked before it starts, the build stops after the first chunk of files its own thread reads
    // (the scan looks between chunks; the helper thread, slower to start, then finds none left).
    stop.abort();
    const stopped = await buildFeeds({ config, logger: silentLogger, stop: stop.signal }).then(
      () => assert.fail('the build finished'),
      (error: unknown) => error,
    );
    assert.ok(stopped instanceof BuildStopped, String(stopped));
    assert.equal((stopped as BuildStopped).code, 'BUILD_STOPPED');
    const read = Number(/after reading (\d+) of (\d+) files/.exec((stopped as Error).message)?.[1]);
    assert.ok(read >= PARSE_CHUNK && read < ARTICLES, (stopped as Error).message);
    assert.deepEqual([...feedFiles(config.feedsDir).keys()], [], 'nothing in the feeds folder');

    const resumed = await buildFeeds({ config, logger: silentLogger });
    assert.equal(resumed.report.filesRead, ARTICLES);
    assert.equal(resumed.report.filesParsed, ARTICLES - read, 'the files the stopped build read are known from the saved cache');
    assertSameFiles(feedFiles(config.feedsDir), reference, 'after the resumed build');
  });

  it('after its scan: saves every file it read, and the next build parses none', async () => {
    const config = testConfig(contentDir, path.join(await makeTempDir('stop-after-scan-'), 'feeds'));
    const stop = new AbortController();
    const stopped = await buildFeeds({ config, logger: silentLogger, stop: stop.signal, onStage: (stage) => stage === 'scan' && stop.abort() }).then(
      () => assert.fail('the build finished'),
      (error: unknown) => error,
    );
    assert.ok(stopped instanceof BuildStopped, String(stopped));
    assert.deepEqual([...feedFiles(config.feedsDir).keys()], [], 'nothing in the feeds folder');
    const resumed = await buildFeeds({ config, logger: silentLogger });
    assert.equal(resumed.report.filesParsed, 0);
    assertSameFiles(feedFiles(config.feedsDir), reference, 'after the resumed build');
  });

  it('while it writes: takes back what it staged, leaves the feeds folder as it was, and the next build parses none', async () => {
    const config = testConfig(contentDir, path.join(await makeTempDir('stop-writing-'), 'feeds'));
    const stop = new AbortController();
    let staged = 0;
    // Asked when its first archive page is written (archive pages come first), it stops a few dozen documents later.
    const keepBody = (name: string) => {
      staged++;
      if (name.startsWith('archive/')) stop.abort();
      return false;
    };
    await assert.rejects(buildFeeds({ config, logger: silentLogger, stop: stop.signal, keepBody }), (error: unknown) => error instanceof BuildStopped);
    assert.ok(staged > 0, 'it had begun to write');
    assert.deepEqual(readdirSync(config.feedsDir, { recursive: true }).map(String).filter((name) => !name.startsWith('.feeds-')), [], 'nothing in the feeds folder but its own bookkeeping');
    const resumed = await buildFeeds({ config, logger: silentLogger });
    assert.equal(resumed.report.filesParsed, 0);
    assertSameFiles(feedFiles(config.feedsDir), reference, 'after the resumed build');
  });

  it('while it rewrites the feeds of edited content: leaves the last build as it was, byte for byte', async () => {
    const base = await makeTempDir('stop-rewriting-');
    const content = path.join(base, 'content');
    await cp(contentDir, content, { recursive: true });
    const config = testConfig(content, path.join(base, 'feeds'));
    await buildFeeds({ config, logger: silentLogger });
    const last = feedFiles(config.feedsDir);
    await writeManyArticles(content, ARTICLES, 'second edition');
    const stop = new AbortController();
    const keepBody = (name: string) => (name.startsWith('archive/') && stop.abort(), false);
    await assert.rejects(buildFeeds({ config, logger: silentLogger, stop: stop.signal, keepBody }), (error: unknown) => error instanceof BuildStopped);
    assertSameFiles(feedFiles(config.feedsDir), last, 'stopped while writing: the last build');
    const resumed = await buildFeeds({ config, logger: silentLogger });
    assert.equal(resumed.report.filesParsed, 0, 'the stopped build had read every edited file');
    const expected = testConfig(content, path.join(base, 'expected'));
    await buildFeeds({ config: expected, logger: silentLogger });
    assertSameFiles(feedFiles(config.feedsDir), feedFiles(expected.feedsDir), 'after the resumed build');
  });

  it('in a rebuild: leaves the last build in the feeds folder, and the next build writes what the content now gives', async () => {
    const base = await makeTempDir('stop-rebuild-');
    const content = path.join(base, 'content');
    await cp(contentDir, content, { recursive: true });
    const config = testConfig(content, path.join(base, 'feeds'), { FEED_ARCHIVES: 'false' });
    await buildFeeds({ config, logger: silentLogger });
    const last = feedFiles(config.feedsDir);
    // Every title edited: with archives off, the entries to publish are rendered after the model.
    await writeManyArticles(content, ARTICLES, 'second edition');
    const expectedConfig = testConfig(content, path.join(base, 'expected'), { FEED_ARCHIVES: 'false' });
    await buildFeeds({ config: expectedConfig, logger: silentLogger });
    const expected = feedFiles(expectedConfig.feedsDir);
    assert.notDeepEqual([...expected.values()].map(String), [...last.values()].map(String), 'the edit changes the feeds');

    for (const stage of ['scan', 'model'] as const) {
      const stop = new AbortController();
      await assert.rejects(
        buildFeeds({ config, logger: silentLogger, stop: stop.signal, onStage: (at) => at === stage && stop.abort() }),
        (error: unknown) => error instanceof BuildStopped,
        `stopped after its ${stage}`,
      );
      assertSameFiles(feedFiles(config.feedsDir), last, `stopped after its ${stage}: the last build`);
    }
    const resumed = await buildFeeds({ config, logger: silentLogger });
    assert.equal(resumed.report.filesParsed, 0, 'the stopped builds had read every edited file');
    assertSameFiles(feedFiles(config.feedsDir), expected, 'after the resumed build');
  });
});

describe('renderMissingEntries stopped partway (the entries stage of a build without archives)', { timeout: 60_000 }, () => {
  it('keeps the entries it rendered, each under its own key, and throws BuildStopped; the next call renders only the rest', async () => {
    const contentDir = path.join(await makeTempDir('stop-entries-'), 'content');
    await writeManyArticles(contentDir, ARTICLES, 'first edition');
    const config = testConfig(contentDir, path.join(await makeTempDir('stop-entries-feeds-'), 'feeds'), { FEED_ARCHIVES: 'false' });
    const cache = createBuildCache(config.stateDir);
    const scan = await scanContent(config, cache, UNKNOWN_CHANGES, { renderEntries: false });
    const articles = scan.files.flatMap((file): ArticleRecord[] => (file.outcome.ok ? [file.outcome.article] : []));
    assert.equal(articles.length, ARTICLES);
    assert.equal(cache.entries.size, 0, 'nothing rendered while scanning');

    const stop = new AbortController();
    stop.abort();
    const stopped = await renderMissingEntries(config, cache, [{ articles }], stop.signal).then(
      () => assert.fail('it rendered every entry'),
      (error: unknown) => error,
    );
    assert.ok(stopped instanceof BuildStopped, String(stopped));
    const rendered = Number(/after (\d+) of (\d+)/.exec((stopped as Error).message)?.[1]);
    assert.ok(rendered >= PARSE_CHUNK && rendered < ARTICLES, (stopped as Error).message);
    assert.equal(cache.entries.size, rendered);
    for (const article of articles) {
      const location = cache.entries.get(article.key);
      if (!location) continue;
      const index = Number(/(\d+)\.md$/.exec(article.file)![1]);
      assert.match(cache.reader.read(location).rss.toString('utf8'), new RegExp(`<title>Article ${index}, first edition</title>`), article.file);
    }

    assert.equal(await renderMissingEntries(config, cache, [{ articles }]), ARTICLES - rendered);
    assert.equal(cache.entries.size, ARTICLES);
    cache.reader.close();
  });
});
