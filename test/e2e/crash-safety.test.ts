/**
 * Crash safety of the feeds folder.
 *
 * (a) The static build (`node --import tsx src/cli/build-feeds.ts`, as CI runs it) is SIGKILLed
 *     again and again while it turns an "old" feeds folder into a "new" one (about 30 % of the
 *     titles edited, 100 articles deleted, 100 added; FEED_MAX_ITEMS=20, so archive pages shift,
 *     appear and disappear). After every kill each feed file must be byte-identical to its old or
 *     its new version (never truncated, never a mix), and no file may exist that is in neither
 *     set. One build run to the end must then leave exactly the new set; the temporary files the
 *     killed builds left must go once they are over a minute old; and a file that a killed build
 *     added must not outlive the next complete build that does not write it.
 *
 *     When to kill: every third kill at a random moment between 20 ms and the length of a full
 *     build; the others at a random moment of the write phase, timed from the build's first file
 *     change (reading and rendering leave the folder alone, and start-up times vary too much to
 *     aim from the start). A build that finishes before its kill is undone (the old build put
 *     back, temporary files kept), so the next kill again interrupts a real change. The delays
 *     come from a PRNG whose seed is printed and named by every failure of (a) (rerun with
 *     CRASH_SEED=<seed>; the build's own timing still varies); CRASH_ARTICLES
 *     (default 600: every CLI run costs seconds) and CRASH_KILLS (default 8) size the run.
 *
 *     DELETED_ENTRY_DAYS=0: deletion notices (RFC 6721) carry the time of the build that first
 *     misses an article, so with them the "new" bytes would depend on which build finished first.
 *
 * (b) A scheduled build that fails keeps the last good feeds served.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, watch as fsWatch } from 'node:fs';
import { cp, mkdir, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { buildFeeds, type BuildResult } from '../../src/build/build-feeds.js';
import { FeedStore } from '../../src/http/feed-store.js';
import { createApp } from '../../src/http/app.js';
import { silentLogger } from '../../src/logger.js';
import { BuildTrigger } from '../../src/build/schedule.js';
import { testConfig } from '../helpers/config.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { envSeed, mulberry32, namingSeedOnFailure } from '../helpers/random.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const ARTICLES = Number(process.env.CRASH_ARTICLES ?? 600);
const KILLS = Number(process.env.CRASH_KILLS ?? 8);
/** A new seed each run unless CRASH_SEED is given, so runs try other moments; printed, and named by every failure of (a). */
const SEED = envSeed('CRASH_SEED', Math.floor(Math.random() * 2 ** 31));
const REPLAY = `(seed ${SEED}; rerun with CRASH_SEED=${SEED})`;
const withSeed = namingSeedOnFailure(REPLAY);
const TOPICS = ['AI', 'Climate', 'Finance', 'Health', 'Space', 'Energy', 'Robotics', 'Policy', 'Security', 'Transport'];
const BASE_TIME = Date.UTC(2021, 0, 1);
const TEMPORARY = /\.tmp$/;


// ---------------------------------------------------------------- content

interface ArticleSpec {
  readonly id: number;
  title: string;
  readonly hour: number;
  readonly topic: string;
}

function articleText(article: ArticleSpec): string {
  return [
    '---',
    `title: '${article.title}'`,
    `excerpt: 'Short summary of article ${article.id}.'`,
    `publishedDateTime: '${new Date(BASE_TIME + article.hour * 3_600_000).toISOString()}'`,
    `sourceUrl: https://news.example.com/${article.id}/`,
    `topics: ['${article.topic}']`,
    '---',
    '',
  ].join('\n');
}

const fileOf = (article: ArticleSpec) => `article-${article.id}.md`;

// ---------------------------------------------------------------- the feeds folder

