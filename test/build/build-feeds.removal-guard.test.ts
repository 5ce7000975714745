/**
 * The mass-removal guard and the content-folder check, through real builds: a content folder that
 * went empty, missing or wrong publishes nothing, announces no deletion and leaves every byte of
 * the feeds and the state as they were; editors removing a few articles at a time are never held
 * back; an explicit override publishes.
 */
import assert from 'node:assert/strict';
import { cp, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildFeeds, createBuildCache, type BuildCache } from '../../src/build/build-feeds.js';
import { ContentChangedDuringBuild, scanContent, surveyContent } from '../../src/build/scan-content.js';
import { UNKNOWN_CHANGES } from '../../src/content/watch-content.js';
import type { Config } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { articleText, frontMatter } from '../helpers/articles.js';
import { testConfig } from '../helpers/config.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const T1 = new Date('2025-01-01T00:00:00Z');
const ARTICLES = 30;

/** Every file below `dir` (hidden ones included: the manifest and the state are what matter here), name → bytes. */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const names = entries.filter((entry) => entry.isFile()).map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name))).sort();
  return new Map(await Promise.all(names.map(async (name) => [name, (await readFile(path.join(dir, name))).toString('base64')] as const)));
}

async function writeArticles(contentDir: string, count: number): Promise<void> {
  await mkdir(contentDir, { recursive: true });
  for (let index = 0; index < count; index++) {
    const day = String(1 + (index % 28)).padStart(2, '0');
    const fields = frontMatter({ title: `Story ${index}`, sourceUrl: `https://news.example.com/${index}`, topics: [index % 2 ? 'AI' : 'Space'], publishedDateTime: `2024-05-${day}T${String(index % 24).padStart(2, '0')}:00:00Z` });
    await writeFile(path.join(contentDir, `story-${String(index).padStart(3, '0')}.md`), articleText(fields, `Body ${index}.`));
  }
}

/** A content folder with ARTICLES articles, built once; `cache` as a server keeps it between builds. */
async function published(env: Record<string, string> = {}): Promise<{ root: string; contentDir: string; config: Config; cache: BuildCache; build: (config?: Config) => ReturnType<typeof buildFeeds> }> {
  const root = await makeTempDir('removal-guard-');
  const contentDir = path.join(root, 'content');
  await writeArticles(contentDir, ARTICLES);
  const config = testConfig(contentDir, path.join(root, 'feeds'), env);
  const cache = createBuildCache(config.stateDir);
  const build = (with_ = config) => buildFeeds({ config: with_, logger: silentLogger, clock: () => T1, cache });
  await build();
  return { root, contentDir, config, cache, build };
}

/** The feeds folder and the state folder, every byte. */
async function onDisk(config: Config): Promise<[Map<string, string>, Map<string, string>]> {
  return [await snapshot(config.feedsDir), await snapshot(config.stateDir)];
}

