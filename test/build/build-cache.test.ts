/**
 * The build cache in STATE_DIR/cache: a build in a new process starts from it, and a cache that
 * is corrupt, truncated, from another version or another configuration, or whose stored entries
 * are damaged, is discarded with one log line and never makes a wrong feed. Every case compares
 * the whole feeds folder, byte for byte, with a build that never had a cache.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { cacheStamp, inputsDigest, liveEntryKeys, loadBuildCache, saveBuildCache, saveBuildCacheUnlessStopped, type ScannedFile } from '../../src/build/build-cache.js';
import { buildFeeds } from '../../src/build/build-feeds.js';
import { saveIndex } from '../../src/build/cache-index.js';
import { MANIFEST_NAME } from '../../src/build/write-feeds.js';
import type { Config } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { articleText, frontMatter } from '../helpers/articles.js';
import { testConfig } from '../helpers/config.js';
import { indexContents, INDEX_FILES, scannedFile } from '../helpers/index-contents.js';
import { collectingLogger } from '../helpers/logger.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const NOW = new Date('2025-03-01T00:00:00Z');
const clock = () => NOW;
const SETTINGS = { FEED_MAX_ITEMS: '2' };

/** Every file of a feeds folder but the manifest, as name → bytes. */
function folderBytes(dir: string): Map<string, Buffer> {
  const names = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && !entry.name.startsWith(MANIFEST_NAME))
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
  return new Map(names.map((name) => [name, readFileSync(path.join(dir, name))]));
}

function assertSameFolder(actual: string, expected: string): void {
  const got = folderBytes(actual);
  const want = folderBytes(expected);
  assert.deepEqual([...got.keys()], [...want.keys()], 'the same file names');
  for (const [name, bytes] of want) assert.ok(got.get(name)?.equals(bytes), `${name} is byte-identical to a build without a cache`);
}

let contentDir: string;
/** A build with the cache as a first build left it, copied for each case. */
let built: { feedsDir: string; stateDir: string };
/** The same content built with no cache at all. */
let reference: Config;

before(async () => {
  contentDir = await makeTempDir('cache-content-');
  const topics = [['AI'], ['AI', 'Space'], ['Space'], ['AI'], ['Climate'], ['AI', 'Climate'], ['Space']];
  for (const [index, list] of topics.entries()) {
    const fields = frontMatter({ title: `Article ${index}`, sourceUrl: `https://news.example.com/${index}`, publishedDateTime: `2025-01-0${index + 1}T00:00:00Z`, topics: list });
    await writeFile(path.join(contentDir, `a${index}.md`), articleText(fields, index % 2 ? `Body **${index}** with [a link](/x).` : ''));
  }
  await writeFile(path.join(contentDir, 'draft.md'), articleText(frontMatter({ title: 'A draft', sourceUrl: 'https://news.example.com/draft', published: false })));
  const config = testConfig(contentDir, path.join(await makeTempDir('cache-built-'), 'feeds'), SETTINGS);
  await buildFeeds({ config, logger: silentLogger, clock });
  built = { feedsDir: config.feedsDir, stateDir: config.stateDir };
  reference = testConfig(contentDir, path.join(await makeTempDir('cache-reference-'), 'feeds'), SETTINGS);
  await buildFeeds({ config: reference, logger: silentLogger, clock });
  rmSync(path.join(reference.stateDir, 'cache'), { recursive: true, force: true });
});

/** A copy of the first build's feeds and state folders, with the config pointing at them (and at `content`). */
async function copyOfBuilt(env: Record<string, string> = {}, content = contentDir): Promise<Config> {
  const config = testConfig(content, path.join(await makeTempDir('cache-case-'), 'feeds'), { ...SETTINGS, ...env });
  // As a CI cache step restores them: with their modification times.
  cpSync(built.feedsDir, config.feedsDir, { recursive: true, preserveTimestamps: true });
  cpSync(built.stateDir, config.stateDir, { recursive: true, preserveTimestamps: true });
  return config;
}

