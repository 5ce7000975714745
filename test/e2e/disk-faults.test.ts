/**
 * Disk faults as an operator meets them.
 *
 * (a) Served: the store, the build trigger and the app, as the server wires them, with a build
 *     whose disk fills up after five of its files (ENOSPC through the build's fs seam). /healthz
 *     says `degraded` with the file and the code, the log line names them, and every feed (from
 *     memory) and archive page (from disk) is still the last good one, 200, its body matching
 *     its ETag. Once the fault is gone the next build is served and /healthz is `ok` again.
 * (b) The CLI (`npm run build:feeds` runs it), with real faults: a full tmpfs as the feeds folder
 *     (ENOSPC), a read-only bind mount as STATE_DIR (EROFS), and a feeds folder of mode 555 with
 *     the CLI run as an unprivileged user (EACCES; root ignores modes). It exits 1 with a message
 *     naming the file and the code, and leaves the feeds folder as it was.
 * (c) The server process (its build runs in the build thread) with the feeds folder on a tmpfs
 *     that fills up: the watcher's build fails, the log line and /healthz name the file and the
 *     code, every feed and archive page is still the last good one; with room again the next
 *     change is built and served.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, it, type TestContext } from 'node:test';
import request from 'supertest';
import { buildFeeds, createBuildCache } from '../../src/build/build-feeds.js';
import { BuildTrigger } from '../../src/build/schedule.js';
import { isServedFromMemory } from '../../src/http/feed-snapshot.js';
import { createApp } from '../../src/http/app.js';
import { FeedStore } from '../../src/http/feed-store.js';
import { testConfig } from '../helpers/config.js';
import { assertUnchanged, etag, everyFile, fill, mountTmpfs, writeContent } from '../helpers/disk-faults.js';
import { injectFault } from '../helpers/fault-fs.js';
import { articleText, frontMatter } from '../helpers/articles.js';
import { collectingLogger } from '../helpers/logger.js';
import { serverEnv, startServer, type ServerProcess } from '../helpers/server-process.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SETTINGS = { FEED_MAX_ITEMS: '4', FEED_ARCHIVES: 'true' };

describe('disk faults: served', () => {
  it("a failed build leaves /healthz 'degraded' with the file and code, and the last good feeds served; the next build recovers", async () => {
    const base = await makeTempDir('disk-faults-served-');
    const contentDir = path.join(base, 'content');
    await mkdir(contentDir);
    await writeContent(contentDir, 1);
    const config = testConfig(contentDir, path.join(base, 'feeds'), { ...SETTINGS, STATE_DIR: path.join(base, 'state') });
    const cache = createBuildCache(config.stateDir);
    const store = new FeedStore({ feedsDir: config.feedsDir });
    const { logger, entries } = collectingLogger();
    const trigger = new BuildTrigger({
      cron: '0 0 1 1 *',
      quietMs: 0,
      maxWaitMs: 0,
      store,
      logger,
      build: () => buildFeeds({ config, logger, cache, keepBody: isServedFromMemory, hasBody: () => false }),
    });
    const app = createApp({ store, logger, cacheMaxAgeSeconds: 60 });
    const get = (url: string) => request(app).get(url).set('Accept-Encoding', 'identity').buffer(true).parse((response, done) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => done(null, Buffer.concat(chunks)));
    });
    await trigger.run('start');
    assert.equal(store.health().status, 'ok');
    const good = everyFile(config.feedsDir);
    const feeds = [...good.keys()].filter((name) => /\.(xml|atom|json)$/.test(name) && !name.startsWith('.'));
    assert.ok(feeds.some((name) => name.startsWith('archive/')), 'the content fills archive pages');

    await writeContent(contentDir, 3);
    // The disk fills up after five files of the build were written.
    const fault = injectFault({ call: 'writeSync', code: 'ENOSPC', file: (file) => file.startsWith(config.feedsDir + path.sep), nth: 6, persistent: true });
    try {
      await trigger.run('schedule');
    } finally {
      fault.restore();
    }
    assert.ok(fault.hits > 0);

    const health = await get('/healthz').expect(200);
    const body = JSON.parse(health.body.toString('utf8')) as { status: string; lastFailure: { message: string } | null };
    assert.equal(body.status, 'degraded');
    assert.match(body.lastFailure?.message ?? '', new RegExp(`cannot write ${config.feedsDir}/\\S+: ENOSPC`));
    const logged = entries.find((entry) => entry.msg === 'build failed; still serving the last good feeds');
    assert.equal(logged?.errno, 'ENOSPC');
    assert.ok(String(logged?.file).startsWith(config.feedsDir), String(logged?.file));

    for (const name of feeds) {
      const response = await get(`/feeds/${name}`).expect(200);
      assert.ok((response.body as Buffer).equals(good.get(name)!), `${name} is the last good one`);
      assert.ok(String(response.headers.etag).includes(etag(response.body as Buffer)), `${name}: the body matches its ETag`);
    }

    await trigger.run('schedule');
    assert.equal(store.health().status, 'ok');
    const fresh = await get('/feeds/ai.xml').expect(200);
    assert.match((fresh.body as Buffer).toString('utf8'), /Article 9 \(corrected\)/);
    await trigger.stop();
  });
});

const run = promisify(execFile);

/** Runs the CLI as `npm run build:feeds` does (from the sources), never throwing on a non-zero exit. */
async function buildCli(env: Record<string, string>, { uid }: { uid?: number } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const user = uid === undefined ? {} : { uid, gid: uid };
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli/build-feeds.ts'], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'silent', ...env }, timeout: 60_000, ...user });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** A new folder with a 4 MB tmpfs in it and a content folder (version 1); undefined when no tmpfs can be mounted. */
async function tmpfsAndContent(t: TestContext, prefix: string): Promise<{ base: string; mount: string; contentDir: string } | undefined> {
  const base = await makeTempDir(prefix);
  const mount = mountTmpfs(t, base, '4m');
  if (!mount) return undefined;
  const contentDir = path.join(base, 'content');
  await mkdir(contentDir);
  await writeContent(contentDir, 1);
  return { base, mount, contentDir };
}

/** Who may not write, as root cannot be refused: the unprivileged user the CLI then runs as. */
const NOBODY = 65534;

interface CliFault {
  readonly name: string;
  readonly code: string;
  readonly folder: 'FEEDS_DIR' | 'STATE_DIR';
  readonly uid?: number;
  /** Makes the fault; returns what undoes it. */
  readonly make: (env: Record<'FEEDS_DIR' | 'STATE_DIR', string>, mount: string) => () => Promise<void>;
}

const CLI_FAULTS: readonly CliFault[] = [
  {
    name: 'a full tmpfs as FEEDS_DIR: ENOSPC',
    code: 'ENOSPC',
    folder: 'FEEDS_DIR',
    make: (_env, mount) => {
      const filler = fill(mount);
      return () => rm(filler);
    },
  },
  {
    name: 'a read-only bind mount as STATE_DIR: EROFS',
    code: 'EROFS',
    folder: 'STATE_DIR',
    make: (env) => {
      execFileSync('mount', ['--bind', env.STATE_DIR, env.STATE_DIR]);
      execFileSync('mount', ['-o', 'remount,bind,ro', env.STATE_DIR]);
      return async () => {
        execFileSync('umount', [env.STATE_DIR]);
      };
    },
  },
  {
    name: 'a FEEDS_DIR of mode 555, the CLI run as an unprivileged user: EACCES',
    code: 'EACCES',
    folder: 'FEEDS_DIR',
    uid: NOBODY,
    make: (env) => {
      chmodSync(env.FEEDS_DIR, 0o555);
      return async () => chmodSync(env.FEEDS_DIR, 0o755);
    },
  },
];

describe('disk faults: npm run build:feeds', () => {
  for (const { name, code, folder, uid, make } of CLI_FAULTS) {
    it(`exits 1 naming the file and the code, and leaves the feeds as they were (${name})`, async (t) => {
      const folders = await tmpfsAndContent(t, 'disk-faults-cli-');
      if (!folders) return;
      const { base, mount, contentDir } = folders;
      const env = { CONTENT_DIR: contentDir, FEEDS_DIR: path.join(mount, 'feeds'), STATE_DIR: path.join(base, 'state'), PUBLIC_BASE_URL: 'https://feeds.example.org', ...SETTINGS };
      if (uid !== undefined) {
        // The unprivileged user reads the content and owns what the build writes.
        chmodSync(base, 0o755);
        for (const dir of [env.FEEDS_DIR, env.STATE_DIR]) {
          mkdirSync(dir);
          chownSync(dir, uid, uid);
        }
      }
      const first = await buildCli(env, { uid });
      assert.equal(first.code, 0, first.stderr);
      const before = everyFile(env.FEEDS_DIR);
      await writeContent(contentDir, 3);

      const undo = make(env, mount);
      let failed;
      try {
        failed = await buildCli(env, { uid });
      } finally {
        await undo();
      }
      assert.equal(failed.code, 1, failed.stderr);
      assert.match(failed.stderr, new RegExp(`Build failed \\(DISK_WRITE_FAILED\\): cannot write ${env[folder]}/\\S+: ${code} `));
      assert.match(failed.stderr, /Nothing was published/);
      assertUnchanged(env.FEEDS_DIR, before);

      const again = await buildCli(env, { uid });
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /Published 21 article/);
    });
  }
});