describe('the mass-removal guard', () => {
  it('holds back a build whose content folder went empty: nothing written, nothing announced, the error says what to do', async () => {
    const { contentDir, config, build } = await published();
    const before = await onDisk(config);
    await rename(contentDir, `${contentDir}.away`);
    await mkdir(contentDir);

    await assert.rejects(build(), (error: Error & { code?: string; details?: Record<string, number> }) => {
      assert.equal(error.code, 'MASS_REMOVAL_REFUSED');
      assert.deepEqual(error.details, { wouldRemove: ARTICLES, published: ARTICLES, limit: 20 });
      assert.match(error.message, /would remove 30 of the 30 published entries/);
      assert.match(error.message, /ALLOW_MASS_REMOVAL=true/);
      assert.match(error.message, /--allow-mass-removal/);
      return true;
    });
    assert.deepEqual(await onDisk(config), before, 'the feeds or the state changed');

    // Once the folder is back, the next build (same process, same cache) announces nothing and writes the same bytes.
    await rm(contentDir, { recursive: true });
    await rename(`${contentDir}.away`, contentDir);
    const { report } = await build();
    assert.equal(report.deleted, 0);
    assert.equal(report.published, ARTICLES);
    assert.deepEqual(await onDisk(config).then(([feeds]) => feeds), before[0]);
  });

  it('also in a new process (no cache in memory), and just past the limit', async () => {
    const { contentDir, config } = await published();
    const before = await onDisk(config);
    // 21 of 30 removed: one more than the limit of 20.
    for (let index = 0; index < 21; index++) await rm(path.join(contentDir, `story-${String(index).padStart(3, '0')}.md`));
    await assert.rejects(buildFeeds({ config, logger: silentLogger, clock: () => T1 }), { code: 'MASS_REMOVAL_REFUSED' });
    assert.deepEqual(await onDisk(config), before);
  });

  it('never holds back editors removing a few articles at a time', async () => {
    const { contentDir, config, build } = await published();
    let removed = 0;
    while (removed < ARTICLES) {
      for (let index = removed; index < Math.min(ARTICLES, removed + 7); index++) await rm(path.join(contentDir, `story-${String(index).padStart(3, '0')}.md`));
      removed = Math.min(ARTICLES, removed + 7);
      const { report } = await build();
      assert.equal(report.published, ARTICLES - removed);
      assert.equal(report.deleted, removed, 'each removal is announced');
    }
    const atom = await readFile(path.join(config.feedsDir, 'all.atom'), 'utf8');
    assert.equal(atom.match(/<at:deleted-entry /g)?.length, ARTICLES);
  });

  it('counts articles made drafts as removals', async () => {
    const { contentDir, build } = await published();
    for (let index = 0; index < 25; index++) {
      const file = path.join(contentDir, `story-${String(index).padStart(3, '0')}.md`);
      await writeFile(file, (await readFile(file, 'utf8')).replace('published: true', 'published: false'));
    }
    await assert.rejects(build(), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'MASS_REMOVAL_REFUSED');
      // An editor taking many articles down as drafts learns why the build counts them.
      assert.match(error.message, /made a draft \(published: false\)/);
      return true;
    });
  });

  it('publishes such a build when told to (ALLOW_MASS_REMOVAL), announcing the deletions', async () => {
    const { contentDir, config, build } = await published();
    await rm(contentDir, { recursive: true });
    await mkdir(contentDir);
    const { report } = await build(testConfig(contentDir, config.feedsDir, { ALLOW_MASS_REMOVAL: 'true' }));
    assert.equal(report.published, 0);
    assert.equal(report.deleted, ARTICLES);
  });

  it('dates the deletions it then announces from the build that published them, not the one held back', async () => {
    const { contentDir, config, cache } = await published();
    for (let index = 0; index < 21; index++) await rm(path.join(contentDir, `story-${String(index).padStart(3, '0')}.md`));
    const at = (when: Date, with_ = config) => buildFeeds({ config: with_, logger: silentLogger, clock: () => when, cache });
    await assert.rejects(at(new Date('2025-01-02T00:00:00Z')), { code: 'MASS_REMOVAL_REFUSED' });
    await at(new Date('2025-01-03T00:00:00Z'), testConfig(contentDir, config.feedsDir, { ALLOW_MASS_REMOVAL: 'true' }));
    const atom = await readFile(path.join(config.feedsDir, 'all.atom'), 'utf8');
    const when = [...atom.matchAll(/<at:deleted-entry [^>]*when="([^"]+)"/g)].map((match) => match[1]);
    assert.equal(when.length, 21);
    assert.deepEqual(new Set(when), new Set(['2025-01-03T00:00:00.000Z']));
  });

  it('follows the configured limits', async () => {
    const { contentDir, config, build } = await published({ REMOVAL_LIMIT_PERCENT: '50', REMOVAL_LIMIT_ENTRIES: '0' });
    for (let index = 0; index < 15; index++) await rm(path.join(contentDir, `story-${String(index).padStart(3, '0')}.md`));
    assert.equal((await build()).report.deleted, 15, '15 of 30 is within 50%');
    const strict = testConfig(contentDir, config.feedsDir, { REMOVAL_LIMIT_PERCENT: '0', REMOVAL_LIMIT_ENTRIES: '0' });
    await rm(path.join(contentDir, 'story-020.md'));
    await assert.rejects(build(strict), { code: 'MASS_REMOVAL_REFUSED', details: { wouldRemove: 1, published: 15, limit: 0 } });
  });
});