const indexFile = (config: Config) => path.join(config.stateDir, 'cache', 'index.json');
const segments = (config: Config) =>
  readdirSync(path.join(config.stateDir, 'cache'))
    .filter((name) => name.endsWith('.bin'))
    .map((name) => path.join(config.stateDir, 'cache', name));

/** Builds with a collecting logger; returns the build and the warnings that speak of the cache. */
async function buildLogged(config: Config) {
  const { logger, entries } = collectingLogger();
  const result = await buildFeeds({ config, logger, clock });
  const cacheLines = entries.filter((entry) => /cache/.test(entry.msg));
  return { result, cacheLines };
}

describe('build cache: a new process starts from it', () => {
  it('parses and renders nothing when nothing changed, and writes the same folder', async () => {
    const config = await copyOfBuilt();
    const { result, cacheLines } = await buildLogged(config);
    assert.deepEqual(cacheLines, []);
    assert.equal(result.report.filesParsed, 0);
    assert.equal(result.report.rendered, 0);
    assert.deepEqual(result.report.written, []);
    assertSameFolder(config.feedsDir, reference.feedsDir);
  });

  it('builds an article edited under the same name: the build it saved is not taken as still right', async () => {
    const content = await makeTempDir('cache-edited-content-');
    cpSync(contentDir, content, { recursive: true, preserveTimestamps: true });
    const config = await copyOfBuilt({}, content);
    writeFileSync(path.join(content, 'a6.md'), readFileSync(path.join(content, 'a6.md'), 'utf8').replace('Article 6', 'Article 6, corrected'));
    const { result } = await buildLogged(config);
    assert.equal(result.report.filesParsed, 1);
    const expected = testConfig(content, path.join(await makeTempDir('cache-edited-reference-'), 'feeds'), SETTINGS);
    await buildFeeds({ config: expected, logger: silentLogger, clock });
    assert.match(readFileSync(path.join(expected.feedsDir, 'all.xml'), 'utf8'), /Article 6, corrected/);
    assertSameFolder(config.feedsDir, expected.feedsDir);
  });

  it('re-renders from stored entries, without parsing, when the feeds folder is gone (a CI run that keeps only STATE_DIR)', async () => {
    const config = await copyOfBuilt();
    rmSync(config.feedsDir, { recursive: true });
    const { result, cacheLines } = await buildLogged(config);
    assert.deepEqual(cacheLines, []);
    assert.equal(result.report.filesParsed, 0);
    assert.ok(result.report.rendered > 0);
    assertSameFolder(config.feedsDir, reference.feedsDir);
  });

  it('reads only the scan part of its index when nothing changed; the rest when a build needs it', async () => {
    const config = await copyOfBuilt();
    const cache = loadBuildCache(config.stateDir, cacheStamp(config), silentLogger);
    assert.equal(cache.files.size, 8, 'every file, from the scan part');
    assert.equal(cache.indexUnread, true);
    await buildFeeds({ config, logger: silentLogger, clock, cache });
    assert.equal(cache.indexUnread, true, 'a build with nothing to do leaves the outcomes, entries and documents unread');

    // The copy gave every file a new inode: that build saved the index again, its rest copied as it was.
    const saved = loadBuildCache(config.stateDir, cacheStamp(config), silentLogger);
    assert.equal(saved.indexUnread, true);
    rmSync(config.feedsDir, { recursive: true });
    const { logger, entries } = collectingLogger();
    const result = await buildFeeds({ config, logger, clock, cache: saved });
    assert.deepEqual(entries.filter((entry) => /cache/.test(entry.msg)), [], 'the index saved with its rest copied is used');
    assert.equal(saved.indexUnread, false);
    assert.equal(result.report.filesParsed, 0, 'the outcomes came from the index');
    assertSameFolder(config.feedsDir, reference.feedsDir);
  });

  it('builds the model anyway for a caller that keeps the cache (warmModel, the server), writing nothing', async () => {
    const plain = await copyOfBuilt();
    const plainCache = loadBuildCache(plain.stateDir, cacheStamp(plain), silentLogger);
    await buildFeeds({ config: plain, logger: silentLogger, clock, cache: plainCache });
    assert.equal(plainCache.model, undefined, 'without it, a build with nothing to do makes no model');

    const config = await copyOfBuilt();
    const cache = loadBuildCache(config.stateDir, cacheStamp(config), silentLogger);
    const result = await buildFeeds({ config, logger: silentLogger, clock, cache, warmModel: true });
    assert.ok(cache.model, 'the model the next change updates');
    assert.equal(result.report.filesParsed, 0);
    assert.deepEqual(result.report.written, []);
    assertSameFolder(config.feedsDir, reference.feedsDir);
  });

  it('a build that fails before it needs the rest (the content folder is gone) leaves it unread and throws its own error', async () => {
    const config = await copyOfBuilt();
    const cache = loadBuildCache(config.stateDir, cacheStamp(config), silentLogger);
    const gone = { ...config, contentDir: path.join(config.stateDir, 'no-such-folder') };
    await assert.rejects(buildFeeds({ config: gone, logger: silentLogger, clock, cache }), (error: Error & { code?: string }) => error.code === 'CONTENT_FOLDER_UNAVAILABLE');
    assert.equal(cache.indexUnread, true);
    const result = await buildFeeds({ config, logger: silentLogger, clock, cache });
    assert.equal(result.report.filesParsed, 0);
    assertSameFolder(config.feedsDir, reference.feedsDir);
  });

  it('removes a segment no entry points to (an interrupted build left it) once the entries are read, not before', async () => {
    const config = await copyOfBuilt();
    const leftover = path.join(config.stateDir, 'cache', 'entries-leftover-00000000.bin');
    writeFileSync(leftover, 'half an entry');
    const cache = loadBuildCache(config.stateDir, cacheStamp(config), silentLogger);
    assert.ok(existsSync(leftover), 'kept while the entries are unread');
    assert.ok(cache.entries.size > 0);
    assert.ok(!existsSync(leftover), 'removed once they are read');
    assert.ok(segments(config).length > 0, 'the segments in use stay');
  });

  it('a save in the background (the server\'s) that is stopped leaves the saved index as it was; one that is not writes what a plain save writes', async () => {
    const config = await copyOfBuilt();
    const stamp = cacheStamp(config);
    const cache = loadBuildCache(config.stateDir, stamp, silentLogger);
    // The rest is read (the entries are needed again) and the stats are new (the copy's inodes).
    rmSync(config.feedsDir, { recursive: true });
    await buildFeeds({ config, logger: silentLogger, clock, cache, saveCache: false });
    assert.equal(cache.indexUnread, false);
    const before = readFileSync(indexFile(config));
    let pauses = 0;
    const stopped = await saveBuildCacheUnlessStopped(cache, stamp, liveEntryKeys(cache), () => ++pauses > 0);
    assert.equal(stopped, false);
    assert.equal(pauses, 1, 'stopped at its first pause');
    assert.ok(readFileSync(indexFile(config)).equals(before), 'the saved index is untouched');
    assert.deepEqual(readdirSync(path.dirname(indexFile(config))).filter((name) => name.endsWith('.tmp')), [], 'its temporary file is gone');
    assert.equal(cache.dirty, true, 'still to be saved');

    assert.ok(await saveBuildCacheUnlessStopped(cache, stamp, liveEntryKeys(cache), () => false), 'saved');
    assert.equal(cache.dirty, false);
    const inBackground = readFileSync(indexFile(config));
    assert.ok(!inBackground.equals(before), 'the new stats are in the saved index');
    saveBuildCache(cache, stamp, liveEntryKeys(cache));
    assert.ok(readFileSync(indexFile(config)).equals(inBackground), 'byte for byte what a plain save writes');

    const next = loadBuildCache(config.stateDir, stamp, silentLogger);
    const result = await buildFeeds({ config, logger: silentLogger, clock, cache: next });
    assert.equal(result.report.filesParsed, 0, 'a new process finds nothing to parse');
  });

  it('keeps nothing of a draft: neither its link nor its title is in the cache', async () => {
    const config = await copyOfBuilt();
    const cached = [indexFile(config), ...segments(config)].map((file) => readFileSync(file, 'latin1')).join('\n');
    assert.ok(!cached.includes('news.example.com/draft'), 'the draft link');
    assert.ok(!cached.includes('A draft'), 'the draft title');
    assert.ok(cached.includes('news.example.com/3'), 'a published link is there (the check can fail)');
  });
});

