/**
 * Disk faults at each stage of a build: a feed file, the manifest, the entry state, the page
 * edges, the build cache's segments and index. Each fault is met by a build that would change the feeds (two
 * titles edited, two articles added, after two good builds), and then:
 *
 *  - the build fails with a DiskWriteError naming the file and the code;
 *  - the feeds folder is byte for byte what it was before (every file, the hidden manifest and
 *    its journal too), and no temporary file is left in the feeds folder or STATE_DIR;
 *  - the next build, the fault gone, succeeds with the same cache object (as the server's build
 *    thread carries it) and writes the bytes a clean build from scratch writes; so does a new
 *    process after it (the cache as saved).
 *
 * ENOSPC is real where the test can mount a small tmpfs (the container runs as root): the feeds
 * folder, or STATE_DIR, on a tmpfs filled up. The other faults go through the build's
 * file-system seam (src/build/build-fs.ts, test/helpers/fault-fs.ts), which fails one chosen call.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildFeeds, type BuildCache } from '../../src/build/build-feeds.js';
import { cacheStamp, loadBuildCache } from '../../src/build/build-cache.js';
import type { Config } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { collectingLogger } from '../helpers/logger.js';
import { testConfig } from '../helpers/config.js';
import { assertUnchanged, etag, everyFile, fill, mountTmpfs, writeContent } from '../helpers/disk-faults.js';
import { injectFault, temporaryFileOf, type Fault, type FaultCode } from '../helpers/fault-fs.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const SETTINGS = { FEED_MAX_ITEMS: '4', FEED_ARCHIVES: 'true' };
const clock = () => new Date('2025-06-01T00:00:00Z');

// ---------------------------------------------------------------- folders, read with node:fs

/** Every folder below `dir` (a build that failed must not leave new empty ones). */
function everyFolder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

const temporaryFiles = (dir: string) => [...everyFile(dir).keys()].filter((name) => name.endsWith('.tmp'));
const isHidden = (name: string) => name.split('/').some((part) => part.startsWith('.'));
const visibleFiles = (dir: string) => new Map([...everyFile(dir)].filter(([name]) => !isHidden(name)));

/** The manifest's rows ([name, content type, hash, size]) as the snapshot and its journal give them, parsed here. */
function manifestRows(dir: string): Map<string, [string, string, number]> {
  const [headerLine, ...lines] = readFileSync(path.join(dir, '.feeds-manifest.json'), 'utf8').split('\n');
  const generation = (JSON.parse(headerLine!) as { generation: string }).generation;
  const rows = new Map<string, [string, string, number]>();
  const apply = (line: string) => {
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      return;
    }
    if (!Array.isArray(row)) return;
    if (row.length === 1) rows.delete(row[0] as string);
    else rows.set(row[0] as string, [row[1] as string, row[2] as string, row[3] as number]);
  };
  for (const line of lines) if (line) apply(line);
  const journalFile = path.join(dir, '.feeds-manifest.json.journal');
  if (existsSync(journalFile)) {
    const [journalHeader, ...journal] = readFileSync(journalFile, 'utf8').split('\n');
    if ((JSON.parse(journalHeader!) as { generation: string }).generation === generation) for (const line of journal) if (line) apply(line);
  }
  return rows;
}

/** The manifest lists exactly the visible files, each with the hash and size of its bytes on disk. */
function assertManifestMatchesDisk(dir: string): void {
  const files = visibleFiles(dir);
  const rows = manifestRows(dir);
  assert.deepEqual([...rows.keys()].sort(), [...files.keys()]);
  for (const [name, bytes] of files) {
    const [, hash, size] = rows.get(name)!;
    assert.equal(hash, etag(bytes), `${name}: the manifest's hash is not the file's`);
    assert.equal(size, bytes.length, `${name}: the manifest's size is not the file's`);
  }
}

// ---------------------------------------------------------------- the scenario

interface Scenario {
  readonly contentDir: string;
  readonly config: Config;
  /** The cache carried between builds, as the server's build thread carries it. */
  readonly cache: BuildCache;
}

/** Content version 1 and 2 built (unless `first`) into `feedsDir`/`stateDir` (default: new folders), then version 3 written. */
async function scenario(folders: { feedsDir?: string; stateDir?: string } = {}, { first = false } = {}): Promise<Scenario> {
  const base = await makeTempDir('disk-faults-');
  const contentDir = path.join(base, 'content');
  await mkdir(contentDir);
  const feedsDir = folders.feedsDir ?? path.join(base, 'feeds');
  const config = testConfig(contentDir, feedsDir, { ...SETTINGS, STATE_DIR: folders.stateDir ?? path.join(base, 'state') });
  const cache = loadBuildCache(config.stateDir, cacheStamp(config), silentLogger);
  // `first`: the failing build is the first one (an empty feeds folder; the manifest is a snapshot).
  if (first) {
    await writeContent(contentDir, 3);
    return { contentDir, config, cache };
  }
  await writeContent(contentDir, 1);
  await build(config, cache);
  // A second build appends to the manifest's and the entry state's journals: the third appends again.
  await writeContent(contentDir, 2);
  await build(config, cache);
  await writeContent(contentDir, 3);
  return { contentDir, config, cache };
}