describe('a content folder that cannot be read', () => {
  for (const [fault, make, reason] of [
    ['missing', (dir: string) => rm(dir, { recursive: true }), /is missing \(ENOENT\)/],
    ['a file', async (dir: string) => (await rm(dir, { recursive: true }), writeFile(dir, 'not a folder')), /is not a folder \(ENOTDIR\)/],
  ] as const) {
    it(`is an error of its own when it is ${fault}, never "no articles"`, async () => {
      // Even with the guard off: this is not an empty folder.
      const { contentDir, config, build } = await published({ ALLOW_MASS_REMOVAL: 'true' });
      const before = await onDisk(config);
      await make(contentDir);
      await assert.rejects(build(), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'CONTENT_FOLDER_UNAVAILABLE');
        assert.match(error.message, reason);
        assert.ok(error.message.includes(path.resolve(contentDir)), 'names the folder');
        return true;
      });
      assert.deepEqual(await onDisk(config), before);
    });
  }
});

describe('a content folder swapped while a scan reads it', () => {
  it('is a folder that changed under the scan, not a removal of the files it no longer finds', async () => {
    // The folder is listed, then swapped for one holding a third of the files (an unmount
    // midway) before they are read. Taken as removals, the missing two thirds (20) would pass
    // under the guard's limit, and the next build would remove the rest the same way.
    const { contentDir, config, cache } = await published();
    const survey = surveyContent(contentDir, true);
    await rename(contentDir, `${contentDir}.away`);
    await mkdir(contentDir);
    for (const name of (await readdir(`${contentDir}.away`)).slice(0, ARTICLES / 3)) await cp(path.join(`${contentDir}.away`, name), path.join(contentDir, name), { preserveTimestamps: true });
    await assert.rejects(scanContent(config, cache, UNKNOWN_CHANGES, { renderEntries: config.site.archives.length > 0 }, survey), (error: Error) => {
      assert.ok(error instanceof ContentChangedDuringBuild, String(error));
      assert.match(error.message, /^story-\d{3}\.md was listed, then gone before it was read$/);
      return true;
    });
  });

  it('leaves the cache as it was: the next build publishes what the folder then holds', async () => {
    const { contentDir, config, cache, build } = await published();
    // Listed by the scan, gone before its read: the scan stops; the next build lists the folder again.
    const survey = surveyContent(contentDir, true);
    await rm(path.join(contentDir, 'story-007.md'));
    await assert.rejects(scanContent(config, cache, UNKNOWN_CHANGES, { renderEntries: config.site.archives.length > 0 }, survey), ContentChangedDuringBuild);
    const result = await build();
    assert.equal(result.report.published, ARTICLES - 1);
    assert.deepEqual(result.report.problems, [], 'a file that went is no problem of the content');
  });

  it('but a file whose name is not valid UTF-8, listed and never openable by that name, is a problem of its own: the rest is published', async () => {
    const { contentDir, build } = await published();
    await writeFile(Buffer.concat([Buffer.from(path.join(contentDir, 'caf')), Buffer.from([0xe9]), Buffer.from('.md')]), articleText(frontMatter({ title: 'Latin-1 name' })));
    const result = await build();
    assert.equal(result.report.published, ARTICLES);
    assert.deepEqual(result.report.problems.map((problem) => [problem.file, problem.issues[0]?.reason]), [['caf\uFFFD.md', 'name_not_utf8']]);
  });
});
