import assert from 'node:assert/strict';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { describe, it, mock } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BuiltFile } from '../../src/build/build-feeds.js';
import { buildFeeds } from '../../src/build/build-feeds.js';
import { contentHash } from '../../src/build/write-feeds.js';
import { errorFromSummary, failureSummary, FeedServiceError } from '../../src/errors.js';
import { FeedStore } from '../../src/http/feed-store.js';
import { BuildThreadHost, type ThreadBuildResult } from '../../src/build/thread-host.js';
import { fullCollection } from '../../src/build/heap-release.js';
import { etagFor, type MemoryFile, type ServedFile } from '../../src/http/feed-snapshot.js';
import { createApp } from '../../src/http/app.js';
import { silentLogger } from '../../src/logger.js';
import request from 'supertest';
import { articleText, frontMatter } from '../helpers/articles.js';
import { builtFile, fakeBuildResult } from '../helpers/build-result.js';
import { testConfig } from '../helpers/config.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const T1 = new Date('2025-01-01T00:00:00Z');
const T2 = new Date('2025-01-01T00:05:00Z');
const T3 = new Date('2025-01-01T00:10:00Z');

/** A body long enough that gzip and brotli make it smaller. */
const xmlBody = (title: string) => `<?xml version="1.0" encoding="utf-8"?>\n<rss><channel>${`<item><title>${title} — Zürich</title></item>`.repeat(40)}</channel></rss>\n`;

const result = (title = 'One') => fakeBuildResult([builtFile('ai.xml', xmlBody(title)), builtFile('ai.json', '{"version":"https://jsonfeed.org/version/1.1"}', 'application/feed+json; charset=utf-8')]);

describe('FeedStore: before the first build', () => {
  it("is 'starting' with no snapshot and no last build", () => {
    const store = new FeedStore();
    assert.equal(store.snapshot, undefined);
    const { memory, ...health } = store.health();
    assert.deepEqual(health, { status: 'starting', lastBuild: null, lastScheduledBuildFailed: false, lastFailure: null });
    assert.ok(memory.rssBytes > 0 && memory.heapUsedBytes > 0);
  });

  it("is 'failing' when the first build fails (nothing to serve: a monitor should alert, not wait), and records the failure", () => {
    const store = new FeedStore();
    store.recordFailure(new Error('disk full'), T1, { scheduled: false });
    const health = store.health();
    assert.equal(health.status, 'failing');
    assert.equal(health.lastBuild, null);
    assert.deepEqual(health.lastFailure, { at: T1.toISOString(), message: 'disk full' });
  });
});

describe('FeedStore: after a successful build', () => {
  it("is 'ok' and reports the build's counts", () => {
    const store = new FeedStore();
    store.publish(result(), T1);
    const { memory: _memory, ...health } = store.health();
    assert.deepEqual(health, {
      status: 'ok',
      lastBuild: { finishedAt: T1.toISOString(), durationMs: 12, articles: 2, drafts: 1, scheduled: 0, feeds: 2, files: 2, skipped: 0, problems: 0 },
      lastScheduledBuildFailed: false,
      lastFailure: null,
    });
  });

  it('serves the published files by name', () => {
    const store = new FeedStore();
    store.publish(result(), T1);
    assert.deepEqual([...(store.snapshot?.files.keys() ?? [])].sort(), ['ai.json', 'ai.xml']);
    assert.equal(inMemory(store.snapshot?.files.get('ai.xml')).bodies.identity.toString('utf8'), xmlBody('One'));
    assert.equal(store.snapshot?.builtAt.getTime(), T1.getTime());
  });

  it('replaces the snapshot as a whole on the next publish', () => {
    const store = new FeedStore();
    store.publish(result('One'), T1);
    const first = store.snapshot;
    store.publish(result('Two'), T2);
    assert.notEqual(store.snapshot, first);
    assert.equal(inMemory(store.snapshot?.files.get('ai.xml')).bodies.identity.toString('utf8'), xmlBody('Two'));
    assert.equal(inMemory(first?.files.get('ai.xml')).bodies.identity.toString('utf8'), xmlBody('One'), 'the old snapshot is not mutated');
  });
});

