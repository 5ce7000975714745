import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildFeeds, createBuildCache, UNKNOWN_CHANGES, type BuildResult, type ContentChangeSet } from '../../src/build/build-feeds.js';
import { silentLogger } from '../../src/logger.js';
import { articleText, frontMatter } from '../helpers/articles.js';
import { testConfig } from '../helpers/config.js';
import { makeTempDir } from '../helpers/temp-dir.js';

async function setup() {
  const contentDir = await makeTempDir('cache-content-');
  await writeFile(path.join(contentDir, 'now.md'), articleText(frontMatter({ sourceUrl: 'https://news.example.com/now', publishedDateTime: '2025-01-01T00:00:00Z' })));
  await writeFile(path.join(contentDir, 'later.md'), articleText(frontMatter({ sourceUrl: 'https://news.example.com/later', publishedDateTime: '2025-06-01T00:00:00Z' })));
  const config = testConfig(contentDir, await makeTempDir('cache-feeds-'));
  return { contentDir, config, cache: createBuildCache(config.stateDir) };
}

describe('buildFeeds with a cache: rebuilds do only what changed', () => {
  it('a rebuild with no change parses, renders and writes nothing, and returns the same files', async () => {
    const { config, cache } = await setup();
    const first = await buildFeeds({ config, logger: silentLogger, cache, clock: () => new Date('2025-02-01T00:00:00Z') });
    const second = await buildFeeds({ config, logger: silentLogger, cache, clock: () => new Date('2025-02-01T00:05:00Z') });
    assert.equal(second.report.filesParsed, 0);
    assert.equal(second.report.rendered, 0);
    assert.deepEqual(second.report.written, []);
    const files = (result: BuildResult) => result.files.map((file) => [file.name, file.hash, file.modified.getTime()]);
    assert.deepEqual(files(second), files(first));
  });

  it('publishes a held-back article at the first rebuild after its date, though no file changed', async () => {
    const { config, cache } = await setup();
    const before = await buildFeeds({ config, logger: silentLogger, cache, clock: () => new Date('2025-02-01T00:00:00Z') });
    assert.equal(before.report.published, 1);
    const after = await buildFeeds({ config, logger: silentLogger, cache, clock: () => new Date('2025-06-01T00:00:01Z') });
    assert.equal(after.report.published, 2);
    assert.ok(after.report.written.includes('all.xml'));
  });

  it('after one file changed, parses that file and renders only the documents holding it', async () => {
    const { contentDir, config, cache } = await setup();
    await writeFile(path.join(contentDir, 'other.md'), articleText(frontMatter({ sourceUrl: 'https://news.example.com/other', topics: ['Space'], category: 'feature', provider: { name: 'Orbit', domain: 'orbit.example.com' } })));
    await buildFeeds({ config, logger: silentLogger, cache, clock: () => new Date('2025-02-01T00:00:00Z') });
    await writeFile(path.join(contentDir, 'other.md'), articleText(frontMatter({ title: 'Changed', sourceUrl: 'https://news.example.com/other', topics: ['Space'], category: 'feature', provider: { name: 'Orbit', domain: 'orbit.example.com' } })));
    const rebuilt = await buildFeeds({ config, logger: silentLogger, cache, clock: () => new Date('2025-02-01T00:05:00Z') });
    assert.equal(rebuilt.report.filesParsed, 1);
    // all, space, providers/orbit.example.com, categories/feature: not ai, news or news.example.com
    assert.equal(rebuilt.report.rendered, 4);
    const feeds = new Set(rebuilt.report.written.filter((name) => name.endsWith('.xml')).map((name) => name.slice(0, -4)));
    assert.deepEqual([...feeds].sort(), ['all', 'categories/feature', 'providers/orbit.example.com', 'space']);
  });
});

/** A stand-in for the file watcher: reports exactly what the test says changed. */
function scriptedChanges() {
  let next: ContentChangeSet = UNKNOWN_CHANGES;
  return {
    take(): ContentChangeSet {
      const answer = next;
      next = { kind: 'files', files: new Set() };
      return answer;
    },
    report(files: string[] | 'unknown') {
      next = files === 'unknown' ? UNKNOWN_CHANGES : { kind: 'files', files: new Set(files) };
    },
  };
}

/** Every built file as name → text, read from the feeds folder. */
const bodies = (result: BuildResult) => new Map(result.files.map((file) => [file.name, readFileSync(path.join(result.feedsDir!, file.name), 'utf8')]));