function build(config: Config, cache?: BuildCache) {
  return buildFeeds({ config, logger: silentLogger, clock, ...(cache ? { cache } : {}) });
}

/** The feeds a clean build of `contentDir` writes (new feeds folder and STATE_DIR). */
async function cleanBuild(contentDir: string): Promise<Map<string, Buffer>> {
  const base = await makeTempDir('disk-faults-clean-');
  const config = testConfig(contentDir, path.join(base, 'feeds'), { ...SETTINGS, STATE_DIR: path.join(base, 'state') });
  await build(config);
  return visibleFiles(config.feedsDir);
}

/**
 * Runs the failing build and checks everything a failed build must leave; `fault` is removed
 * by `clear` before the next builds, which must write what a clean build writes.
 */
async function failsCleanly(
  { contentDir, config, cache }: Scenario,
  expected: { readonly code: FaultCode; readonly file: (file: string) => boolean },
  clear: () => void,
): Promise<void> {
  const before = everyFile(config.feedsDir);
  const foldersBefore = everyFolder(config.feedsDir);
  try {
    await assert.rejects(build(config, cache), (error: Error & { code?: unknown; errno?: unknown; file?: unknown }) => {
      assert.equal(error.name, 'DiskWriteError', error.stack);
      assert.equal(error.code, 'DISK_WRITE_FAILED');
      assert.equal(error.errno, expected.code);
      assert.ok(typeof error.file === 'string' && expected.file(error.file), `the error names ${String(error.file)}`);
      assert.ok(error.message.includes(`${error.file}: ${expected.code}`), error.message);
      return true;
    });
  } finally {
    clear();
  }
  assertUnchanged(config.feedsDir, before);
  assert.deepEqual(everyFolder(config.feedsDir), foldersBefore);
  assert.deepEqual(temporaryFiles(config.feedsDir), [], 'temporary files left in the feeds folder');
  assert.deepEqual(temporaryFiles(config.stateDir), [], 'temporary files left in STATE_DIR');

  // The fault gone: the same cache object builds what a clean build builds.
  const clean = await cleanBuild(contentDir);
  await build(config, cache);
  assert.deepEqual(visibleFiles(config.feedsDir), clean);
  assertManifestMatchesDisk(config.feedsDir);
  assert.deepEqual(temporaryFiles(config.feedsDir), []);
  // And a new process, from the cache as saved.
  await build(config);
  assert.deepEqual(visibleFiles(config.feedsDir), clean);
  assertManifestMatchesDisk(config.feedsDir);
}

const inFolder = (dir: string, test: (name: string) => boolean) => (file: string) => path.dirname(file).startsWith(dir) && test(path.relative(dir, file));
const aFeed = (config: Config) => inFolder(config.feedsDir, (name) => !isHidden(name));
/** The service's own files in the feeds folder (write-feeds.ts), whose temporary files are not a feed's. */
const OWN_FILES = ['.feeds-manifest.json', '.feeds-manifest.json.journal', '.feeds-claims.json', '.feeds-cleanup-pending'];
const aFeedTemporary = (config: Config) => inFolder(config.feedsDir, (name) => name.endsWith('.tmp') && !OWN_FILES.some((own) => temporaryFileOf(own)(name)));

// ---------------------------------------------------------------- the cases

