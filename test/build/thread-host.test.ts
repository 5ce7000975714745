import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { contentHash } from '../../src/build/write-feeds.js';
import { FeedStore } from '../../src/http/feed-store.js';
import type { MemoryFile } from '../../src/http/feed-snapshot.js';
import { BUILD_THREAD_NICE, BuildThreadHost, isLargeReply, postReply, REPLY_SLICE_FILES, replyMessages, type ChangedFile, type ThreadBuildResult, type ThreadReply } from '../../src/build/thread-host.js';
import { collectingLogger } from '../helpers/logger.js';
import { buildFeeds } from '../../src/build/build-feeds.js';
import { silentLogger } from '../../src/logger.js';
import { articleText, frontMatter } from '../helpers/articles.js';
import { testConfig } from '../helpers/config.js';
import { assertSameFiles, feedFiles, untilEntriesStored, writeManyArticles } from '../helpers/many-articles.js';
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
      assert.equal(store.snapshot!.folder + served.name, path.join(feedsDir, 'archive/all/1.xml'));
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

describe('BuildThreadHost: stopped during a build', () => {
  it('ends the build it was running with BUILD_STOPPED, not a failure of its own', async () => {
    const contentDir = await makeTempDir('worker-stop-content-');
    await writeFile(path.join(contentDir, 'a.md'), articleText(frontMatter({ sourceUrl: 'https://news.example.com/a', topics: ['AI'] })));
    const worker = new BuildThreadHost(testConfig(contentDir, await makeTempDir('worker-stop-feeds-')), silentLogger);
    const build = worker.build();
    // No time to save: the thread is stopped at once, before its build can end.
    await worker.close(0);
    await assert.rejects(build, { code: 'BUILD_STOPPED' });
  });
});

describe('BuildThreadHost: stopped during a first build that is reading', { timeout: 120_000 }, () => {
  it('stops the build before it writes, saves what it read, and the next build parses only the rest, to the same feeds', async () => {
    const ARTICLES = 3000;
    const contentDir = path.join(await makeTempDir('worker-stop-scan-'), 'content');
    await writeManyArticles(contentDir, ARTICLES, 'first edition');
    const config = testConfig(contentDir, path.join(await makeTempDir('worker-stop-scan-feeds-'), 'feeds'));
    const { logger, entries } = collectingLogger();
    const worker = new BuildThreadHost(config, logger);
    const build = worker.build();
    build.catch(() => {});
    await untilEntriesStored(config.stateDir);
    await worker.close(30_000);
    await assert.rejects(build, { code: 'BUILD_STOPPED' });
    assert.deepEqual([...feedFiles(config.feedsDir).keys()], [], 'nothing in the feeds folder');
    assert.deepEqual(entries.filter((entry) => entry.level === 'error' || entry.level === 'warn'), []);

    const resumed = await buildFeeds({ config, logger: silentLogger });
    assert.ok(resumed.report.filesParsed < ARTICLES, `${resumed.report.filesParsed} of ${ARTICLES} parsed again`);
    const reference = testConfig(contentDir, path.join(await makeTempDir('worker-stop-scan-reference-'), 'feeds'));
    await buildFeeds({ config: reference, logger: silentLogger });
    assertSameFiles(feedFiles(config.feedsDir), feedFiles(reference.feedsDir), 'the resumed build');
  });
});

describe('isLargeReply: when the build thread puts its first collection off', () => {
  it('is a reply of more than one slice: a cold build (35 000 files) or a complete one, not a watcher build of a few files', () => {
    assert.equal(isLargeReply(12), false);
    assert.equal(isLargeReply(REPLY_SLICE_FILES), false);
    assert.equal(isLargeReply(REPLY_SLICE_FILES + 1), true);
    assert.equal(isLargeReply(35_000), true);
  });
});