describe('build cache: discarded, with one log line, and never a wrong feed', () => {
  /** Runs the case: damage the copy, build, expect one line naming the reason and a correct folder. */
  async function discardedBecause(reason: RegExp, damage: (config: Config) => void, env: Record<string, string> = {}, expected = reference) {
    const config = await copyOfBuilt(env);
    damage(config);
    const { result, cacheLines } = await buildLogged(config);
    assert.equal(cacheLines.length, 1, `one log line: ${JSON.stringify(cacheLines)}`);
    assert.equal(cacheLines[0]!.level, 'warn');
    assert.match(cacheLines[0]!.msg, reason);
    assertSameFolder(config.feedsDir, expected.feedsDir);
    return result;
  }

  it('a truncated index', async () => {
    const result = await discardedBecause(/truncated/, (config) => {
      const text = readFileSync(indexFile(config));
      writeFileSync(indexFile(config), text.subarray(0, Math.floor(text.length / 2)));
    });
    assert.equal(result.report.filesParsed, 8, 'every file parsed again');
  });

  it('an index with one byte changed (same length) in its scan part, found when it is loaded', async () => {
    await discardedBecause(/checksum|corrupt/, (config) => {
      const text = readFileSync(indexFile(config), 'utf8');
      const at = text.lastIndexOf('a3.md');
      writeFileSync(indexFile(config), `${text.slice(0, at)}a9.md${text.slice(at + 'a3.md'.length)}`);
    });
  });

  it('an index with one byte changed (same length) in its rest, found when a build needs it', async () => {
    const damage = (config: Config) => {
      const text = readFileSync(indexFile(config), 'utf8');
      const at = text.indexOf('news.example.com/3');
      assert.ok(at < text.length - (JSON.parse(text.trimEnd().split('\n').at(-1)!) as { scanBytes: number }).scanBytes, 'the byte is in the rest');
      writeFileSync(indexFile(config), `${text.slice(0, at)}news.example.com/4${text.slice(at + 'news.example.com/3'.length)}`);
    };
    await discardedBecause(/checksum of its rest|corrupt/, (config) => {
      damage(config);
      rmSync(config.feedsDir, { recursive: true });
    });
    // A build with nothing to do does not read the rest: it uses nothing of it, and its files are right.
    const config = await copyOfBuilt();
    damage(config);
    const { result, cacheLines } = await buildLogged(config);
    assert.equal(result.report.filesParsed, 0);
    assertSameFolder(config.feedsDir, reference.feedsDir);
    // That build saved the index again (the copy's new inodes), copying the rest: the copy checks it first.
    assert.equal(cacheLines.length, 1, `one log line: ${JSON.stringify(cacheLines)}`);
    assert.match(cacheLines[0]!.msg, /checksum of its rest/);
    const next = await buildLogged(config);
    assert.equal(next.result.report.filesParsed, 8, 'the next build starts without the cache');
    assertSameFolder(config.feedsDir, reference.feedsDir);
  });

  it('an index that is not JSON at all', async () => {
    await discardedBecause(/truncated|unreadable/, (config) => writeFileSync(indexFile(config), 'garbage\u0000\u0001'));
  });

  it('an index written by another version of the service (its checksum intact)', async () => {
    await discardedBecause(/another version/, (config) => rewriteHeader(config, (header) => ({ ...header, code: 'other-code' })));
  });

  it('an index in another format version', async () => {
    await discardedBecause(/another format/, (config) => rewriteHeader(config, (header) => ({ ...header, version: 99 })));
  });

  it('an index of the earlier format (version 2: one checksum in its trailer) is named as such, not as truncated', async () => {
    await discardedBecause(/another format/, (config) => {
      const lines = readFileSync(indexFile(config), 'utf8').trimEnd().split('\n');
      const { restSha256: _rest, ...trailer } = JSON.parse(lines.pop()!) as Record<string, unknown>;
      lines[0] = JSON.stringify({ ...(JSON.parse(lines[0]!) as Record<string, unknown>), version: 2 });
      writeFileSync(indexFile(config), `${[...lines, JSON.stringify(trailer)].join('\n')}\n`);
    });
  });

  it('an index made with another configuration (another feed title)', async () => {
    const other = testConfig(contentDir, path.join(await makeTempDir('cache-other-'), 'feeds'), { ...SETTINGS, FEED_TITLE: 'Other title' });
    await buildFeeds({ config: other, logger: silentLogger, clock });
    await discardedBecause(/another configuration/, () => {}, { FEED_TITLE: 'Other title' }, other);
  });

  it('an index whose outcomes do not parse (its checksum made to match), when a build needs them', async () => {
    await discardedBecause(/unreadable/, (config) => {
      rmSync(config.feedsDir, { recursive: true });
      rewriteLines(config, (line) => (line.startsWith('["O",') ? '["O",{"x":1}]' : line));
    });
  });

  it('a segment cut short, when its entries are needed', async () => {
    await discardedBecause(/damaged/, (config) => {
      rmSync(config.feedsDir, { recursive: true });
      for (const file of segments(config)) writeFileSync(file, readFileSync(file).subarray(0, 100));
    });
  });

  it('a segment with bytes changed inside an entry (same length)', async () => {
    await discardedBecause(/damaged/, (config) => {
      rmSync(config.feedsDir, { recursive: true });
      for (const file of segments(config)) {
        const bytes = readFileSync(file);
        const at = bytes.indexOf('Article 3');
        if (at >= 0) bytes.write('Article 9', at);
        writeFileSync(file, bytes);
      }
    });
  });

  it('a segment that is gone', async () => {
    await discardedBecause(/damaged/, (config) => {
      rmSync(config.feedsDir, { recursive: true });
      for (const file of segments(config)) rmSync(file);
    });
  });
});

