import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, rename, symlink, writeFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import type { ContentChangeSet } from '../../src/build/build-feeds.js';
import { FeedStore } from '../../src/http/feed-store.js';
import { contentHash } from '../../src/http/feed-snapshot.js';
import { BUILD_THREAD_NICE, BuildWorker, type WorkerBuildResult } from '../../src/build/thread-host.js';
import { silentLogger } from '../../src/logger.js';
import { watchContent } from '../../src/content/watch-content.js';
import { articleText, frontMatter } from '../helpers/articles.js';
import { testConfig } from '../helpers/config.js';
import { makeTempDir } from '../helpers/temp-dir.js';

describe('BuildWorker: builds in a worker thread that keeps its caches', () => {
  let contentDir: string;
  let worker: BuildWorker;
  let first: WorkerBuildResult;
  let second: WorkerBuildResult;
  let third: WorkerBuildResult;
  const store = new FeedStore();
  let threadsBefore: string[] = [];

  before(async () => {
    if (process.platform === 'linux') threadsBefore = readdirSync('/proc/self/task');
    contentDir = await makeTempDir('worker-content-');
    await writeFile(path.join(contentDir, 'ai.md'), articleText(frontMatter({ sourceUrl: 'https://news.example.com/ai', topics: ['AI'] })));
    await writeFile(path.join(contentDir, 'space.md'), articleText(frontMatter({ sourceUrl: 'https://news.example.com/space', topics: ['Space'], category: 'feature', provider: { name: 'Orbit', domain: 'orbit.example.com' } })));
    worker = new BuildWorker(testConfig(contentDir, await makeTempDir('worker-feeds-')), silentLogger);
    first = await worker.build();
    store.publish(first, new Date('2025-01-01T00:00:00Z'));
    second = await worker.build();
    store.publish(second, new Date('2025-01-01T00:05:00Z'));
    await writeFile(path.join(contentDir, 'space.md'), articleText(frontMatter({ title: 'Space, corrected', sourceUrl: 'https://news.example.com/space', topics: ['Space'], category: 'feature', provider: { name: 'Orbit', domain: 'orbit.example.com' } })));
    // The worker hears of the edit from its file watcher: let the event arrive before the build.
    await delay(200);
    third = await worker.build();
    store.publish(third, new Date('2025-01-01T00:10:00Z'));
  });

  after(() => worker.close());

  it('sends every file after the first build, each with the hash of its bytes', () => {
    assert.deepEqual([...first.changed.map((file) => file.name)].sort(), [...first.names].sort());
    for (const file of first.changed) assert.equal(file.hash, contentHash(file.identity ?? new Uint8Array()), file.name);
  });

  it('sends nothing, and parses and renders nothing, when nothing changed', () => {
    assert.deepEqual(second.changed, []);
    assert.equal(second.report.filesParsed, 0);
    assert.equal(second.report.rendered, 0);
    assert.deepEqual(second.names, first.names);
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
    assert.equal(snapshot.files.size, third.names.length);
    const space = snapshot.files.get('space.xml')!;
    assert.match(space.bodies.identity.toString('utf8'), /Space, corrected/);
    assert.ok(gunzipSync(space.bodies.gzip).equals(space.bodies.identity));
    const ai = snapshot.files.get('ai.xml')!;
    assert.equal(ai.hash, first.changed.find((file) => file.name === 'ai.xml')!.hash);
  });
});

describe('BuildWorker: archive pages stay on disk', () => {
  it('sends archive pages without their bytes, and the store serves them from the feeds folder', async () => {
    const contentDir = await makeTempDir('worker-archive-content-');
    for (let index = 0; index < 5; index++) {
      await writeFile(path.join(contentDir, `a${index}.md`), articleText(frontMatter({ sourceUrl: `https://news.example.com/${index}`, publishedDateTime: `2025-01-0${index + 1}T00:00:00Z` })));
    }
    const feedsDir = await makeTempDir('worker-archive-feeds-');
    const worker = new BuildWorker(testConfig(contentDir, feedsDir, { FEED_MAX_ITEMS: '2' }), silentLogger);
    try {
      const result = await worker.build();
      const page = result.changed.find((file) => file.name === 'archive/all/1.xml');
      assert.ok(page, 'an archive page was built');
      assert.equal(page.identity, undefined);
      const store = new FeedStore({ feedsDir });
      store.publish(result, new Date());
      const served = store.snapshot!.files.get('archive/all/1.xml')!;
      assert.equal(served.compressible, false);
      assert.equal(contentHash(served.bodies.identity), served.hash);
      assert.match(served.bodies.identity.toString('utf8'), /<fh:archive\/>/);
    } finally {
      await worker.close();
    }
  });
});

describe('watchContent: names the files that changed', () => {
  const files = (set: ContentChangeSet) => (set.kind === 'files' ? [...set.files].sort() : set.kind);

  it('says "unknown" first, then names each Markdown file written, in the folder or a sub-folder', async () => {
    const dir = await makeTempDir('watch-');
    await mkdir(path.join(dir, 'sub'));
    const changes = watchContent(dir, silentLogger);
    assert.equal(files(changes.takeChanges()), 'unknown', 'first call');
    await delay(50);
    assert.deepEqual(files(changes.takeChanges()), [], 'nothing happened');
    await writeFile(path.join(dir, 'sub', 'new.md'), 'x');
    await writeFile(path.join(dir, 'top.md'), 'y');
    await writeFile(path.join(dir, '.hidden.md.swp'), 'z');
    await delay(200);
    assert.deepEqual(files(changes.takeChanges()), ['sub/new.md', 'top.md']);
    await delay(50);
    assert.deepEqual(files(changes.takeChanges()), []);
  });

  it('says "unknown" after a folder or a file that is not Markdown appears', async () => {
    const dir = await makeTempDir('watch-');
    const changes = watchContent(dir, silentLogger);
    changes.takeChanges();
    await mkdir(path.join(dir, 'folder'));
    await delay(200);
    assert.equal(files(changes.takeChanges()), 'unknown', 'a new folder');
    await writeFile(path.join(dir, 'notes.txt'), 'x');
    await delay(200);
    assert.equal(files(changes.takeChanges()), 'unknown', 'a file that is not Markdown');
    await writeFile(path.join(dir, 'folder', 'in-new-folder.md'), 'x');
    await delay(200);
    assert.deepEqual(files(changes.takeChanges()), ['folder/in-new-folder.md'], 'the new folder is watched');
  });
});

describe('watchContent: a content folder that is a symlink', () => {
  it('notices when the symlink is switched to another folder (an atomic deploy)', async () => {
    const base = await makeTempDir('watch-link-');
    await mkdir(path.join(base, 'release-1'));
    await mkdir(path.join(base, 'release-2'));
    await symlink(path.join(base, 'release-1'), path.join(base, 'content'));
    const changes = watchContent(path.join(base, 'content'), silentLogger);
    changes.takeChanges();
    await delay(50);
    assert.deepEqual(changes.takeChanges(), { kind: 'files', files: new Set() });
    await symlink(path.join(base, 'release-2'), path.join(base, 'next'));
    await rename(path.join(base, 'next'), path.join(base, 'content'));
    assert.equal(changes.takeChanges().kind, 'unknown');
  });
});
