/**
 * Nothing private leaks anywhere: no `secured` value, no draft's title, URL or id. The generated
 * corpus (test/helpers/fuzz-corpus.ts) and the bundled content/ are built through the server's own
 * path (buildAndPublish into a FeedStore, served by createApp), then every place a value could
 * surface is searched: the feeds and state folders, every HTTP response (identity, gzip and
 * brotli), every log line at level debug, /healthz, /metrics and the build report.
 *
 * A failure names the seed; replay it with `FUZZ_SEED=<seed> node --import tsx --test test/e2e/no-leaks.test.ts`.
 */
import assert from 'node:assert/strict';
import { cp, readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import type { IncomingMessage, Server } from 'node:http';
import path from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import matter from 'gray-matter';
import request from 'supertest';
import { buildFeeds, type BuildResult } from '../../src/build/build-feeds.js';
import { FeedStore } from '../../src/http/feed-store.js';
import { createApp } from '../../src/http/app.js';
import { createHttpServer } from '../../src/http/create-server.js';
import { createServiceMetrics } from '../../src/http/service-metrics.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { buildAndPublish } from '../../src/build/schedule.js';
import { testConfig } from '../helpers/config.js';
import {
  DRAFT_HOST,
  FUZZ_CLOCK,
  FUZZ_MAX_FILE_BYTES,
  generateCorpus,
  mulberry32,
  seedFromEnv,
  UNPUBLISHED_MARKER,
  writeCorpus,
  type FuzzFile,
} from '../helpers/fuzz-corpus.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const SEED = seedFromEnv();
const COUNT = Number(process.env.NO_LEAKS_COUNT ?? 400);
const REPLAY = `(seed ${SEED}; replay with FUZZ_SEED=${SEED})`;
const BUNDLED = new URL('../../content/', import.meta.url).pathname;

/** Secrets for the hand-written broken files, from the same seed. */
function secretsFor(seed: number, count: number): string[] {
  const next = mulberry32(seed ^ 0x5eed);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  return Array.from({ length: count }, () => Array.from({ length: 48 + Math.floor(next() * 24) }, () => alphabet[Math.floor(next() * 64)]).join(''));
}

const [S1, S2, S3, S4, S5, S6] = secretsFor(SEED, 6) as [string, string, string, string, string, string];
const BAD_TITLE = `SKIPPED-TITLE-explicit-${S6.slice(0, 16)}`;
const FRONT = 'publishedDateTime: 2024-01-01T00:00:00Z\nsourceUrl: https://skipped.example.net/explicit/';

/** Hand-written broken files whose error messages must not echo the secured value (or the bad title). */
const EXPLICIT: readonly { file: string; text: string; secrets: readonly string[]; reason: string; path: string }[] = [
  {
    file: 'explicit/yaml-breaks-on-the-secured-line.md',
    text: `---\ntitle: Broken on the secured line\n${FRONT}1/\nsecured: "${S1}\n---\nbody\n`,
    secrets: [S1],
    reason: 'invalid_yaml',
    path: '',
  },
  {
    file: 'explicit/secured-written-as-an-alias.md',
    text: `---\ntitle: Secured as an alias\n${FRONT}2/\nsecured: *${S2}\n---\nbody\n`,
    secrets: [S2],
    reason: 'invalid_yaml',
    path: '',
  },
  {
    file: 'explicit/secured-written-as-a-tag.md',
    text: `---\ntitle: Secured as a tag\n${FRONT}3/\nsecured: !${S3} value\n---\nbody\n`,
    secrets: [S3],
    reason: 'invalid_yaml',
    path: '',
  },
  {
    file: 'explicit/bad-title-next-to-a-nested-secured.md',
    text: `---\ntitle:\n  nested: "${BAD_TITLE}"\nsecured:\n  - ${S4}\n  - key: [${S5}]\n${FRONT}4/\n---\nbody\n`,
    secrets: [S4, S5, BAD_TITLE],
    reason: 'invalid_type',
    path: 'title',
  },
];

/** A secured value and, when it has `;`-separated parts, each part of 12 characters or more. */
function securedNeedles(value: string): string[] {
  return [value, ...(value.includes(';') ? value.split(';').filter((part) => part.length >= 12) : [])];
}

/** Every string inside a YAML value (the bundled `secured` is a string, but anything is allowed). */
function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value instanceof Date) return [];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(stringsIn);
  return value === undefined || value === null ? [] : [String(value)];
}

interface Needle {
  readonly text: string;
  readonly what: string;
}

/** Which needles occur in `text`, as messages naming `where`. */
function leaks(where: string, text: string, needles: readonly Needle[]): string[] {
  const found: string[] = [];
  for (const needle of needles) if (text.includes(needle.text)) found.push(`${where} holds ${needle.what}`);
  const marker = UNPUBLISHED_MARKER.exec(text);
  if (marker) found.push(`${where} holds an unpublished marker: ${JSON.stringify(text.slice(marker.index, marker.index + 40))}`);
  if (text.includes(DRAFT_HOST)) found.push(`${where} holds a draft URL (${DRAFT_HOST})`);
  return found;
}

