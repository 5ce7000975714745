/**
 * The schedule as the safety net of a server whose content watcher is on (the default): the feeds
 * folder deleted under the running server is written again by the next scheduled build. The
 * watcher names no content change then, and a build that took the watcher's word for everything
 * would find nothing to do: the browser pages and archive pages, which are served from the
 * folder, would stay 404 while /healthz said ok.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cp, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { serverEnv, startServer, type LogLine, type ServerProcess } from '../helpers/server-process.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BOOT_TIMEOUT_MS = 30_000;

let server: ServerProcess | undefined;

describe('a feeds folder deleted under the running server', () => {
  after(() => {
    if (server && server.exit === undefined) server.child.kill('SIGKILL');
  });

  it('is written again by the next scheduled build, with the watcher on', async () => {
    const base = await makeTempDir('feeds-folder-deleted-');
    await cp(path.join(ROOT, 'content'), path.join(base, 'content'), { recursive: true });
    // A scheduled build every second (node-cron's seconds field); pages of 3, so archive pages too.
    const env = serverEnv(base, { BUILD_CRON: '* * * * * *', FEED_MAX_ITEMS: '3' });
    assert.equal(env.WATCH_CONTENT, undefined, 'the watcher is on, as shipped');
    server = startServer(env);
    const { port } = await server.waitForLine((line) => line.msg === 'serving feeds', BOOT_TIMEOUT_MS, "the 'serving feeds' log line");
    const serving = server.lines.find((line) => line.msg === 'serving feeds');
    assert.equal(serving?.watchContent, true);
    // The operator sees which folders it uses.
    assert.deepEqual([serving?.contentDir, serving?.feedsDir, serving?.stateDir], [env.CONTENT_DIR, env.FEEDS_DIR, env.STATE_DIR]);
    await server.waitForLine((line) => line.msg === 'build finished', BOOT_TIMEOUT_MS, "the first 'build finished' log line");

    await rm(env.FEEDS_DIR!, { recursive: true });
    const since = server.lines.length;
    const rewrote = (line: LogLine) => line.msg === 'build finished' && line.reason === 'schedule' && typeof line.written === 'number' && line.written > 0;
    await server.waitForLine((line) => server!.lines.indexOf(line) >= since && rewrote(line), 15_000, 'a scheduled build that writes the folder again');

    for (const name of ['index.html', 'ai.html', 'archive/ai/1.xml', 'ai.xml']) assert.ok((await stat(path.join(env.FEEDS_DIR!, name))).isFile(), name);
    for (const url of ['/feeds/', '/feeds/ai.html', '/feeds/archive/ai/1.xml']) {
      const response = await fetch(`http://127.0.0.1:${port}${url}`, { signal: AbortSignal.timeout(5_000) });
      assert.equal(response.status, 200, url);
      await response.arrayBuffer();
    }
    server.child.kill('SIGTERM');
    await server.waitForExit(10_000);
  });
});

describe('npm run build:feeds on the folders of a running server', () => {
  it('is refused while the server runs (FEEDS_DIR_IN_USE, or STATE_DIR_IN_USE into another feeds folder), and builds once it has stopped', async () => {
    const base = await makeTempDir('feeds-folder-locked-');
    await cp(path.join(ROOT, 'content'), path.join(base, 'content'), { recursive: true });
    const env = serverEnv(base);
    const running = startServer(env);
    server = running;
    await running.waitForLine((line) => line.msg === 'serving feeds', BOOT_TIMEOUT_MS, "the 'serving feeds' log line");
    const cli = (settings: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/build-feeds.ts'], { cwd: ROOT, env: { ...env, ...settings }, encoding: 'utf8', timeout: 60_000 });
    const refused = cli();
    assert.equal(refused.status, 1, refused.stderr);
    assert.match(refused.stderr, new RegExp(`Build failed \\(FEEDS_DIR_IN_USE\\): FEEDS_DIR \\(.*\\) is in use by a server \\(process ${running.child.pid}`));
    // Its own feeds folder, the server's state folder: each would throw the other's cache away.
    const otherFeeds = path.join(base, 'feeds-other');
    const sharedState = cli({ FEEDS_DIR: otherFeeds });
    assert.equal(sharedState.status, 1, sharedState.stderr);
    assert.match(sharedState.stderr, new RegExp(`Build failed \\(STATE_DIR_IN_USE\\): STATE_DIR \\(.*\\) is in use by a server \\(process ${running.child.pid}`));
    await assert.rejects(stat(path.join(otherFeeds, 'ai.xml')), 'nothing was built into the other feeds folder');
    running.child.kill('SIGTERM');
    await running.waitForExit(10_000);
    const built = cli();
    assert.equal(built.status, 0, built.stderr);
  });
});