describe('disk faults: the server process', () => {
  it('a watcher build on a full disk fails cleanly in the build thread, is reported, and the next change is served once there is room', async (t) => {
    const folders = await tmpfsAndContent(t, 'disk-faults-server-');
    if (!folders) return;
    const { base, mount, contentDir } = folders;
    const feedsDir = path.join(mount, 'feeds');
    const server = startServer(serverEnv(base, { ...SETTINGS, CONTENT_DIR: contentDir, FEEDS_DIR: feedsDir, PUBLIC_BASE_URL: 'https://feeds.example.org', WATCH_QUIET_MS: '50' }));
    try {
      const serving = await server.waitForLine((line) => line.msg === 'serving feeds', 30_000, "the 'serving feeds' log line");
      const origin = `http://127.0.0.1:${String(serving.port)}`;
      await server.waitForLine((line) => line.msg === 'build finished', 30_000, 'the first build');
      const good = everyFile(feedsDir);
      const feeds = [...good.keys()].filter((name) => /\.(xml|atom|json)$/.test(name) && !name.startsWith('.'));

      const filler = fill(mount);
      await writeContent(contentDir, 3);
      const failed = await server.waitForLine((line) => line.msg === 'build failed; still serving the last good feeds', 30_000, 'the failed build');
      assert.equal(failed.errno, 'ENOSPC');
      assert.ok(String(failed.file).startsWith(feedsDir + path.sep), String(failed.file));
      const health = (await (await fetch(`${origin}/healthz`)).json()) as { status: string; lastFailure: { message: string } | null };
      assert.equal(health.status, 'degraded');
      assert.ok(health.lastFailure?.message.includes(`cannot write ${String(failed.file)}: ENOSPC`), health.lastFailure?.message);
      assertUnchanged(feedsDir, good);
      for (const name of feeds) {
        const response = await fetch(`${origin}/feeds/${name}`, { headers: { 'Accept-Encoding': 'identity' } });
        assert.equal(response.status, 200, name);
        const body = Buffer.from(await response.arrayBuffer());
        assert.ok(body.equals(good.get(name)!), `${name} served is the last good one`);
        assert.ok(String(response.headers.get('etag')).includes(etag(body)), `${name}: the body matches its ETag`);
      }

      await rm(filler);
      const builds = server.lines.filter((line) => line.msg === 'build finished').length;
      await writeFile(path.join(contentDir, 'article-99.md'), articleText(frontMatter({ title: 'After the disk was freed', sourceUrl: 'https://news.example.com/99/', topics: ['AI'], publishedDateTime: '2025-03-01T00:00:00Z' })));
      await server.waitForLine(() => server.lines.filter((line) => line.msg === 'build finished').length > builds, 30_000, 'the build after the disk was freed');
      const recovered = (await (await fetch(`${origin}/healthz`)).json()) as { status: string };
      assert.equal(recovered.status, 'ok');
      const ai = await (await fetch(`${origin}/feeds/ai.xml`)).text();
      assert.match(ai, /After the disk was freed/);
      // Added by the build that failed: it is published now too.
      assert.match(ai, /Article 18</);
    } finally {
      server.child.kill('SIGTERM');
      await server.waitForExit(15_000);
    }
  });
});