describe('FeedStore: a failed build', () => {
  it("after a scheduled failure: 'degraded', flagged, and the same snapshot still served", () => {
    const store = new FeedStore();
    store.publish(result(), T1);
    const snapshot = store.snapshot;
    store.recordFailure(new Error('EACCES: permission denied'), T2, { scheduled: true });
    assert.equal(store.snapshot, snapshot);
    const health = store.health();
    assert.equal(health.status, 'degraded');
    assert.equal(health.lastScheduledBuildFailed, true);
    assert.deepEqual(health.lastFailure, { at: T2.toISOString(), message: 'EACCES: permission denied' });
    assert.equal(health.lastBuild?.finishedAt, T1.toISOString(), 'lastBuild is still the good one');
  });

  it('records a thrown non-Error by its string form', () => {
    const store = new FeedStore();
    store.publish(result(), T1);
    store.recordFailure('plain string', T2, { scheduled: true });
    assert.equal(store.health().lastFailure?.message, 'plain string');
  });

  it('clears the flag on the next successful scheduled build', () => {
    const store = new FeedStore();
    store.publish(result(), T1);
    store.recordFailure(new Error('boom'), T2, { scheduled: true });
    store.publish(result('Two'), T3, { scheduled: true });
    const health = store.health();
    assert.equal(health.status, 'ok');
    assert.equal(health.lastScheduledBuildFailed, false);
    assert.equal(health.lastBuild?.finishedAt, T3.toISOString());
  });

  it('keeps the flag after a successful build that was not scheduled', () => {
    const store = new FeedStore();
    store.publish(result(), T1);
    store.recordFailure(new Error('boom'), T2, { scheduled: true });
    store.publish(result('Two'), T3, { scheduled: false });
    assert.equal(store.health().lastScheduledBuildFailed, true);
  });

  it("is 'degraded' after any failed build (a restart's first build too) until one succeeds", () => {
    const store = new FeedStore();
    store.publish(result(), T1);
    store.recordFailure(new Error('boom'), T2);
    assert.equal(store.health().status, 'degraded');
    assert.equal(store.health().lastScheduledBuildFailed, false);
    store.publish(result('Two'), T3);
    assert.equal(store.health().status, 'ok');
  });

  it('reports the code and the counts of a build held back, as the error carries them across the build thread', () => {
    const store = new FeedStore();
    store.publish(result(), T1);
    const refused = new FeedServiceError('MASS_REMOVAL_REFUSED', 'Not published: …', { details: { wouldRemove: 23, published: 23, limit: 20 } });
    store.recordFailure(errorFromSummary(failureSummary(refused)), T2);
    assert.deepEqual(store.health().lastFailure, {
      at: T2.toISOString(),
      message: 'Not published: …',
      code: 'MASS_REMOVAL_REFUSED',
      details: { wouldRemove: 23, published: 23, limit: 20 },
    });
    const disk = Object.assign(new Error("ENOSPC: no space left on device, write '/feeds/ai.xml'"), { code: 'ENOSPC' });
    store.recordFailure(errorFromSummary(failureSummary(disk)), T3);
    assert.equal(store.health().lastFailure?.code, 'ENOSPC');
  });
});

