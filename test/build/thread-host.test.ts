import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { contentHash } from '../../src/build/write-feeds.js';
import { FeedStore } from '../../src/http/feed-store.js';
import type { MemoryFile } from '../../src/http/feed-snapshot.js';
import { BUILD_THREAD_NICE, BuildThreadHost, type ThreadBuildResult } from '../../src/build/thread-host.js';
import { buildFeeds } from '../../src/build/build-feeds.js';
import { silentLogger } from '../../src/logger.js';
import { articleText, frontMatter } from '../helpers/articles.js';
import { testConfig } from '../helpers/config.js';
import { makeTempDir } from '../helpers/temp-dir.js';

describe('BuildThreadHost: builds in a thread that keeps its caches', () => {
  let contentDir: string;
  let worker: BuildThreadHost;
  let first: ThreadBuildResult;
  let second: ThreadBuildResult;
  let third: ThreadBuildResult;
  let store: FeedStore;
  let threadsBefore: string[] = [];

  before(async () => {
    if (process.platform === 'linux') threadsBefore = readdirSync('/proc/self/task');
    contentDir = await makeTempDir('worker-content-');
    await writeFile(path.join(contentDir, 'ai.md'), articleText(frontMatter({ sourceUrl: 'https://news.example.com/ai', topics: ['AI'] })));
    await writeFile(path.join(contentDir, 'space.md'), articleText(frontMatter({ sourceUrl: 'https://news.example.com/space', topics: ['Space'], category: 'feature', provider: { name: 'Orbit', domain: 'orbit.example.com' } })));
    const config = testConfig(contentDir, await makeTempDir('worker-feeds-'));
    store = new FeedStore({ feedsDir: config.feedsDir });
    worker = new BuildThreadHost(config, silentLogger);
    first = await worker.build();
    store.publish(first, new Date('2025-01-01T00:00:00Z'));
    // What the content watcher would say: nothing happened, then space.md changed.
    second = await worker.build({ kind: 'files', files: new Set() });
    store.publish(second, new Date('2025-01-01T00:05:00Z'));
    await writeFile(path.join(contentDir, 'space.md'), articleText(frontMatter({ title: 'Space, corrected', sourceUrl: 'https://news.example.com/space', topics: ['Space'], category: 'feature', provider: { name: 'Orbit', domain: 'orbit.example.com' } })));
    third = await worker.build({ kind: 'files', files: new Set(['space.md']) });
    store.publish(third, new Date('2025-01-01T00:10:00Z'));
  });

  after(() => worker.close());

  it('sends every file after the first build, each with the hash of its bytes', () => {
    assert.ok(first.names, 'the first build names every file');
    assert.deepEqual([...first.changed.map((file) => file.name)].sort(), [...first.names].sort());
    const withBytes = first.changed.filter((file) => file.identity);
    assert.ok(withBytes.some((file) => file.name === 'ai.xml'), 'the feeds readers poll come with their bytes');
    for (const file of withBytes) assert.equal(file.hash, contentHash(file.identity!), file.name);
    for (const file of first.changed.filter((candidate) => !candidate.identity)) assert.match(file.name, /\.html$|^archive\//, `${file.name} is served from disk`);
  });

  it('sends nothing, and parses and renders nothing, when nothing changed', () => {
    assert.deepEqual(second.changed, []);
    assert.equal(second.report.filesParsed, 0);
    assert.equal(second.report.rendered, 0);
    assert.deepEqual(second.removed, []);
  });

  it('after one file changed, parses that file and sends only the files holding its article', () => {
    assert.equal(third.report.filesParsed, 1);
    const feeds = new Set(third.changed.filter((file) => /\.(xml|atom|json|html)$/.test(file.name) && !file.name.startsWith('index')).map((file) => file.name.replace(/\.\w+$/, '')));
    assert.deepEqual([...feeds].sort(), ['all', 'categories/feature', 'providers/orbit.example.com', 'space']);
  });

  it('runs at a lower priority than the thread answering requests (Linux: per-thread nice)', { skip: process.platform !== 'linux' && 'per-thread priorities are read from /proc' }, () => {
    const niceOf = (tid: string) => Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]);
    const threads = readdirSync('/proc/self/task');
    assert.equal(niceOf(String(process.pid)), 0, 'the main thread keeps its priority');
    assert.ok(threads.some((tid) => niceOf(tid) === BUILD_THREAD_NICE), `a thread at nice ${BUILD_THREAD_NICE}`);
    // V8's garbage-collection helpers (and any other thread started before the worker) too.
    const helpers = threadsBefore.filter((tid) => tid !== String(process.pid) && threads.includes(tid));
    assert.ok(helpers.length >= 1, 'the process had helper threads before the build worker started');
    for (const tid of helpers) assert.ok(niceOf(tid) >= BUILD_THREAD_NICE, `thread ${tid} at nice ${niceOf(tid)}`);
  });

  it('serves the changed bytes from the store and keeps the unchanged files', () => {
    const snapshot = store.snapshot!;
    assert.equal(snapshot.files.size, first.names!.length, 'no file came or went');
    assert.deepEqual(third.removed, []);
    const space = snapshot.files.get('space.xml') as MemoryFile;
    assert.match(space.bodies.identity.toString('utf8'), /Space, corrected/);
    assert.ok(gunzipSync(space.bodies.gzip).equals(space.bodies.identity));
    const ai = snapshot.files.get('ai.xml') as MemoryFile;
    assert.equal(ai.hash, first.changed.find((file) => file.name === 'ai.xml')!.hash);
  });
});