describe('buildFeeds with a file watcher: reads only the files it names', () => {
  const article = (name: string, extra: Record<string, unknown> = {}) =>
    articleText(frontMatter({ title: `Title of ${name}`, sourceUrl: `https://news.example.com/${name}`, publishedDateTime: '2025-01-01T00:00:00Z', ...extra }));

  /** A folder with a.md, built once with a scripted watcher; `rebuild()` builds again. */
  async function builtWithOneArticle() {
    const contentDir = await makeTempDir('watched-content-');
    await writeFile(path.join(contentDir, 'a.md'), article('a'));
    const config = testConfig(contentDir, await makeTempDir('watched-feeds-'));
    const cache = createBuildCache(config.stateDir);
    const watcher = scriptedChanges();
    const rebuild = () => buildFeeds({ config, logger: silentLogger, cache, changes: watcher.take(), clock: () => new Date('2025-02-01T00:00:00Z') });
    await rebuild();
    return { contentDir, watcher, rebuild };
  }

  it('after edits, additions, removals and files turning bad or good, gives what a full build gives', async () => {
    const contentDir = await makeTempDir('watched-content-');
    await mkdir(path.join(contentDir, 'sub'));
    for (const name of ['a', 'b', 'c']) await writeFile(path.join(contentDir, `${name}.md`), article(name));
    await writeFile(path.join(contentDir, 'sub', 'd.md'), article('d', { topics: ['Space'] }));
    await writeFile(path.join(contentDir, 'bad.md'), article('bad', { sourceUrl: 'not a url' }));
    const config = testConfig(contentDir, await makeTempDir('watched-feeds-'), { MAX_FILE_BYTES: '2000' });
    const cache = createBuildCache(config.stateDir);
    const watcher = scriptedChanges();
    // The same history, scanning the whole folder every time (no watcher), in its own folders.
    const fullConfig = testConfig(contentDir, await makeTempDir('full-feeds-'), { MAX_FILE_BYTES: '2000' });
    const fullCache = createBuildCache(fullConfig.stateDir);
    const clock = () => new Date('2025-02-01T00:00:00Z');
    await buildFeeds({ config, logger: silentLogger, cache, changes: watcher.take(), clock });
    await buildFeeds({ config: fullConfig, logger: silentLogger, cache: fullCache, clock });

    await writeFile(path.join(contentDir, 'b.md'), article('b', { title: 'B, edited' }));
    await writeFile(path.join(contentDir, 'sub', 'e.md'), article('e', { topics: ['Space'] }));
    await writeFile(path.join(contentDir, '0-first.md'), article('first'));
    await rm(path.join(contentDir, 'c.md'));
    await writeFile(path.join(contentDir, 'bad.md'), article('bad'));
    await writeFile(path.join(contentDir, 'a.md'), article('a', { excerpt: 'x'.repeat(3000) }));
    watcher.report(['b.md', 'sub/e.md', '0-first.md', 'c.md', 'bad.md', 'a.md']);
    const watched = await buildFeeds({ config, logger: silentLogger, cache, changes: watcher.take(), clock });

    const full = await buildFeeds({ config: fullConfig, logger: silentLogger, cache: fullCache, clock });
    assert.equal(watched.report.filesParsed, 4, 'b, e, 0-first and bad parsed; a is too large now');
    assert.deepEqual(bodies(watched), bodies(full));
    assert.deepEqual(watched.report.problems, full.report.problems);
    assert.deepEqual([watched.report.filesRead, watched.report.published], [full.report.filesRead, full.report.published]);
    assert.match(bodies(watched).get('all.xml')!, /B, edited/);
    assert.match(bodies(watched).get('all.atom')!, /deleted-entry ref="https:\/\/news.example.com\/c"/);
  });

  it('does not read a file the watcher did not name, and reads everything when it cannot say', async () => {
    const { contentDir, watcher, rebuild } = await builtWithOneArticle();
    await writeFile(path.join(contentDir, 'a.md'), article('a', { title: 'Unannounced edit' }));
    const quiet = await rebuild();
    assert.equal(quiet.report.filesParsed, 0);
    assert.doesNotMatch(bodies(quiet).get('all.xml')!, /Unannounced edit/);
    watcher.report('unknown');
    const scanned = await rebuild();
    assert.equal(scanned.report.filesParsed, 1);
    assert.match(bodies(scanned).get('all.xml')!, /Unannounced edit/);
  });

  it('scans everything when a named path is now a folder', async () => {
    const { contentDir, watcher, rebuild } = await builtWithOneArticle();
    await mkdir(path.join(contentDir, 'new.md'));
    await writeFile(path.join(contentDir, 'new.md', 'inside.md'), article('inside'));
    watcher.report(['new.md']);
    const result = await rebuild();
    assert.equal(result.report.published, 2);
  });
});