/** Every file below `dir` (relative path → bytes), walked here rather than with the code under test. */
async function listFiles(dir: string, { dotFiles }: { dotFiles: boolean }): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const walk = async (relative: string): Promise<void> => {
    for (const entry of await readdir(path.join(dir, relative), { withFileTypes: true })) {
      const name = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(name);
      else if (dotFiles === entry.name.startsWith('.')) files.set(name, await readFile(path.join(dir, name)));
    }
  };
  await walk('');
  return files;
}

const feedFiles = (dir: string) => listFiles(dir, { dotFiles: false });

async function temporaryFiles(dir: string): Promise<string[]> {
  return [...(await listFiles(dir, { dotFiles: true })).keys()].filter((name) => TEMPORARY.test(name));
}

// ---------------------------------------------------------------- the CLI

const running = new Set<ChildProcess>();

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly ms: number;
  /** With `watch`: when the first file in the watched folders changed, from the start. */
  readonly firstWriteMs?: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Every folder below (and including) `dir`. */
async function folders(dir: string): Promise<string[]> {
  const found = [dir];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) found.push(...(await folders(path.join(dir, entry.name))));
  }
  return found;
}

interface RunOptions {
  /** SIGKILL the build this long after it started (if it is still running). */
  readonly killAfterMs?: number;
  /** Note when the build first touched a file in this folder (or its sub-folders). */
  readonly watch?: string;
  /** SIGKILL the build this long after it first touched a file in `watch`. */
  readonly killAfterFirstWriteMs?: number;
  /** SIGKILL the build as soon as one of these files appears (under its own name). */
  readonly killOnWriteOf?: readonly string[];
  /** The signal of the kills (killAfterMs, killAfterFirstWriteMs, killOnPlaceIn); SIGKILL by default. */
  readonly signal?: NodeJS.Signals;
  /** Kill the build as soon as it puts a file in place (a name that is not hidden appears or changes) in this folder or its sub-folders. */
  readonly killOnPlaceIn?: string;
}

/** Runs the CLI build, and kills it as `options` say. */
async function runCli(env: Record<string, string>, { killAfterMs, watch, killAfterFirstWriteMs, killOnWriteOf = [], signal = 'SIGKILL', killOnPlaceIn }: RunOptions = {}): Promise<Run> {
  let firstWrite: number | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  const onWrite = () => {
    if (firstWrite !== undefined) return;
    firstWrite = Date.now();
    if (killAfterFirstWriteMs !== undefined) killTimer = setTimeout(() => child.kill(signal), killAfterFirstWriteMs);
  };
  const watchers = watch ? (await folders(watch)).map((folder) => fsWatch(folder, onWrite)) : [];
  const targets = new Set(killOnWriteOf);
  for (const folder of new Set(killOnWriteOf.map((file) => path.dirname(file)).filter((folder) => existsSync(folder)))) {
    watchers.push(
      fsWatch(folder, (_event, name) => {
        if (name && targets.has(path.join(folder, name)) && existsSync(path.join(folder, name))) child.kill('SIGKILL');
      }),
    );
  }
  if (killOnPlaceIn) {
    let sent = false;
    for (const folder of await folders(killOnPlaceIn)) {
      watchers.push(
        fsWatch(folder, (_event, name) => {
          if (sent || !name || name.startsWith('.')) return;
          sent = true;
          child.kill(signal);
        }),
      );
    }
  }
  const childEnv: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'silent', ...env };
  delete childEnv.NODE_TEST_CONTEXT;
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/build-feeds.ts'], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill(signal), killAfterMs);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      running.delete(child);
      for (const watcher of watchers) watcher.close();
      resolve({ code, signal, ms: Date.now() - started, firstWriteMs: firstWrite && firstWrite - started, stdout, stderr });
    });
  });
}

after(() => {
  for (const child of running) child.kill('SIGKILL');
});

// ---------------------------------------------------------------- (a)

