/**
 * The mass-removal guard as an operator meets it: the real server on a copy of the bundled
 * content, whose folder is then swapped for an empty one (an unmounted volume). The next build is
 * held back: the same bytes stay served, no deletion is announced, /healthz says degraded with the
 * reason and the counts, and the log says what to do. Then `npm run build:feeds`'s program on the
 * same folders exits 1 with the same message, and publishes with --allow-mass-removal.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cp, mkdir, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { serverEnv, startServer, type ServerProcess, type LogLine } from '../helpers/server-process.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { parseXmlDocument } from '../helpers/xml.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BOOT_TIMEOUT_MS = 30_000;
const FEEDS = ['all.atom', 'all.xml', 'all.json', 'ai.xml'];
/** Published articles in the bundled content (25 files, 2 of them drafts). */
const PUBLISHED = 23;

let base: string;
let env: NodeJS.ProcessEnv;
let server: ServerProcess | undefined;

async function fetchAll(port: number): Promise<Map<string, string>> {
  const answers = new Map<string, string>();
  for (const name of FEEDS) {
    const response = await fetch(`http://127.0.0.1:${port}/feeds/${name}`, { signal: AbortSignal.timeout(5_000) });
    answers.set(name, `${response.status} ${response.headers.get('etag')} ${Buffer.from(await response.arrayBuffer()).toString('base64')}`);
  }
  return answers;
}

const deletedEntries = (atom: string) => (atom.match(/<at:deleted-entry\b/g) ?? []).length;

describe('the mass-removal guard in the server and the CLI', () => {
  before(async () => {
    base = await makeTempDir('mass-removal-');
    await cp(path.join(ROOT, 'content'), path.join(base, 'content'), { recursive: true });
    // A build every second (node-cron's seconds field), so the test needs no watcher.
    env = serverEnv(base, { BUILD_CRON: '* * * * * *', WATCH_CONTENT: 'false' });
  });

  after(() => {
    if (server && server.exit === undefined) server.child.kill('SIGKILL');
  });

  it('holds back the build of an emptied content folder and keeps serving the last feeds', async () => {
    server = startServer(env);
    const { port } = await server.waitForLine((line) => line.msg === 'serving feeds', BOOT_TIMEOUT_MS, "the 'serving feeds' log line");
    assert.ok(typeof port === 'number');
    await server.waitForLine((line) => line.msg === 'build finished', BOOT_TIMEOUT_MS, "the first 'build finished' log line");
    const served = await fetchAll(port);
    for (const [name, answer] of served) assert.ok(answer.startsWith('200 '), `${name}: ${answer.slice(0, 40)}`);

    await rename(env.CONTENT_DIR!, `${env.CONTENT_DIR}.unmounted`);
    await mkdir(env.CONTENT_DIR!);
    const failed = (line: LogLine) => line.level === 'error' && (line.error as { code?: string } | undefined)?.code === 'MASS_REMOVAL_REFUSED';
    const logged = await server.waitForLine(failed, 15_000, 'the log line of the held-back build');
    const error = logged.error as { message: string; details: unknown };
    assert.deepEqual(error.details, { wouldRemove: PUBLISHED, published: PUBLISHED, limit: 20 });
    assert.match(error.message, /ALLOW_MASS_REMOVAL=true/, 'the log says what to do');

    const health = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(5_000) });
    assert.equal(health.status, 200);
    const body = (await health.json()) as { status: string; lastFailure: { code: string; details: unknown; message: string } };
    assert.equal(body.status, 'degraded');
    assert.equal(body.lastFailure.code, 'MASS_REMOVAL_REFUSED');
    assert.deepEqual(body.lastFailure.details, { wouldRemove: PUBLISHED, published: PUBLISHED, limit: 20 });

    assert.deepEqual(await fetchAll(port), served, 'the served feeds changed');
    const onDisk = await readFile(path.join(env.FEEDS_DIR!, 'all.atom'), 'utf8');
    assert.equal(deletedEntries(onDisk), 0, 'a deletion was announced');
    assert.equal((parseXmlDocument(onDisk).feed as { entry?: unknown[] }).entry?.length, PUBLISHED);
    assert.ok(!server.lines.some((line) => line.msg === 'build finished' && line.published === 0), 'an empty build was published');

    server.child.kill('SIGKILL');
    await server.waitForExit(5_000);
  });

  it('npm run build:feeds exits 1 with the same message, and publishes with --allow-mass-removal', () => {
    const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/build-feeds.ts', ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
    const refused = cli();
    assert.equal(refused.status, 1, refused.stderr);
    assert.match(refused.stderr, /MASS_REMOVAL_REFUSED/);
    assert.match(refused.stderr, /would remove 23 of the 23 published entries, more than the limit of 20/);
    assert.match(refused.stderr, /--allow-mass-removal/);

    const allowed = cli('--allow-mass-removal');
    assert.equal(allowed.status, 0, allowed.stderr);
    assert.match(allowed.stdout, /Announced 23 deleted entries/);
  });

  it('a missing content folder is an error of its own, with exit status 1', () => {
    const missing = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/build-feeds.ts'], { cwd: ROOT, env: { ...env, CONTENT_DIR: path.join(base, 'nowhere') }, encoding: 'utf8', timeout: 60_000 });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /CONTENT_FOLDER_UNAVAILABLE.*is missing \(ENOENT\)/);
  });
});