describe('FeedStore: the snapshot of a build', () => {
  const files = [builtFile('ai.xml', xmlBody('One')), builtFile('all.xml', xmlBody('All'))];

  /** The snapshot after publishing `built` (to `store`, when given, after what it holds). */
  const snapshotOf = (built: BuiltFile[], at: Date, store = new FeedStore()) => {
    store.publish(fakeBuildResult(built), at);
    return store.snapshot!;
  };

  it('stores gzip and brotli bodies that decompress to the identity body', () => {
    const snapshot = snapshotOf(files, T1);
    for (const file of files) {
      const served = inMemory(snapshot.files.get(file.name));
      assert.deepEqual(served.bodies.identity, file.body);
      assert.deepEqual(gunzipSync(served.bodies.gzip), served.bodies.identity);
      assert.deepEqual(brotliDecompressSync(served.bodies.br), served.bodies.identity);
      assert.ok(served.bodies.gzip.length < served.bodies.identity.length);
      assert.ok(served.bodies.br.length < served.bodies.identity.length);
    }
  });

  it('keeps the name, content type and modification time of each file', () => {
    const served = snapshotOf([builtFile('ai.json', '{}', 'application/feed+json; charset=utf-8', T2)], T1).files.get('ai.json');
    assert.equal(served?.name, 'ai.json');
    assert.equal(served?.contentType, 'application/feed+json; charset=utf-8');
    assert.equal(served?.lastModified.getTime(), T2.getTime());
  });

  it('reuses the previous ServedFile object for a file whose bytes did not change', () => {
    const store = new FeedStore();
    const first = snapshotOf(files, T1, store);
    const second = snapshotOf([builtFile('ai.xml', xmlBody('One')), builtFile('all.xml', xmlBody('All, changed'))], T2, store);
    assert.equal(second.files.get('ai.xml'), first.files.get('ai.xml'));
    assert.notEqual(second.files.get('all.xml'), first.files.get('all.xml'));
    assert.equal(second.builtAt.getTime(), T2.getTime());
  });

  it('gives a changed file a new hash, and equal bytes the same hash', () => {
    const a = inMemory(snapshotOf([builtFile('ai.xml', 'one')], T1).files.get('ai.xml'));
    const b = inMemory(snapshotOf([builtFile('ai.xml', 'one')], T1).files.get('ai.xml'));
    const c = inMemory(snapshotOf([builtFile('ai.xml', 'two')], T1).files.get('ai.xml'));
    assert.equal(a.hash, b.hash);
    assert.notEqual(a.hash, c.hash);
  });

  it('does not reuse a file whose content type changed', () => {
    const store = new FeedStore();
    const first = snapshotOf([builtFile('x.xml', 'same', 'application/rss+xml; charset=utf-8')], T1, store);
    const second = snapshotOf([builtFile('x.xml', 'same', 'application/atom+xml; charset=utf-8')], T2, store);
    assert.notEqual(second.files.get('x.xml'), first.files.get('x.xml'));
    assert.equal(second.files.get('x.xml')?.contentType, 'application/atom+xml; charset=utf-8');
  });

  it('drops files that are not in the new build', () => {
    const store = new FeedStore();
    snapshotOf(files, T1, store);
    const second = snapshotOf([files[0]!], T2, store);
    assert.deepEqual([...second.files.keys()], ['ai.xml']);
  });

  it('derives a distinct strong ETag per coding from the hash', () => {
    const served = inMemory(snapshotOf(files, T1).files.get('ai.xml'));
    assert.equal(etagFor(served.hash, 'identity'), `"${served.hash}"`);
    assert.equal(etagFor(served.hash, 'gzip'), `"${served.hash}.gzip"`);
    assert.equal(etagFor(served.hash, 'br'), `"${served.hash}.br"`);
  });
});

describe('FeedStore: what it holds between builds, in the heap of the thread that answers requests', () => {
  const collect = fullCollection();

  /**
   * A cold build's reply from the build thread as the main thread gets it: `pages` archive pages
   * (served from disk), every file written, and every name; cloned, as a message is, so that no
   * string is shared with the test's.
   */
  const coldReply = (pages: number): ThreadBuildResult => {
    const changed = Array.from({ length: pages }, (_, index) => ({
      name: `archive/providers/provider-${index % 200}.example/${index}.xml`,
      contentType: 'application/rss+xml; charset=utf-8',
      hash: contentHash(Buffer.from(`page ${index}`)),
      lastModified: new Date(T1.getTime() + index),
    }));
    const names = changed.map((file) => file.name);
    return structuredClone({ kind: 'thread' as const, report: { ...fakeBuildResult([]).report, written: names }, changed, removed: [], names });
  };

  it('keeps the counts of the last build, not its report: the names of every file it wrote go with the build', { skip: collect ? false : 'no way to run a full collection here' }, async () => {
    const store = new FeedStore();
    const written = (() => {
      const reply = coldReply(3);
      store.publish(reply, T2);
      return new WeakRef(reply.report.written);
    })();
    // A WeakRef holds its target until the job that made it ends.
    await nextTurn();
    collect!();
    assert.equal(written.deref(), undefined, 'the store holds the report’s list of written files');
    assert.equal(store.lastBuild()?.files, 3);
    assert.equal(store.lastBuild()?.articles, 2);
  });

  /** The heap that what `make` returns holds, after full collections. */
  const heapHeldBy = async (make: () => unknown): Promise<number> => {
    collect!();
    const before = process.memoryUsage().heapUsed;
    const held = make();
    await nextTurn();
    collect!();
    const used = process.memoryUsage().heapUsed - before;
    assert.ok(held);
    return used;
  };

  it('holds an archive page as its name and a few bytes, with no object of its own (35 000 of them at 100 000 articles, 350 000 at a million)', { skip: collect ? false : 'no way to run a full collection here' }, async () => {
    const pages = 20_000;
    let store: FeedStore | undefined;
    const names = await heapHeldBy(() => new Map(coldReply(pages).names!.map((name) => [name, true])));
    const snapshot = await heapHeldBy(() => {
      store = new FeedStore({ feedsDir: '/srv/feeds' });
      store.publish(coldReply(pages), T2);
      return store;
    });
    const served = store!.snapshot!.files.get('archive/providers/provider-7.example/7.xml');
    assert.equal(served?.kind, 'disk');
    assert.equal(served.lastModified.getTime(), T1.getTime() + 7, 'its time is kept to the millisecond');
    assert.equal(served.contentType, 'application/rss+xml; charset=utf-8');
    assert.equal(served.hash, undefined, 'an archive page is never kept in memory, so its build’s hash is not needed');
    // Beyond a map of its name: measured -36 to -5 bytes a page (the two maps grow differently).
    // An object per page with its time and hash measured 190 more; with each page's own Date,
    // content type and path, and the report's list of every name written, 300 more.
    const perPage = (snapshot - names) / pages;
    assert.ok(perPage < 40, `${perPage.toFixed(0)} bytes of heap a page beyond its name`);
  });
});