describe(`a build killed at any moment leaves every feed file old or new ${REPLAY}`, { timeout: 300_000 }, () => {
  let base: string;
  let contentDir: string;
  let feedsDir: string;
  let stateDir: string;
  let env: Record<string, string>;
  let oldFiles: Map<string, Buffer>;
  let newFiles: Map<string, Buffer>;
  let fullBuildMs: number;
  /** How long the reference build spent writing (from its first file write to its exit). */
  let writeMs: number;
  const random = mulberry32(SEED);

  before(withSeed(async () => {
    console.log(`crash-safety: ${REPLAY}, ${ARTICLES} articles, ${KILLS} kills`);
    base = await makeTempDir('crash-safety-');
    contentDir = path.join(base, 'content');
    feedsDir = path.join(base, 'feeds');
    stateDir = path.join(base, 'state');
    env = {
      CONTENT_DIR: contentDir,
      FEEDS_DIR: feedsDir,
      STATE_DIR: stateDir,
      PUBLIC_BASE_URL: 'https://feeds.example.org',
      FEED_MAX_ITEMS: '20',
      DELETED_ENTRY_DAYS: '0',
      // The new set removes 100 of 600 articles on purpose: past the mass-removal guard's limit.
      ALLOW_MASS_REMOVAL: 'true',
      LOG_LEVEL: 'silent',
    };

    // The old content, and the old feeds built from it by one complete CLI build.
    await mkdir(contentDir, { recursive: true });
    const articles: ArticleSpec[] = Array.from({ length: ARTICLES }, (_, id) => ({
      id,
      title: `Article ${id} first edition`,
      hour: id * 2,
      topic: TOPICS[Math.floor(random() * TOPICS.length)]!,
    }));
    await Promise.all(articles.map((article) => writeFile(path.join(contentDir, fileOf(article)), articleText(article))));
    const first = await runCli(env);
    assert.equal(first.code, 0, `the first build failed: ${first.stderr}`);
    oldFiles = await feedFiles(feedsDir);
    await cp(feedsDir, path.join(base, 'old', 'feeds'), { recursive: true });
    await cp(stateDir, path.join(base, 'old', 'state'), { recursive: true });
    assert.ok([...oldFiles.keys()].some((name) => name.startsWith('archive/')), 'FEED_MAX_ITEMS=20 writes archive pages');

    await cp(contentDir, path.join(base, 'old', 'content'), { recursive: true });

    // The change: ~30 % of titles edited, 100 articles deleted (every Climate article, whose
    // feeds and archive pages go, and Finance ones, whose pages keep their edges and get
    // shorter), 100 added at random dates (to two others, which gain pages).
    const shuffled = [...articles];
    for (let index = shuffled.length - 1; index > 0; index--) {
      const other = Math.floor(random() * (index + 1));
      [shuffled[index], shuffled[other]] = [shuffled[other]!, shuffled[index]!];
    }
    const deleted = [...shuffled.filter((article) => article.topic === 'Climate'), ...shuffled.filter((article) => article.topic === 'Finance')].slice(0, 100);
    for (const article of deleted) await rm(path.join(contentDir, fileOf(article)));
    for (const article of shuffled.filter((article) => !deleted.includes(article)).slice(0, Math.round(ARTICLES * 0.3))) {
      article.title = `Article ${article.id} second edition`;
      await writeFile(path.join(contentDir, fileOf(article)), articleText(article));
    }
    for (let index = 0; index < 100; index++) {
      const article: ArticleSpec = {
        id: ARTICLES + index,
        title: `Article ${ARTICLES + index} added`,
        hour: Math.floor(random() * ARTICLES * 2) + 1,
        // A few under a topic the old set has not: the change adds files whatever the seed (with
        // only existing topics, seed 144972177 added no file name and failed the check below).
        topic: index < 5 ? 'Oceans' : index % 2 ? 'Space' : 'Energy',
      };
      await writeFile(path.join(contentDir, fileOf(article)), articleText(article));
    }

    await cp(contentDir, path.join(base, 'new', 'content'), { recursive: true });

    // The expected new set: the same build, from a copy of the old feeds and state, elsewhere.
    const expected = path.join(base, 'expected');
    await cp(path.join(base, 'old', 'feeds'), path.join(expected, 'feeds'), { recursive: true });
    await cp(path.join(base, 'old', 'state'), path.join(expected, 'state'), { recursive: true });
    const reference = await runCli({ ...env, FEEDS_DIR: path.join(expected, 'feeds'), STATE_DIR: path.join(expected, 'state') }, { watch: path.join(expected, 'feeds') });
    assert.equal(reference.code, 0, `the reference build failed: ${reference.stderr}`);
    fullBuildMs = reference.ms;
    writeMs = reference.ms - (reference.firstWriteMs ?? 0);
    newFiles = await feedFiles(path.join(expected, 'feeds'));
    const changed = [...newFiles].filter(([name, bytes]) => !oldFiles.get(name)?.equals(bytes)).length;
    const gone = [...oldFiles.keys()].filter((name) => !newFiles.has(name)).length;
    console.log(
      `crash-safety: ${oldFiles.size} old files, ${newFiles.size} new files (${changed} new or changed, ${gone} to remove); a full build takes ${fullBuildMs} ms, of which ${writeMs} ms writing`,
    );
    assert.ok(changed > 100, 'the change rewrites many files');
    assert.ok(gone > 0, 'the change removes files');
    assert.ok([...newFiles.keys()].some((name) => !oldFiles.has(name)), 'the change adds files');
  }));

  /** Names of files that are in neither set, or whose bytes are neither the old nor the new ones. */
  async function violations(): Promise<string[]> {
    const found: string[] = [];
    for (const [name, bytes] of await feedFiles(feedsDir)) {
      const isNew = newFiles.get(name)?.equals(bytes) ?? false;
      const isOld = oldFiles.get(name)?.equals(bytes) ?? false;
      if (isNew || isOld) continue;
      if (!newFiles.has(name) && !oldFiles.has(name)) found.push(`${name}: in neither the old nor the new set`);
      else found.push(`${name}: ${bytes.length} bytes, neither its old (${oldFiles.get(name)?.length ?? '-'}) nor its new (${newFiles.get(name)?.length ?? '-'}) version`);
    }
    return found;
  }

  /** Makes the content folder hold the old or the new content. */
  async function useContent(which: 'old' | 'new'): Promise<void> {
    await rm(contentDir, { recursive: true, force: true });
    await cp(path.join(base, which, 'content'), contentDir, { recursive: true });
  }

  /**
   * Puts the old build back (its feed files, manifest and state), keeping any temporary files:
   * used when a build finished before its kill, so the next kill again interrupts a real change.
   */
  async function restoreOldBuild(): Promise<void> {
    // The whole folder, as a restore from a backup puts it back: the manifest's journal too.
    await rm(feedsDir, { recursive: true, force: true });
    await cp(path.join(base, 'old', 'feeds'), feedsDir, { recursive: true });
    await rm(stateDir, { recursive: true, force: true });
    await cp(path.join(base, 'old', 'state'), stateDir, { recursive: true });
  }

  it(`keeps every feed file whole through ${KILLS} SIGKILLs at random moments`, withSeed(async () => {
    const outcomes: string[] = [];
    let midWrite = 0;
    for (let kill = 1; kill <= KILLS; kill++) {
      // Every third kill at a random moment of the whole build (20 ms to its full duration); the
      // others at a random moment of its write phase, timed from its first write: reading and
      // rendering leave the folder alone, and start-up times vary too much to aim from the start.
      const whole = kill % 3 === 1;
      const delayMs = whole ? Math.round(20 + random() * Math.max(0, fullBuildMs - 20)) : Math.round(random() * writeMs * 0.8);
      const before = await feedFiles(feedsDir);
      const run = await runCli(env, whole ? { killAfterMs: delayMs } : { watch: feedsDir, killAfterFirstWriteMs: delayMs });
      const now = await feedFiles(feedsDir);
      const changed =
        [...now].filter(([name, bytes]) => !before.get(name)?.equals(bytes)).length + [...before.keys()].filter((name) => !now.has(name)).length;
      const isNew = [...now].filter(([name, bytes]) => newFiles.get(name)?.equals(bytes)).length;
      const completed = run.code === 0;
      if (!completed && changed > 0 && isNew < newFiles.size) midWrite++;
      const when = whole ? `${delayMs} ms after start` : `${delayMs} ms after its first write`;
      outcomes.push(`${when}: ${run.signal ?? `exit ${run.code}`}, ${changed} file(s) changed, ${isNew}/${newFiles.size} new`);
      assert.deepEqual(await violations(), [], `after kill ${kill}, ${when}; so far:\n${outcomes.join('\n')}`);
      if (completed) await restoreOldBuild();
    }
    console.log(`crash-safety: ${midWrite} of ${KILLS} kills landed while files were being written:\n  ${outcomes.join('\n  ')}`);
  }));

  it('leaves the whole old set or the whole new set after a SIGTERM or SIGINT in the write phase, or as files are put in place', withSeed(async () => {
    const outcomes: string[] = [];
    for (let stop = 1; stop <= 4; stop++) {
      // From the whole old build each time: the SIGKILLs before may have left a mix (each file
      // whole), which is what a SIGKILL may do.
      await restoreOldBuild();
      const signal: NodeJS.Signals = stop % 2 ? 'SIGTERM' : 'SIGINT';
      // Half of them the moment the build puts its first file in place (a SIGKILL there leaves
      // some files new and the others old), half at a random moment of the write phase.
      const placing = stop > 2;
      const delayMs = placing ? 0 : Math.round(random() * writeMs * 0.8);
      const run = await runCli(env, placing ? { killOnPlaceIn: feedsDir, signal } : { watch: feedsDir, killAfterFirstWriteMs: delayMs, signal });
      const now = await feedFiles(feedsDir);
      const same = (set: Map<string, Buffer>) => now.size === set.size && [...now].every(([name, bytes]) => set.get(name)?.equals(bytes));
      const which = same(newFiles) ? 'new' : same(oldFiles) ? 'old' : 'a mix';
      outcomes.push(`${signal} ${placing ? 'as it put a file in place' : `${delayMs} ms after its first write`}: ${run.signal ?? `exit ${run.code}`}, the ${which} set`);
      assert.notEqual(which, 'a mix', outcomes.join('\n'));
      if (run.code !== 0) {
        assert.equal(run.code, signal === 'SIGINT' ? 130 : 143, run.stderr);
        assert.match(run.stderr, new RegExp(`Stopped by ${signal}`));
      }
    }
    console.log(`crash-safety: ${outcomes.join('; ')}`);
  }));

  it('leaves exactly the new set after one complete build, with only young temporary files', withSeed(async () => {
    const run = await runCli(env);
    assert.equal(run.code, 0, run.stderr);
    const now = await feedFiles(feedsDir);
    assert.deepEqual([...now.keys()].sort(), [...newFiles.keys()].sort(), 'the same file names as the reference build');
    for (const [name, bytes] of now) assert.ok(bytes.equals(newFiles.get(name)!), `${name} differs from the reference build`);
    for (const name of await temporaryFiles(feedsDir)) {
      const age = Date.now() - (await stat(path.join(feedsDir, name))).mtimeMs;
      assert.ok(age < 60_000, `${name} is ${age} ms old and should have been removed`);
    }
    const manifest = (await listFiles(feedsDir, { dotFiles: true })).get('.feeds-manifest.json');
    assert.ok(manifest, 'the manifest exists');
    // A snapshot of JSON lines (header first), then its journal's rows ([name] means gone).
    const listedNames = new Set<string>();
    const [header, ...rows] = manifest.toString('utf8').trimEnd().split('\n');
    const generation = (JSON.parse(header!) as { generation: string }).generation;
    const journal = (await listFiles(feedsDir, { dotFiles: true })).get('.feeds-manifest.json.journal')?.toString('utf8').trimEnd().split('\n') ?? [];
    const journalRows = journal.length > 0 && (JSON.parse(journal[0]!) as { generation: string }).generation === generation ? journal.slice(1) : [];
    for (const row of [...rows, ...journalRows].map((line) => JSON.parse(line) as string[])) {
      if (row.length === 1) listedNames.delete(row[0]!);
      else listedNames.add(row[0]!);
    }
    const listed = [...listedNames].sort();
    assert.deepEqual(listed, [...newFiles.keys()].sort(), 'the manifest lists the new set');
  }));

  describe('a build after the temporary files are over a minute old', () => {
    let run: Run;
    const plantedInState = '.entries.json.0123456789ab.tmp';

    before(withSeed(async () => {
      const left = await temporaryFiles(feedsDir);
      console.log(`crash-safety: ${left.length} temporary file(s) left in the feeds folder, ${(await temporaryFiles(stateDir)).length} in the state folder`);
      // What a build killed while writing entries.json (with writeAtomically, as the feeds are) leaves.
      await writeFile(path.join(stateDir, plantedInState), '{"version":1,"entr');
      const twoMinutesAgo = new Date(Date.now() - 120_000);
      for (const name of left) await utimes(path.join(feedsDir, name), twoMinutesAgo, twoMinutesAgo);
      for (const name of await temporaryFiles(stateDir)) await utimes(path.join(stateDir, name), twoMinutesAgo, twoMinutesAgo);
      run = await runCli(env);
    }));

    it('removes the temporary files killed builds left in the feeds folder', withSeed(async () => {
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(await temporaryFiles(feedsDir), []);
      assert.deepEqual([...(await feedFiles(feedsDir)).keys()].sort(), [...newFiles.keys()].sort());
    }));

    it('removes those of the state folder too', withSeed(async () => {
      assert.deepEqual(await temporaryFiles(stateDir), [], 'a temporary file in STATE_DIR older than a minute is never removed');
    }));
  });

  it('removes the files a killed build added when the next build does not write them (content changed back)', withSeed(async () => {
    // The old build again, then a build of the new content killed right after it wrote its
    // first file that the old set does not have (an archive page of a topic that grew).
    await restoreOldBuild();
    await useContent('new');
    const added = [...newFiles.keys()].filter((name) => !oldFiles.has(name));
    let killed: Run | undefined;
    let orphans: string[] = [];
    for (let attempt = 1; attempt <= 3 && orphans.length === 0; attempt++) {
      killed = await runCli(env, { killOnWriteOf: added.map((name) => path.join(feedsDir, name)) });
      orphans = added.filter((name) => existsSync(path.join(feedsDir, name)));
      if (killed.code === 0) await restoreOldBuild();
    }
    assert.ok(orphans.length > 0 && killed?.signal === 'SIGKILL', 'no build was killed after writing a file only the new set has');

    // The content goes back to the old one before the next build, which runs to the end.
    await useContent('old');
    const run = await runCli(env);
    assert.equal(run.code, 0, run.stderr);
    const now = await feedFiles(feedsDir);
    const left = [...now.keys()].filter((name) => !oldFiles.has(name));
    assert.deepEqual(left, [], `files written by the killed build (${orphans.length} of them: ${orphans.slice(0, 3).join(', ')}…) and by no complete build are still there`);
    for (const [name, bytes] of now) assert.ok(bytes.equals(oldFiles.get(name)!), `${name} differs from the old build`);
  }));
});