describe('build cache: a save copies what the index it loaded still says', () => {
  it('each save copies the lines no change touched from the index before it: the loaded one, then its own', async () => {
    const config = testConfig(contentDir, path.join(await makeTempDir('cache-lines-'), 'feeds'), SETTINGS);
    const stamp = cacheStamp(config);
    mkdirSync(path.dirname(indexFile(config)), { recursive: true });
    saveIndex(indexFile(config), stamp, indexContents());
    const cache = loadBuildCache(config.stateDir, stamp, silentLogger);
    assert.equal(cache.entries.size, INDEX_FILES, 'the rest read');
    const edited = [...cache.files.values()][5000]!;
    cache.files.set(edited.file, scannedFile(edited.file, 5000, 'key-edited'));
    const first = saveBuildCache(cache, stamp, undefined);
    assert.ok(first.copiedBytes > 0.5 * first.bytes, `copied ${first.copiedBytes} of ${first.bytes} bytes`);

    // A server's next save (a later build changed another file): from the index the first wrote.
    const other = [...cache.files.values()][15_000]!;
    cache.files.set(other.file, scannedFile(other.file, 15_000, 'key-other'));
    const second = saveBuildCache(cache, stamp, undefined);
    assert.ok(second.copiedBytes > 0.5 * second.bytes, `copied ${second.copiedBytes} of ${second.bytes} bytes`);

    // The index changed since that save wrote it (a byte of a file's row): nothing is copied from it.
    const bytes = readFileSync(indexFile(config));
    bytes[bytes.indexOf('article-010000') + 8] = '7'.charCodeAt(0);
    writeFileSync(indexFile(config), bytes);
    assert.equal(saveBuildCache(cache, stamp, undefined).copiedBytes, 0);

    const again = loadBuildCache(config.stateDir, stamp, silentLogger);
    assert.equal(again.files.get(edited.file)?.key, 'key-edited');
    assert.equal(again.files.get(other.file)?.key, 'key-other');
    assert.equal(again.files.get('topic-4/article-010000.md')?.key, 'key-10000', 'the altered row was written again, not copied');
    assert.equal(again.entries.size, INDEX_FILES);
  });
});