describe('FeedStore: the last build in the feeds folder, at start-up', () => {
  it('serves nothing from an empty feeds folder (the first start answers 503)', async () => {
    const store = new FeedStore({ feedsDir: await makeTempDir('store-empty-') });
    assert.equal(store.loadFromDisk().size, 0);
    assert.equal(store.snapshot, undefined);
    assert.equal(store.health().status, 'starting');
  });

  /** A build of three articles, pages of one, in a fresh feeds folder. */
  async function built() {
    const contentDir = await makeTempDir('store-content-');
    for (const n of [1, 2, 3]) {
      await writeFile(path.join(contentDir, `a${n}.md`), articleText(frontMatter({ sourceUrl: `https://news.example.com/${n}`, publishedDateTime: `2024-05-0${n}T10:00:00Z` })));
    }
    const feedsDir = path.join(await makeTempDir('store-feeds-'), 'feeds');
    const result = await buildFeeds({ config: testConfig(contentDir, feedsDir, { FEED_MAX_ITEMS: '1' }), logger: silentLogger, clock: () => T1 });
    return { feedsDir, result };
  }

  it('lists every file of the manifest, reading none of them yet, with its type and date', async () => {
    const { feedsDir, result } = await built();
    const store = new FeedStore({ feedsDir });
    const hashes = store.loadFromDisk();
    const snapshot = store.snapshot!;
    assert.deepEqual([...snapshot.files.keys()].sort(), result.files.map((file) => file.name).sort());
    for (const file of result.files) {
      const served = snapshot.files.get(file.name)!;
      assert.equal(served.kind, 'disk', `${file.name} is not read before it is asked for`);
      assert.equal(served.contentType, file.contentType, file.name);
      assert.equal(served.lastModified.getTime(), file.modified.getTime(), file.name);
    }
    assert.equal(hashes.get('ai.xml'), result.files.find((file) => file.name === 'ai.xml')!.hash, 'the manifest hash of a feed held in memory');
    assert.equal(hashes.has('archive/all/1.xml'), false, 'archive pages are never held');
    const health = store.health();
    assert.equal(health.status, 'ok');
    assert.equal(health.servingPreviousBuild?.files, result.files.length);
  });

  it('points each file at its path in the feeds folder without a path.join per file (35k files at start-up at 100k articles)', async () => {
    const { feedsDir, result } = await built();
    const store = new FeedStore({ feedsDir });
    const join = mock.method(path, 'join');
    try {
      store.loadFromDisk();
      assert.ok(join.mock.callCount() < result.files.length / 2, `path.join called ${join.mock.callCount()} times for ${result.files.length} files`);
    } finally {
      join.mock.restore();
    }
    const { folder, files } = store.snapshot!;
    assert.ok(path.isAbsolute(folder) && folder.endsWith(path.sep), folder);
    for (const file of result.files) {
      const served = files.get(file.name)!;
      assert.equal(served.kind, 'disk', file.name);
      assert.deepEqual(readFileSync(folder + served.name), readFileSync(path.join(feedsDir, file.name)), file.name);
    }
  });

  it('serves each file with the bytes on disk, keeps the feeds in memory after their first request, and never archive pages', async () => {
    const { feedsDir } = await built();
    const store = new FeedStore({ feedsDir });
    store.loadFromDisk();
    const app = createApp({ store, logger: silentLogger, cacheMaxAgeSeconds: 60 });
    for (const name of ['ai.xml', 'archive/all/1.xml', 'ai.html']) {
      const response = await request(app).get(`/feeds/${name}`).buffer(true).parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      });
      const onDisk = await readFile(path.join(feedsDir, name));
      assert.equal(response.status, 200, name);
      assert.ok((response.body as Buffer).equals(onDisk), `${name} is served as it is on disk`);
      assert.equal(response.headers.etag, `"${contentHash(onDisk)}"`, `${name}: the ETag of the bytes sent`);
    }
    assert.equal(store.snapshot!.files.get('ai.xml')!.kind, 'memory', 'a polled feed is held after its first request');
    assert.equal(store.snapshot!.files.get('archive/all/1.xml')!.kind, 'disk');
    assert.equal(store.snapshot!.files.get('ai.html')!.kind, 'disk');
  });

  it('takes the ETag of a file from its bytes, not from the manifest (a process killed between a rename and the manifest)', async () => {
    const { feedsDir } = await built();
    await writeFile(path.join(feedsDir, 'ai.xml'), '<rss>newer bytes</rss>');
    const store = new FeedStore({ feedsDir });
    store.loadFromDisk();
    const response = await request(createApp({ store, logger: silentLogger, cacheMaxAgeSeconds: 60 })).get('/feeds/ai.xml');
    assert.equal(response.text, '<rss>newer bytes</rss>');
    assert.equal(response.headers.etag, `"${contentHash(Buffer.from('<rss>newer bytes</rss>'))}"`);
  });

  it("serves the next build's bytes after a killed build left a feed the manifest does not list and the edit was undone", async () => {
    // The content; the feeds built from it (ai.xml: "First title").
    const contentDir = await makeTempDir('store-undo-content-');
    const writeArticle = (title: string) =>
      writeFile(path.join(contentDir, 'a.md'), articleText(frontMatter({ title, sourceUrl: 'https://news.example.com/1', topics: ['AI'] })));
    await writeArticle('First title');
    const feedsDir = path.join(await makeTempDir('store-undo-feeds-'), 'feeds');
    const config = testConfig(contentDir, feedsDir);
    await buildFeeds({ config, logger: silentLogger, clock: () => T1 });
    const built = await readFile(path.join(feedsDir, 'ai.xml'), 'utf8');
    // The title is edited, and the build of that edit is killed after it renamed its ai.xml into
    // place and before its manifest (what it leaves: that file and its claims file).
    await writeArticle('Edited title');
    const elsewhere = path.join(await makeTempDir('store-undo-other-'), 'feeds');
    await buildFeeds({ config: testConfig(contentDir, elsewhere), logger: silentLogger, clock: () => T1 });
    await writeFile(path.join(feedsDir, 'ai.xml'), await readFile(path.join(elsewhere, 'ai.xml')));
    await writeFile(path.join(feedsDir, '.feeds-claims.json'), '[]\n');
    // The edit is undone before the server starts again.
    await writeArticle('First title');

    // The restart, as main.ts does it: serve the folder, tell the build thread what is served.
    const store = new FeedStore({ feedsDir });
    const known = [...store.loadFromDisk()].map(([name, hash]) => ({ name, hash }));
    const app = createApp({ store, logger: silentLogger, cacheMaxAgeSeconds: 60 });
    assert.match((await request(app).get('/feeds/ai.xml')).text, /Edited title/, 'before its first build the server serves what is on disk');
    const host = new BuildThreadHost(config, silentLogger, { known });
    try {
      store.publish(await host.build(), T2);
    } finally {
      await host.close();
    }

    assert.equal(await readFile(path.join(feedsDir, 'ai.xml'), 'utf8'), built, 'the build put the first version back on disk');
    for (let attempt = 1; attempt <= 2; attempt++) {
      const response = await request(app).get('/feeds/ai.xml').set('Accept-Encoding', 'identity');
      assert.equal(response.text, built, `request ${attempt} after the build: the killed build's version is still served`);
      assert.equal(response.headers.etag, `"${contentHash(Buffer.from(built))}"`);
    }
  });
});

/** A served file that must be held in memory. */
function inMemory(file: ServedFile | undefined): MemoryFile {
  assert.ok(file?.kind === 'memory', `${file?.name} is served from memory`);
  return file;
}
