import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildFeeds, createBuildCache } from '../src/build.js';
import { silentLogger } from '../src/io/logger.js';
import { articleText, frontMatter } from './helpers/articles.js';
import { testConfig } from './helpers/config.js';
import { makeTempDir } from './helpers/temp-dir.js';

async function setup() {
  const contentDir = await makeTempDir('cache-content-');
  await writeFile(path.join(contentDir, 'now.md'), articleText(frontMatter({ sourceUrl: 'https://news.example.com/now', publishedDateTime: '2025-01-01T00:00:00Z' })));
  await writeFile(path.join(contentDir, 'later.md'), articleText(frontMatter({ sourceUrl: 'https://news.example.com/later', publishedDateTime: '2025-06-01T00:00:00Z' })));
  return { contentDir, config: testConfig(contentDir, await makeTempDir('cache-feeds-')), cache: createBuildCache() };
}

describe('buildFeeds with a cache: rebuilds do only what changed', () => {
  it('a rebuild with no change parses, renders and writes nothing, and returns the same files', async () => {
    const { config, cache } = await setup();
    const first = await buildFeeds({ config, logger: silentLogger, cache, clock: () => new Date('2025-02-01T00:00:00Z') });
    const second = await buildFeeds({ config, logger: silentLogger, cache, clock: () => new Date('2025-02-01T00:05:00Z') });
    assert.equal(second.report.filesParsed, 0);
    assert.equal(second.report.rendered, 0);
    assert.deepEqual(second.report.written, []);
    assert.equal(second.files, first.files);
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