describe('replyMessages: a large reply goes in slices', () => {
  const file = (name: string, withBytes: boolean): ChangedFile => ({
    name,
    contentType: 'application/rss+xml',
    lastModified: new Date('2025-01-01T00:00:00Z'),
    hash: `hash-${name}`,
    ...(withBytes ? { identity: new Uint8Array([1, 2]), gzip: new Uint8Array([3]), br: new Uint8Array([4]) } : {}),
  });
  const result = (count: number, withNames: boolean): ThreadBuildResult => {
    const changed = Array.from({ length: count }, (_, index) => file(`f${index}.xml`, index % 2 === 0));
    const written = changed.map((changedFile) => changedFile.name).filter((_, index) => index % 3 !== 2);
    return { kind: 'thread', report: { filesParsed: count, written } as unknown as ThreadBuildResult['report'], changed, removed: ['gone.xml'], ...(withNames ? { names: [...changed.map((changedFile) => changedFile.name), 'kept.xml'] } : {}) };
  };

  it('sends a small reply as one message, with every buffer it carries', () => {
    const messages = replyMessages(7, result(3, false), 10);
    assert.equal(messages.length, 1);
    const [{ message, transfer }] = messages as [(typeof messages)[number]];
    assert.ok(message.ok && 'report' in message);
    assert.equal(message.id, 7);
    assert.equal(message.changed.length, 3);
    assert.deepEqual(message.report.written, ['f0.xml', 'f1.xml']);
    assert.deepEqual(message.removed, ['gone.xml']);
    assert.equal('names' in message, false, 'no names when the build did not name every file');
    assert.equal(transfer.length, 6, 'identity, gzip and br of the two files with bytes');
  });

  it('slices files, names and written names alike, the reply last, each message transferring its own files\' buffers', () => {
    const whole = result(7, true);
    const messages = replyMessages(3, whole, 3);
    // 7 files and 8 names in slices of 3: three messages.
    assert.equal(messages.length, 3);
    const parts = messages.slice(0, -1).map(({ message }) => message);
    const last = messages.at(-1)!.message;
    for (const part of parts) assert.ok(part.ok && 'part' in part && part.id === 3);
    assert.ok(last.ok && 'report' in last);
    const changed = messages.flatMap(({ message }) => (message.ok && 'part' in message ? message.part.changed : message.ok && 'report' in message ? message.changed : []));
    const names = messages.flatMap(({ message }) => (message.ok && 'part' in message ? message.part.names ?? [] : message.ok && 'report' in message ? message.names ?? [] : []));
    assert.deepEqual(changed, whole.changed);
    assert.deepEqual(names, whole.names);
    const written = messages.flatMap(({ message }) => (message.ok && 'part' in message ? message.part.written : message.ok && 'report' in message ? message.report.written : []));
    assert.deepEqual(written, whole.report.written);
    assert.deepEqual(last.removed, ['gone.xml']);
    assert.equal(last.report.filesParsed, whole.report.filesParsed);
    for (const { message, transfer } of messages) {
      const files = message.ok && 'part' in message ? message.part.changed : message.ok && 'report' in message ? message.changed : [];
      assert.ok(files.length <= 3);
      const own = files.flatMap((one) => [one.identity, one.gzip, one.br].filter((body) => body !== undefined).map((body) => body.buffer));
      assert.deepEqual(transfer, own);
    }
  });

  it('posts each part only once the host has taken the one before, the reply last', async () => {
    const messages = replyMessages(5, result(7, true), 3);
    const posted: ThreadReply[] = [];
    const takes: (() => void)[] = [];
    const done = postReply(messages, (message) => posted.push(message), () => new Promise<void>((resolve) => takes.push(resolve)));
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    await settle();
    assert.equal(posted.length, 1, 'the second part waits for the first to be taken');
    takes.shift()!();
    await settle();
    assert.equal(posted.length, 2);
    takes.shift()!();
    await done;
    assert.deepEqual(posted, messages.map(({ message }) => message));
    assert.equal(takes.length, 0, 'no wait after the reply itself');
  });

  it('refuses a slice of no file', () => {
    assert.throws(() => replyMessages(1, result(1, false), 0), RangeError);
  });
});

describe('BuildThreadHost: a reply in slices', () => {
  it('joins the slices into the reply one message would have brought', async () => {
    const contentDir = await makeTempDir('worker-slices-content-');
    for (let index = 0; index < 5; index++) {
      await writeFile(path.join(contentDir, `a${index}.md`), articleText(frontMatter({ sourceUrl: `https://news.example.com/${index}`, publishedDateTime: `2025-01-0${index + 1}T00:00:00Z`, topics: [`Topic ${index % 2}`] })));
    }
    const whole = new BuildThreadHost(testConfig(contentDir, await makeTempDir('worker-slices-feeds-a-'), { FEED_MAX_ITEMS: '2' }), silentLogger);
    const { logger, entries } = collectingLogger();
    const sliced = new BuildThreadHost(testConfig(contentDir, await makeTempDir('worker-slices-feeds-b-'), { FEED_MAX_ITEMS: '2' }), logger, { replySliceFiles: 3 });
    try {
      const [one, many] = await Promise.all([whole.build(), sliced.build()]);
      const parts = entries.find((entry) => entry.msg === 'build reply arrived in parts');
      assert.ok(parts, 'the sliced reply came in parts');
      assert.equal(parts.files, many.changed.length);
      assert.equal(parts.parts, Math.ceil(many.changed.length / 3));
      const summary = (result: ThreadBuildResult) => result.changed.map((changed) => ({ name: changed.name, hash: changed.hash, bytes: changed.identity ? contentHash(changed.identity) : null, gzip: changed.gzip ? contentHash(gunzipSync(changed.gzip)) : null }));
      assert.ok(one.changed.length > 9, `enough files for several slices (${one.changed.length})`);
      assert.deepEqual(summary(many), summary(one));
      for (const changed of many.changed) if (changed.identity) assert.equal(contentHash(changed.identity), changed.hash, changed.name);
      assert.deepEqual(many.names, one.names);
      assert.deepEqual(many.report.published, one.report.published);
      assert.ok(many.report.written.length > 9);
      assert.deepEqual([...many.report.written].sort(), [...one.report.written].sort());
    } finally {
      await Promise.all([whole.close(), sliced.close()]);
    }
  });
});