describe('inputsDigest: what a build read, as the saved build records it', () => {
  // More files than the digest hands the hash at once, so that lines at its chunk edges count.
  const files = Array.from({ length: 2500 }, (_, index) => ({ file: `topic/article-${index}.md`, key: `key-${index}` }) as unknown as ScannedFile);
  const digestOf = (list: readonly ScannedFile[], problems: string) =>
    createHash('sha256')
      .update(list.map(({ file, key }) => `${file}\0${key}\n`).join('') + problems)
      .digest('base64url');

  it('is the sha256 of every path and key in order, then the problems', () => {
    assert.equal(inputsDigest(files, '[]'), digestOf(files, '[]'));
    assert.equal(inputsDigest([], '[]'), digestOf([], '[]'));
  });

  it('changes with any one file, wherever it is, with the order, and with the problems', () => {
    const digest = inputsDigest(files, '[]');
    for (const at of [0, 1023, 1024, 2047, 2048, 2499]) {
      const edited = files.map((file, index) => (index === at ? ({ ...file, key: `${file.key}!` } as ScannedFile) : file));
      assert.notEqual(inputsDigest(edited, '[]'), digest, `file ${at} edited`);
      assert.notEqual(inputsDigest(files.filter((_, index) => index !== at), '[]'), digest, `file ${at} gone`);
    }
    assert.notEqual(inputsDigest([...files.slice(1024), ...files.slice(0, 1024)], '[]'), digest);
    assert.notEqual(inputsDigest(files, '[{"file":"x.md"}]'), digest);
  });
});