describe('BuildThreadHost: archive pages stay on disk', () => {
  it('sends archive pages without their bytes, and the store serves them from the feeds folder', async () => {
    const contentDir = await makeTempDir('worker-archive-content-');
    for (let index = 0; index < 5; index++) {
      await writeFile(path.join(contentDir, `a${index}.md`), articleText(frontMatter({ sourceUrl: `https://news.example.com/${index}`, publishedDateTime: `2025-01-0${index + 1}T00:00:00Z` })));
    }
    const feedsDir = await makeTempDir('worker-archive-feeds-');
    const worker = new BuildThreadHost(testConfig(contentDir, feedsDir, { FEED_MAX_ITEMS: '2' }), silentLogger);
    try {
      const result = await worker.build();
      const page = result.changed.find((file) => file.name === 'archive/all/1.xml');
      assert.ok(page, 'an archive page was built');
      assert.equal(page.identity, undefined);
      const store = new FeedStore({ feedsDir });
      store.publish(result, new Date());
      const served = store.snapshot!.files.get('archive/all/1.xml')!;
      assert.equal(served.kind, 'disk');
      assert.equal(served.kind === 'disk' && served.path, path.join(feedsDir, 'archive/all/1.xml'));
    } finally {
      await worker.close();
    }
  });

  it('saves the change it has not saved yet when asked to stop, so a new process parses nothing', async () => {
    const contentDir = await makeTempDir('worker-save-content-');
    const article = (title: string) => articleText(frontMatter({ title, sourceUrl: 'https://news.example.com/saved', topics: ['AI'] }));
    await writeFile(path.join(contentDir, 'saved.md'), article('First title'));
    const config = testConfig(contentDir, await makeTempDir('worker-save-feeds-'));
    const worker = new BuildThreadHost(config, silentLogger);
    try {
      await worker.build();
      await writeFile(path.join(contentDir, 'saved.md'), article('Second title'));
      const edited = await worker.build({ kind: 'files', files: new Set(['saved.md']) });
      assert.equal(edited.report.filesParsed, 1);
    } finally {
      // Well within the half minute of quiet the thread waits for before it saves by itself.
      await worker.close();
    }
    const next = await buildFeeds({ config, logger: silentLogger });
    assert.equal(next.report.filesParsed, 0, 'the saved cache knew the edited file');
    assert.equal(next.report.rendered, 0);
  });
});
