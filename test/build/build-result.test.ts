/**
 * What a build result keeps alive and how it is read without making a BuiltFile of each file
 * (build-result.ts): a server's build thread keeps its last build's result between builds, and
 * at 100k articles its files are 35 000 (340 000 at a million).
 */
import assert from 'node:assert/strict';
import { utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { buildFeeds, createBuildCache } from '../../src/build/build-feeds.js';
import { buildResult, everyFile, fileCount, type BuildReport, type BuiltFile, type FileHash } from '../../src/build/build-result.js';
import { fullCollection } from '../../src/build/heap-release.js';
import type { FeedsManifest, ManifestFile } from '../../src/build/write-feeds.js';
import { silentLogger } from '../../src/logger.js';
import { articleText, frontMatter } from '../helpers/articles.js';
import { testConfig } from '../helpers/config.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const REPORT = { written: [], removed: [], problems: [] } as unknown as BuildReport;

function row(name: string): ManifestFile {
  return { name, contentType: 'application/rss+xml; charset=utf-8', hash: `hash-of-${name}`, size: 10, mtimeMs: Date.UTC(2025, 0, 1) };
}

function manifestOf(...names: string[]): FeedsManifest {
  return { files: new Map(names.map((name) => [name, row(name)])), journalRows: 0 };
}

/** Every file `everyFile` shows its test. */
function shown(result: Parameters<typeof everyFile>[0]): FileHash[] {
  const files: FileHash[] = [];
  everyFile(result, (file) => (files.push(file), true));
  return files;
}

/** A BuiltFile has `modified`; a manifest row has `mtimeMs` instead. */
const isManifestRow = (file: FileHash) => 'mtimeMs' in file && !('modified' in file);

describe('buildResult: reading a result without making its files', () => {
  it("answers everyFile and fileCount from the manifest's rows until its files are read, then from those", () => {
    const result = buildResult(REPORT, manifestOf('a.xml', 'b.xml'), '/feeds', { changed: [], removed: [], complete: false });
    assert.equal(fileCount(result), 2);
    assert.equal(everyFile(result, (file) => file.name !== 'b.xml'), false);
    assert.ok(shown(result).every(isManifestRow), 'the rows, not BuiltFiles made of them');
    const files: readonly BuiltFile[] = result.files;
    assert.deepEqual(shown(result), files, 'once made, the files themselves');
    assert.equal(fileCount(result), 2);
  });

  it('keeps nothing of a result the caller dropped alive through the manifest it was made of', async () => {
    const collect = fullCollection();
    assert.ok(collect, 'this runtime gives a full collection');
    const manifest = manifestOf('ai.xml');
    // The result's files and bytes, as a full build returns them to its caller.
    const changed = (() => {
      const files = [{ name: 'ai.xml', contentType: 'application/rss+xml', hash: 'hash-of-ai.xml', size: 1 << 20, modified: new Date(0), body: Buffer.alloc(1 << 20) }];
      buildResult(REPORT, manifest, '/feeds', { changed: files, removed: [], complete: true });
      return new WeakRef(files);
    })();
    // A WeakRef holds its target until the job that made it ends.
    await nextTurn();
    collect();
    assert.equal(changed.deref(), undefined, 'the manifest (kept by the next build) holds the dropped result’s files');
    assert.equal(manifest.files.size, 1);
  });
});

describe('buildFeeds: the results of a build with nothing to do and of earlier builds', () => {
  it("leaves the last build's files unmade when a scheduled rebuild finds nothing changed, and counts them", async () => {
    const contentDir = await makeTempDir('result-content-');
    for (const day of [1, 2]) {
      const file = path.join(contentDir, `a${day}.md`);
      await writeFile(file, articleText(frontMatter({ title: `Day ${day}`, sourceUrl: `https://news.example.com/${day}`, publishedDateTime: `2025-01-0${day}T00:00:00Z` })));
      // Settled: a scan does not read them again for a recent change.
      await utimes(file, new Date('2024-01-01T00:00:00Z'), new Date('2024-01-01T00:00:00Z'));
    }
    const config = testConfig(contentDir, path.join(await makeTempDir('result-feeds-'), 'feeds'));
    const cache = createBuildCache(config.stateDir);
    const build = () => buildFeeds({ config, logger: silentLogger, cache, changes: { kind: 'unknown' }, clock: () => new Date(Date.UTC(2025, 1, 1)), saveCache: false });
    const first = await build();
    const again = await build();
    assert.deepEqual(again.report.written, [], 'nothing to do');
    assert.ok(cache.last, 'the last build is kept');
    assert.ok(shown(cache.last.result).every(isManifestRow), "the last build's files were not made");
    assert.equal(again.report.unchanged, first.files.length);
    assert.deepEqual(
      again.files.map((file) => [file.name, file.hash]),
      first.files.map((file) => [file.name, file.hash]),
    );
  });
});