/** Rewrites the index header and recomputes the trailer's checksum, so that only the header differs. */
function rewriteHeader(config: Config, change: (header: Record<string, unknown>) => Record<string, unknown>): void {
  rewriteLines(config, (line, index) => (index === 0 ? JSON.stringify(change(JSON.parse(line) as Record<string, unknown>)) : line));
}

/**
 * Rewrites the index's lines before its scan part (the trailer says where that starts) and
 * recomputes the trailer's checksums (one of the header and the scan part, one of the rest
 * between them), so that only those lines differ.
 */
function rewriteLines(config: Config, change: (line: string, index: number) => string): void {
  const lines = readFileSync(indexFile(config), 'utf8').trimEnd().split('\n');
  const trailer = JSON.parse(lines.pop()!) as Record<string, unknown>;
  const scanBytes = trailer.scanBytes as number;
  let before = 0;
  for (const [index, line] of lines.entries()) {
    if (Buffer.byteLength(lines.slice(index).join('\n')) + 1 <= scanBytes) break;
    lines[index] = change(line, index);
    before = index;
  }
  assert.ok(before > 0, 'the index has lines before its scan part');
  const main = createHash('sha256');
  const rest = createHash('sha256');
  for (const [index, line] of lines.entries()) (index === 0 || index > before ? main : rest).update(line).update('\n');
  lines.push(JSON.stringify({ ...trailer, sha256: main.digest('base64url'), restSha256: rest.digest('base64url') }));
  writeFileSync(indexFile(config), `${lines.join('\n')}\n`);
}
