/**
 * A first start before the content folder exists (a volume not mounted yet, a checkout still
 * running): /healthz must say the server is failing and why, not that it is still starting, and
 * that the content watcher hears nothing; once the folder comes, the scheduled build serves it and
 * the watcher is back, so the next new article is live without waiting for the schedule.
 */
import assert from 'node:assert/strict';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { articleText, frontMatter } from '../helpers/articles.js';
import { serverEnv, startServer, type ServerProcess } from '../helpers/server-process.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BOOT_TIMEOUT_MS = 30_000;

let server: ServerProcess | undefined;

describe('a first start without a content folder', () => {
  after(() => {
    if (server && server.exit === undefined) server.child.kill('SIGKILL');
  });

  it("is 'failing' (503) with the folder named, then serves the folder once it comes, and watches it again", async () => {
    const base = await makeTempDir('content-missing-');
    // The schedule every two seconds: the safety net that finds the folder once it is there.
    const env = serverEnv(base, { BUILD_CRON: '*/2 * * * * *' });
    server = startServer(env);
    const { port } = await server.waitForLine((line) => line.msg === 'serving feeds', BOOT_TIMEOUT_MS, "the 'serving feeds' log line");
    const get = async (url: string) => {
      const response = await fetch(`http://127.0.0.1:${port}${url}`, { signal: AbortSignal.timeout(5_000) });
      return { status: response.status, body: await response.text() };
    };
    const health = async () => {
      const { status, body } = await get('/healthz');
      return { httpStatus: status, ...(JSON.parse(body) as { status: string; contentWatcher: string; lastFailure: { code: string; message: string } | null }) };
    };

    await server.waitForLine((line) => line.msg === 'build failed; still serving the last good feeds', BOOT_TIMEOUT_MS, 'the first build failing');
    const failing = await health();
    assert.equal(failing.httpStatus, 503);
    assert.equal(failing.status, 'failing');
    assert.equal(failing.contentWatcher, 'failed');
    assert.equal(failing.lastFailure?.code, 'CONTENT_FOLDER_UNAVAILABLE');
    assert.ok(failing.lastFailure?.message.includes(env.CONTENT_DIR!), `the message names the folder: ${failing.lastFailure?.message}`);
    // The same for Prometheus, from the real server.
    const metrics = (await get('/metrics')).body;
    for (const line of ['feed_service_serving 0', 'feed_service_last_build_failed 1', 'feed_service_content_watcher_up 0']) assert.ok(metrics.split('\n').includes(line), `${line} in ${metrics}`);
    assert.match(metrics, /^feed_service_builds_total\{outcome="failed"\} [1-9]/m);
    // Several scheduled builds fail meanwhile; the watcher's warning is given once.
    await server.waitForLine((line) => line.msg === 'build failed; still serving the last good feeds' && line.reason === 'schedule', 10_000, 'a scheduled build failing');
    const warnings = server.lines.filter((line) => line.msg.startsWith('content folder cannot be watched'));
    assert.equal(warnings.length, 1, JSON.stringify(warnings));

    await cp(path.join(ROOT, 'content'), env.CONTENT_DIR!, { recursive: true });
    assert.ok(await waitFor(async () => (await get('/feeds/ai.xml')).status === 200, 15_000), 'the scheduled build serves the folder once it is there');
    const ok = await health();
    assert.equal(ok.httpStatus, 200);
    assert.equal(ok.status, 'ok');
    assert.equal(ok.contentWatcher, 'watching');
    assert.ok((await get('/metrics')).body.split('\n').includes('feed_service_content_watcher_up 1'));
    assert.ok(server.lines.some((line) => line.msg === 'content folder watched again'));

    // The watcher, not the schedule, brings the next article: it is built as a content change.
    await mkdir(path.join(env.CONTENT_DIR!, 'late'), { recursive: true });
    await writeFile(path.join(env.CONTENT_DIR!, 'late', 'fresh.md'), articleText(frontMatter({ title: 'Fresh after the mount', topics: ['AI'], sourceUrl: 'https://news.example.com/fresh-after-mount', publishedDateTime: new Date(Date.now() - 60_000).toISOString() })));
    await server.waitForLine((line) => line.msg === 'build finished' && line.reason === 'content changed', 10_000, "a build started by the watcher ('content changed')");
    assert.ok(await waitFor(async () => (await get('/feeds/ai.xml')).body.includes('Fresh after the mount'), 10_000));

    server.child.kill('SIGTERM');
    await server.waitForExit(10_000);
  });
});