/** Collects the response body as raw bytes, undecoded (superagent would gunzip it first). */
function rawBody(pending: request.Test): request.Test {
  Object.assign(pending, { _shouldDecompress: () => false });
  return pending.buffer(true).parse((message: unknown, callback: (error: Error | null, body: Buffer) => void) => {
    const response = message as IncomingMessage;
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('end', () => callback(null, Buffer.concat(chunks)));
    response.on('error', (error) => callback(error, Buffer.alloc(0)));
  });
}

function decode(body: Buffer, encoding: string | undefined): string {
  if (encoding === 'gzip') return gunzipSync(body).toString('utf8');
  if (encoding === 'br') return brotliDecompressSync(body).toString('utf8');
  assert.equal(encoding, undefined, `unexpected Content-Encoding ${encoding}`);
  return body.toString('utf8');
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
}

describe(`nothing private leaks from a build of ${COUNT} generated files and the bundled content ${REPLAY}`, () => {
  let corpus: FuzzFile[];
  let feedsDir: string;
  let stateDir: string;
  let store: FeedStore;
  let server: Server;
  let result: BuildResult | undefined;
  const logLines: string[] = [];
  const needles: Needle[] = [];
  /** Every HTTP response, as [request, headers + decoded body]. */
  const responses: [string, string][] = [];
  const timings: Record<string, number> = {};

  before(async () => {
    let started = performance.now();
    corpus = generateCorpus({ seed: SEED, count: COUNT });
    const contentDir = await makeTempDir('no-leaks-content-');
    feedsDir = path.join(await makeTempDir('no-leaks-feeds-'), 'feeds');
    await writeCorpus(contentDir, corpus);
    await cp(BUNDLED, path.join(contentDir, 'bundled'), { recursive: true });
    await mkdir(path.join(contentDir, 'explicit'));
    for (const { file, text } of EXPLICIT) await writeFile(path.join(contentDir, file), text);

    // What must not leak: from the corpus, from content/ (read with gray-matter), and the explicit files.
    for (const file of corpus) {
      if (file.secured) for (const text of securedNeedles(file.secured)) needles.push({ text, what: `the secured value of ${file.file} (${file.kind})` });
      if (file.kind === 'draft') {
        needles.push({ text: file.title!, what: `the title of the draft ${file.file}` });
        needles.push({ text: file.sourceUrl!, what: `the sourceUrl of the draft ${file.file}` });
        if (file.id !== file.sourceUrl) needles.push({ text: file.id!, what: `the id of the draft ${file.file}` });
      }
    }
    for (const name of (await readdir(BUNDLED)).filter((name) => name.endsWith('.md'))) {
      const { data } = matter(await readFile(path.join(BUNDLED, name), 'utf8'), {});
      for (const value of stringsIn(data.secured)) for (const text of securedNeedles(value)) needles.push({ text, what: `the secured value of content/${name}` });
      if (data.published === false || data.published === 'false') {
        needles.push({ text: String(data.title), what: `the title of the draft content/${name}` });
        needles.push({ text: String(data.sourceUrl), what: `the sourceUrl of the draft content/${name}` });
        needles.push({ text: new URL(String(data.sourceUrl)).href, what: `the sourceUrl of the draft content/${name}` });
      }
    }
    for (const { file, secrets } of EXPLICIT) for (const text of secrets) needles.push({ text, what: `a value of ${file}` });

    timings.prepare = performance.now() - started;
    started = performance.now();
    const config = testConfig(contentDir, feedsDir, { MAX_FILE_BYTES: String(FUZZ_MAX_FILE_BYTES), FEED_MAX_ITEMS: '50' });
    stateDir = config.stateDir;
    const logger = createLogger({ level: 'debug', write: (line) => logLines.push(line), clock: () => FUZZ_CLOCK });
    store = new FeedStore();
    result = await buildAndPublish(
      { build: () => buildFeeds({ config, logger, clock: () => FUZZ_CLOCK }), store, logger, clock: () => FUZZ_CLOCK },
      { scheduled: false },
    );
    const metrics = createServiceMetrics({ store, watchingContent: () => true });
    const app = createApp({ store, logger, cacheMaxAgeSeconds: config.cacheMaxAgeSeconds, archiveCacheMaxAgeSeconds: config.archiveCacheMaxAgeSeconds, metrics });
    server = createHttpServer(app, loadConfig({}).http, metrics).listen(0, '127.0.0.1');
    timings.build = performance.now() - started;
    started = performance.now();

    const fetch = async (label: string, pending: request.Test, expectedStatus: number) => {
      const response = await rawBody(pending);
      assert.equal(response.status, expectedStatus, `${label} ${REPLAY}`);
      responses.push([label, `${JSON.stringify(response.headers)}\n${decode(response.body as Buffer, response.headers['content-encoding'])}`]);
    };
    const names = [...(store.snapshot?.files.keys() ?? [])];
    for (const name of names) {
      const url = `/feeds/${name.split('/').map(encodeURIComponent).join('/')}`;
      await fetch(`GET ${url}`, request(server).get(url).set('Accept-Encoding', 'identity'), 200);
      await fetch(`GET ${url} (gzip)`, request(server).get(url).set('Accept-Encoding', 'gzip'), 200);
      await fetch(`GET ${url} (br)`, request(server).get(url).set('Accept-Encoding', 'br'), 200);
    }
    await fetch('GET /feeds/', request(server).get('/feeds/').set('Accept-Encoding', 'gzip'), 200);
    await fetch('GET /feeds', request(server).get('/feeds').set('Accept-Encoding', 'identity'), 301);
    await fetch('GET /feeds/all (negotiated)', request(server).get('/feeds/all').set('Accept', 'application/feed+json').set('Accept-Encoding', 'identity'), 200);
    await fetch('GET /healthz', request(server).get('/healthz'), 200);
    await fetch('GET /metrics', request(server).get('/metrics'), 200);
    await fetch('GET /feeds/no-such-feed.xml', request(server).get('/feeds/no-such-feed.xml'), 404);
    await fetch('GET /nothing-here', request(server).get('/nothing-here'), 404);
    await fetch('POST /feeds/all.xml', request(server).post('/feeds/all.xml').send('x'), 405);
    await fetch('DELETE /healthz', request(server).delete('/healthz'), 405);
    timings.requests = performance.now() - started;
  });

  after(() => {
    server?.close();
  });

  it('builds and serves through buildAndPublish, FeedStore and createApp', (t) => {
    t.diagnostic(
      `seed ${SEED}; ${corpus.length} generated files + content/; ${needles.length} values to look for; ${responses.length} responses, ${logLines.length} log lines; ` +
        Object.entries(timings).map(([step, ms]) => `${step} ${Math.round(ms)} ms`).join(', '),
    );
    assert.ok(result, `buildAndPublish failed: ${logLines.filter((line) => line.includes('"error"')).join('\n')} ${REPLAY}`);
    assert.equal(store.health().status, 'ok');
    assert.ok(result.report.published >= corpus.filter((file) => file.kind === 'good').length, REPLAY);
    assert.ok(needles.length > COUNT * 0.8, `secured values, draft titles and URLs to look for ${REPLAY}`);
    assert.ok(responses.length > 30, REPLAY);
  });

  it('(a) puts none of them in any file of the feeds folder or the state folder', async () => {
    const files = [...(await listFiles(feedsDir)), ...(await listFiles(stateDir))];
    assert.ok(files.some((file) => file.endsWith('entries.json')), 'the state folder holds entries.json');
    const found: string[] = [];
    for (const file of files) found.push(...leaks(path.relative(path.dirname(feedsDir), file), await readFile(file, 'utf8'), needles));
    assert.deepEqual(found.slice(0, 20), [], `${found.length} leaks ${REPLAY}`);
  });

  it('(b) puts none of them in any HTTP response: every feed (identity, gzip, br), the index, /healthz, /metrics, 404 and 405', () => {
    const found = responses.flatMap(([label, text]) => leaks(label, text, needles));
    assert.deepEqual(found.slice(0, 20), [], `${found.length} leaks ${REPLAY}`);
  });

  it('(c) puts none of them in any log line (level debug)', () => {
    assert.ok(logLines.length > 0);
    const found = logLines.flatMap((line, index) => leaks(`log line ${index + 1}`, line, needles));
    assert.deepEqual(found.slice(0, 20), [], `${found.length} leaks ${REPLAY}`);
  });

  it('(d) puts none of them in /healthz or the build report', () => {
    const found = [...leaks('/healthz', JSON.stringify(store.health()), needles), ...leaks('the build report', JSON.stringify(result?.report), needles)];
    assert.deepEqual(found.slice(0, 20), [], `${found.length} leaks ${REPLAY}`);
  });

  for (const explicit of EXPLICIT) {
    it(`reports ${explicit.file} without echoing its values in the problem or the log`, () => {
      const problem = result?.report.problems.find((candidate) => candidate.file === explicit.file);
      assert.ok(problem, `${explicit.file} is reported`);
      assert.ok(
        problem.issues.some((issue) => issue.reason === explicit.reason && issue.path === explicit.path),
        `${explicit.file}: expected reason ${explicit.reason} at "${explicit.path}", got ${JSON.stringify(problem.issues.map(({ path, reason }) => ({ path, reason })))}`,
      );
      const own = explicit.secrets.map((text) => ({ text, what: 'its own value' }));
      assert.deepEqual(leaks('report.problems', JSON.stringify(problem), own), [], `${explicit.file}: ${JSON.stringify(problem)}`);
      const lines = logLines.filter((line) => line.includes(explicit.file));
      assert.ok(lines.length > 0, `${explicit.file} is logged`);
      assert.deepEqual(lines.flatMap((line) => leaks('its log line', line, own)), [], lines.join('\n'));
    });
  }
});