// ---------------------------------------------------------------- (b)

describe('a failing scheduled build keeps the last good feeds served', () => {
  /** A build as a tick of the server's schedule runs it (BuildTrigger; the cron itself never fires here). */
  function scheduled(build: () => Promise<BuildResult>, store: FeedStore): { execute: () => Promise<unknown> } {
    const trigger = new BuildTrigger<BuildResult>({ cron: '0 0 1 1 *', build, store, logger: silentLogger, quietMs: 0, maxWaitMs: 0 });
    return { execute: async () => trigger.scheduledBuild() };
  }

  async function publishedStore() {
    const base = await makeTempDir('failing-build-');
    const contentDir = path.join(base, 'content');
    const feedsDir = path.join(base, 'feeds');
    await mkdir(contentDir);
    for (let id = 0; id < 30; id++) {
      const article = { id, title: `Article ${id}`, hour: id, topic: TOPICS[id % 3]! };
      await writeFile(path.join(contentDir, fileOf(article)), articleText(article));
    }
    const config = testConfig(contentDir, feedsDir, { FEED_MAX_ITEMS: '20' });
    const store = new FeedStore();
    store.publish(await buildFeeds({ config, logger: silentLogger }), new Date());
    const app = createApp({ store, logger: silentLogger, cacheMaxAgeSeconds: 300 });
    return { contentDir, feedsDir, config, store, app };
  }

  /** What the app serves for some feeds: status, ETag and bytes. */
  async function served(app: ReturnType<typeof createApp>) {
    const answers = new Map<string, string>();
    for (const name of ['all.xml', 'all.atom', 'all.json', 'ai.xml', 'archive/all/1.xml', 'index.opml']) {
      const response = await request(app).get(`/feeds/${name}`).set('Accept-Encoding', 'identity').buffer(true).parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      });
      answers.set(name, `${response.status} ${response.headers.etag} ${(response.body as Buffer).toString('base64')}`);
    }
    return answers;
  }

  it('serves the same bytes, reports degraded, and recovers with the next good build (content folder removed)', async () => {
    const { contentDir, feedsDir, config, store, app } = await publishedStore();
    const snapshot = store.snapshot;
    const before = await served(app);
    const onDisk = await feedFiles(feedsDir);
    assert.ok([...before.values()].every((answer) => answer.startsWith('200 ')));

    const task = scheduled(() => buildFeeds({ config, logger: silentLogger }), store);

    const saved = `${contentDir}.saved`;
    await cp(contentDir, saved, { recursive: true });
    await rm(contentDir, { recursive: true });
    await task.execute();

    assert.equal(store.snapshot, snapshot, 'the snapshot was replaced');
    assert.deepEqual(await served(app), before, 'the served bytes changed');
    assert.deepEqual(await feedFiles(feedsDir), onDisk, 'the feeds folder changed');
    const health = await request(app).get('/healthz');
    assert.equal(health.status, 200);
    assert.equal(health.body.status, 'degraded');
    assert.equal(health.body.lastScheduledBuildFailed, true);
    assert.match(health.body.lastFailure?.message ?? '', /ENOENT/);

    await cp(saved, contentDir, { recursive: true });
    await task.execute();
    const recovered = await request(app).get('/healthz');
    assert.equal(recovered.body.status, 'ok');
    assert.equal(recovered.body.lastScheduledBuildFailed, false);
    assert.deepEqual(await served(app), before, 'the same content builds the same bytes');
  });

  it('serves the same bytes and reports degraded when the build rejects', async () => {
    const { store, app } = await publishedStore();
    const snapshot = store.snapshot;
    const before = await served(app);
    const task = scheduled(() => Promise.reject(new Error('disk full')), store);
    await task.execute();
    assert.equal(store.snapshot, snapshot);
    assert.deepEqual(await served(app), before);
    const health = await request(app).get('/healthz');
    assert.equal(health.status, 200);
    assert.equal(health.body.status, 'degraded');
    assert.equal(health.body.lastScheduledBuildFailed, true);
    assert.equal(health.body.lastFailure?.message, 'disk full');
  });
});