describe('disk faults: a failed build leaves the last good feeds, byte for byte, and the next build is right', () => {
  const manifestJournal = (config: Config) => path.join(config.feedsDir, '.feeds-manifest.json.journal');
  const stateJournal = (config: Config) => path.join(config.stateDir, 'entries.json.journal');
  const cacheIndex = (config: Config) => path.join(config.stateDir, 'cache', 'index.json');
  const pageEdges = (config: Config) => path.join(config.stateDir, 'pages.json');
  const aPageEdgesTemporary = (config: Config) => inFolder(config.stateDir, temporaryFileOf('pages.json'));
  const aSegment = (config: Config) => inFolder(path.join(config.stateDir, 'cache'), (name) => /^entries-.*\.bin$/.test(name));
  const anIndexTemporary = (config: Config) => inFolder(path.join(config.stateDir, 'cache'), (name) => name.startsWith('index.json.') && name.endsWith('.tmp'));
  const the = (file: (config: Config) => string) => (config: Config) => (name: string) => name === file(config);

  // Real faults: the feeds folder, or STATE_DIR, on a small tmpfs that is then filled up.
  const realCases: { name: string; on: 'feedsDir' | 'stateDir'; names: (config: Config) => (file: string) => boolean }[] = [
    { name: 'ENOSPC (a real full tmpfs) while writing a feed file', on: 'feedsDir', names: aFeed },
    { name: 'ENOSPC (a real full tmpfs as STATE_DIR) while writing the build cache: the new entries go to a segment first', on: 'stateDir', names: aSegment },
  ];
  for (const { name, on, names } of realCases) {
    it(name, async (t) => {
      const mount = mountTmpfs(t, await makeTempDir('disk-faults-tmpfs-'), '4m');
      if (!mount) return;
      const context = await scenario({ [on]: path.join(mount, on) });
      const filler = fill(mount);
      await failsCleanly(context, { code: 'ENOSPC', file: names(context.config) }, () => rmSync(filler));
    });
  }

  /** Which call fails (on which files, the nth), and which file the error must name (default: the same). */
  const manifest = (config: Config) => path.join(config.feedsDir, '.feeds-manifest.json');
  const cases: { name: string; call: Fault['call']; code: FaultCode; nth?: number; first?: boolean; on: (config: Config) => (file: string) => boolean; names?: (config: Config) => (file: string) => boolean }[] = [
    { name: "EIO while putting a first build's manifest (a snapshot) in place: the folder stays empty", call: 'renameSync', code: 'EIO', first: true, on: the(manifest) },
    { name: 'ENOSPC while writing a feed file (the third)', call: 'writeSync', code: 'ENOSPC', nth: 3, on: aFeedTemporary, names: aFeed },
    { name: 'EIO while writing a feed file', call: 'writeSync', code: 'EIO', on: aFeedTemporary, names: aFeed },
    { name: 'EIO while renaming a feed file into place (the third: two are in place already)', call: 'renameSync', code: 'EIO', nth: 3, on: aFeed },
    { name: "ENOSPC while appending to the manifest's journal (half of the rows written)", call: 'appendFileSync', code: 'ENOSPC', on: the(manifestJournal) },
    { name: "EIO while appending to the manifest's journal", call: 'appendFileSync', code: 'EIO', on: the(manifestJournal) },
    { name: 'ENOSPC while writing the entry state (its journal, half of the rows written)', call: 'appendFileSync', code: 'ENOSPC', on: the(stateJournal) },
    { name: 'EACCES while writing the entry state', call: 'appendFileSync', code: 'EACCES', on: the(stateJournal) },
    { name: 'ENOSPC while writing the page edges (the failing build makes a page whole)', call: 'writeSync', code: 'ENOSPC', on: aPageEdgesTemporary, names: the(pageEdges) },
    { name: 'EIO while putting the page edges in place', call: 'renameSync', code: 'EIO', on: the(pageEdges) },
    { name: 'ENOSPC while writing an entry segment of the build cache', call: 'writeSync', code: 'ENOSPC', on: aSegment },
    { name: "ENOSPC while writing the build cache's index", call: 'writeSync', code: 'ENOSPC', on: anIndexTemporary, names: the(cacheIndex) },
    { name: "EACCES while putting the build cache's index in place", call: 'renameSync', code: 'EACCES', on: the(cacheIndex) },
  ];

  for (const { name, call, code, nth, first, on, names = on } of cases) {
    it(name, async () => {
      const context = await scenario({}, { first });
      const injected = injectFault({ call, code, nth, file: on(context.config) });
      await failsCleanly(context, { code, file: names(context.config) }, () => injected.restore());
      assert.equal(injected.hits, 1, 'the fault was met once');
    });
  }
});

describe('disk faults: what a failed build does to the build cache', () => {
  /** The failing build (with `fault`, or a clock that throws), then the next one: whether the cache was discarded, and what the next build parsed. */
  async function afterFailure(fault: (config: Config) => Fault | 'clock') {
    const { config, cache } = await scenario();
    const { logger, entries } = collectingLogger();
    const spec = fault(config);
    const injected = spec === 'clock' ? undefined : injectFault(spec);
    const failingClock = () => {
      throw new Error('not a disk fault');
    };
    try {
      await assert.rejects(buildFeeds({ config, logger, cache, clock: injected ? clock : failingClock }));
    } finally {
      injected?.restore();
    }
    const next = await buildFeeds({ config, logger: silentLogger, cache, clock });
    return { discarded: entries.some((entry) => entry.msg.startsWith('build cache discarded')), parsed: next.report.filesParsed };
  }

  it('a fault in the feeds folder keeps it: the next build parses only the files that changed', async () => {
    assert.deepEqual(await afterFailure((config) => ({ call: 'writeSync', code: 'ENOSPC', file: aFeedTemporary(config) })), { discarded: false, parsed: 0 });
  });

  it('a failure that is no disk fault keeps it too', async () => {
    const { discarded, parsed } = await afterFailure(() => 'clock');
    assert.equal(discarded, false);
    // The failing build stopped before its scan: the next one parses the four changed files (two edited, two new).
    assert.equal(parsed, 4);
  });

  it('a fault in its own folder discards it with a warning: the next build parses everything', async () => {
    assert.deepEqual(await afterFailure((config) => ({ call: 'writeSync', code: 'ENOSPC', file: (file) => file.startsWith(path.join(config.stateDir, 'cache')) })), { discarded: true, parsed: 21 });
  });
});
