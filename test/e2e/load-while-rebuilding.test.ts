/**
 * Load while the feeds are rebuilt every second and the content keeps changing: the real server
 * (`node --import tsx src/main.ts`) with BUILD_CRON='* * * * * *', and autocannon (64 connections,
 * LOAD_SECONDS, default 20) asking for every feed in every format, half of the time with
 * If-None-Match (the ETag just seen, or sometimes an older one). Meanwhile a title changes or an
 * article is added every ~300 ms.
 *
 * Every 200 must be whole and of one build: its body parses (fast-xml-parser's XMLValidator, or
 * JSON.parse) and hashes to its own ETag (sha256, base64url, first 27 characters). Every 304 must
 * be justified by the If-None-Match sent. Nothing else may come back: no error, no timeout.
 *
 * Requests send no Accept-Encoding, so bodies are identity bytes (the ETag of the identity
 * variant). The content is ASCII: autocannon decodes each body chunk to a string on its own, which
 * would mangle a multi-byte character split between chunks.
 *
 * Which article each edit changes and which older ETag a request sends come from a PRNG seeded by
 * LOAD_SEED (default below); a failure names the seed, and `LOAD_SEED=<seed>` replays those choices
 * (the timing of requests and rebuilds still varies from run to run).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import autocannon from 'autocannon';
import { XMLValidator } from 'fast-xml-parser';
import { makeTempDir } from '../helpers/temp-dir.js';
import { envSeed, namingSeedOnFailure, Random } from '../helpers/random.js';
import { serverEnv, startServer, type ServerProcess } from '../helpers/server-process.js';

const LOAD_SECONDS = Number(process.env.LOAD_SECONDS ?? 20);
const CONNECTIONS = 64;
const ARTICLES = 300;
const TOPICS = ['AI', 'Climate', 'Finance', 'Health', 'Space', 'Energy', 'Robotics', 'Policy', 'Security', 'Transport'];
const MIN_REBUILDS = 10;
const SEED = envSeed('LOAD_SEED', 20261125);
const REPLAY = `(seed ${SEED}; replay with LOAD_SEED=${SEED})`;
const withSeed = namingSeedOnFailure(REPLAY);
/** Two streams, so the edits do not depend on how many requests ran in between. */
const editRandom = new Random(SEED);
const etagRandom = new Random((SEED ^ 0x9e3779b9) >>> 0);

// ---------------------------------------------------------------- content

let contentDir: string;
let nextId = 0;
let edits = 0;

function articleText(id: number, edition: number): string {
  return [
    '---',
    `title: 'Article ${id}, edition ${edition}'`,
    `excerpt: 'What happened in story ${id}, in brief.'`,
    `publishedDateTime: '${new Date(Date.UTC(2024, 0, 1) + id * 3_600_000).toISOString()}'`,
    `sourceUrl: https://news.example.com/load/${id}/`,
    `topics: ['${TOPICS[id % TOPICS.length]}']`,
    '---',
    `Paragraph one of story ${id}, edition ${edition}.`,
    '',
    `Paragraph two, with a [link](https://example.com/${id}) and *emphasis*.`,
    '',
  ].join('\n');
}

/** Written beside the target under a dot-name (the reader skips those), then renamed over it. */
async function writeArticle(id: number, edition: number): Promise<void> {
  const target = path.join(contentDir, `article-${id}.md`);
  const temporary = path.join(contentDir, `.article-${id}.${edition}.tmp`);
  await writeFile(temporary, articleText(id, edition));
  await rename(temporary, target);
}

// ---------------------------------------------------------------- the server


/** A port that was free a moment ago (LOG_LEVEL=warn hides the 'serving feeds' line that names it). */
async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

interface Health {
  status: string;
  lastBuild: { finishedAt: string } | null;
}

function getHealth(port: number): Promise<{ status: number; body: Health | undefined }> {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path: '/healthz', agent: false, timeout: 5_000 }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      response.on('end', () => {
        try {
          resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as Health });
        } catch {
          resolve({ status: response.statusCode ?? 0, body: undefined });
        }
      });
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve({ status: 0, body: undefined }));
  });
}

// ---------------------------------------------------------------- checking each response

interface Tally {
  statuses: Map<number, number>;
  etagMismatches: string[];
  unparsable: string[];
  unjustified304: string[];
  missed304: string[];
  staleSent: number;
  conditionalSent: number;
}

const tally: Tally = { statuses: new Map(), etagMismatches: [], unparsable: [], unjustified304: [], missed304: [], staleSent: 0, conditionalSent: 0 };
/** Every ETag seen per path, oldest first: the source of stale If-None-Match values. */
const seenEtags = new Map<string, string[]>();

const note = (list: string[], message: string) => {
  if (list.length < 20) list.push(message);
  else if (list.length === 20) list.push('…');
};

function header(headers: Record<string, string | string[]> | undefined, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

/** Per connection: the ETag last seen per path, and the If-None-Match of the request in flight. */
interface Context {
  etags?: Record<string, string>;
  sent?: string;
}

function checkResponse(urlPath: string, status: number, body: string, context: Context, headers: Record<string, string | string[]> | undefined): void {
  tally.statuses.set(status, (tally.statuses.get(status) ?? 0) + 1);
  const etag = header(headers, 'etag');
  const sent = context.sent;
  context.sent = undefined;
  if (status === 304) {
    if (!etag || !sent || !sent.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)) {
      note(tally.unjustified304, `${urlPath}: 304 with ETag ${etag} for If-None-Match ${sent}`);
    }
    return;
  }
  if (status !== 200) return;
  if (!etag) {
    note(tally.etagMismatches, `${urlPath}: no ETag`);
    return;
  }
  if (sent !== undefined && sent === etag) note(tally.missed304, `${urlPath}: 200 although If-None-Match ${sent} is the current ETag`);
  const hash = createHash('sha256').update(Buffer.from(body, 'utf8')).digest('base64url').slice(0, 27);
  if (`"${hash}"` !== etag) note(tally.etagMismatches, `${urlPath}: body hashes to "${hash}", ETag ${etag} (${body.length} characters)`);
  if (urlPath.endsWith('.json')) {
    try {
      JSON.parse(body);
    } catch (error) {
      note(tally.unparsable, `${urlPath}: ${(error as Error).message}`);
    }
  } else {
    const valid = XMLValidator.validate(body);
    if (valid !== true) note(tally.unparsable, `${urlPath}: ${JSON.stringify(valid.err)}`);
  }
  context.etags = { ...context.etags, [urlPath]: etag };
  const history = seenEtags.get(urlPath) ?? [];
  if (history.at(-1) !== etag) {
    history.push(etag);
    if (history.length > 50) history.shift();
    seenEtags.set(urlPath, history);
  }
}

/** For each feed: a plain GET, then a conditional one (the ETag just seen, or 1 in 4 an older one). */
function requestsFor(paths: readonly string[]): autocannon.Request[] {
  let turn = 0;
  return paths.flatMap((urlPath): autocannon.Request[] => [
    {
      method: 'GET',
      path: urlPath,
      setupRequest: (request, context) => {
        (context as Context).sent = undefined;
        return request;
      },
      onResponse: (status, body, context, headers) => checkResponse(urlPath, status, body, context as Context, headers as Record<string, string>),
    },
    {
      method: 'GET',
      path: urlPath,
      setupRequest: (request, context) => {
        const history = seenEtags.get(urlPath) ?? [];
        const stale = turn++ % 4 === 0 && history.length > 1;
        const etag = stale ? history[etagRandom.int(0, history.length - 2)] : ((context as Context).etags?.[urlPath] ?? history.at(-1));
        (context as Context).sent = etag;
        if (etag === undefined) return { ...request, headers: {} };
        tally.conditionalSent++;
        if (stale) tally.staleSent++;
        return { ...request, headers: { 'If-None-Match': etag } };
      },
      onResponse: (status, body, context, headers) => checkResponse(urlPath, status, body, context as Context, headers as Record<string, string>),
    },
  ]);
}

// ---------------------------------------------------------------- the test

describe(`${LOAD_SECONDS} s of load while the feeds are rebuilt every second ${REPLAY}`, { timeout: (LOAD_SECONDS + 120) * 1000 }, () => {
  let server: ServerProcess;
  let port: number;

  before(withSeed(async () => {
    const base = await makeTempDir('load-');
    contentDir = path.join(base, 'content');
    await mkdir(contentDir);
    for (nextId = 0; nextId < ARTICLES; nextId++) await writeArticle(nextId, 1);

    port = await freePort();
    const env = serverEnv(base, { PORT: String(port), CONTENT_DIR: contentDir, PUBLIC_BASE_URL: `http://127.0.0.1:${port}`, FEED_MAX_ITEMS: '50', BUILD_CRON: '* * * * * *', LOG_LEVEL: 'warn' });
    server = startServer(env);
    const deadline = Date.now() + 60_000;
    while ((await getHealth(port)).status !== 200) {
      if (server.exit) throw new Error(`the server exited at start: ${server.stderr.slice(-2000)}`);
      if (Date.now() > deadline) throw new Error('the server did not answer /healthz with 200 within 60 s');
      await delay(200);
    }
  }));

  after(async () => {
    if (server && !server.exit) {
      server.child.kill('SIGTERM');
      await server.waitForExit(5_000);
      if (!server.exit) {
        server.child.kill('SIGKILL');
        await server.waitForExit(5_000);
      }
    }
  });

  it('answers every request with a whole body of one build, or a justified 304, and rebuilds at least 10 times', withSeed(async () => {
    const paths = ['/feeds/all.xml', '/feeds/all.atom', '/feeds/all.json'];
    for (const topic of TOPICS) for (const extension of ['xml', 'atom', 'json']) paths.push(`/feeds/${topic.toLowerCase()}.${extension}`);

    // Rebuilds, as /healthz reports them: each new lastBuild.finishedAt is one.
    const builds = new Set<string>();
    const healthStatuses = new Map<string, number>();
    const initial = (await getHealth(port)).body?.lastBuild?.finishedAt;
    assert.ok(initial, 'the boot build is reported');
    builds.add(initial);
    let loading = true;
    const watchHealth = (async () => {
      while (loading) {
        const { body } = await getHealth(port);
        if (body?.lastBuild) builds.add(body.lastBuild.finishedAt);
        if (body) healthStatuses.set(body.status, (healthStatuses.get(body.status) ?? 0) + 1);
        await delay(200);
      }
    })();

    // A title edited or an article added every ~300 ms.
    const editContent = (async () => {
      for (let step = 0; loading; step++) {
        if (step % 3 === 2) await writeArticle(nextId++, 1);
        else await writeArticle(editRandom.int(0, nextId - 1), 2 + step);
        edits++;
        await delay(300);
      }
    })();

    const started = Date.now();
    const result = await autocannon({
      url: `http://127.0.0.1:${port}`,
      connections: CONNECTIONS,
      duration: LOAD_SECONDS,
      timeout: 10,
      requests: requestsFor(paths),
    });
    loading = false;
    await Promise.all([watchHealth, editContent]);
    const { body: finalHealth } = await getHealth(port);
    if (finalHealth?.lastBuild) builds.add(finalHealth.lastBuild.finishedAt);

    const count = (status: number) => tally.statuses.get(status) ?? 0;
    const rebuilds = builds.size - 1;
    const logged = (level: string) => server.lines.filter((line) => line.level === level);
    console.log(
      [
        `load while rebuilding: ${LOAD_SECONDS} s, ${CONNECTIONS} connections, ${paths.length} feeds (${Date.now() - started} ms) ${REPLAY}`,
        `  requests: ${result.requests.total} (${result.requests.average.toFixed(0)}/s); latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms`,
        `  200: ${count(200)}, 304: ${count(304)}, other: ${[...tally.statuses].filter(([status]) => status !== 200 && status !== 304).map(([status, n]) => `${status}×${n}`).join(', ') || 'none'}`,
        `  conditional requests: ${tally.conditionalSent} (${tally.staleSent} with an older ETag)`,
        `  errors: ${result.errors}, timeouts: ${result.timeouts}; rebuilds seen: ${rebuilds}; content edits: ${edits}; versions of all.xml served: ${seenEtags.get('/feeds/all.xml')?.length ?? 0}`,
        `  server log: ${logged('warn').length} warning(s), ${logged('error').length} error(s); /healthz: ${JSON.stringify(Object.fromEntries(healthStatuses))}`,
      ].join('\n'),
    );

    assert.equal(result.errors, 0, 'connection errors');
    assert.equal(result.timeouts, 0, 'timeouts');
    assert.ok(result.requests.total > 0, 'no request was made');
    assert.deepEqual(
      [...tally.statuses.keys()].filter((status) => status !== 200 && status !== 304),
      [],
      'only 200 and 304 are expected',
    );
    assert.ok(count(200) > 0 && count(304) > 0, 'both full and conditional answers were exercised');
    assert.deepEqual(tally.etagMismatches, [], 'bodies whose sha256 is not their ETag');
    assert.deepEqual(tally.unparsable, [], 'bodies that do not parse');
    assert.deepEqual(tally.unjustified304, [], '304s that the If-None-Match sent did not justify');
    assert.deepEqual(tally.missed304, [], '200s whose ETag equalled the If-None-Match sent');
    assert.ok(rebuilds >= MIN_REBUILDS, `only ${rebuilds} rebuild(s) in ${LOAD_SECONDS} s`);
    assert.ok((seenEtags.get('/feeds/all.xml')?.length ?? 0) >= 3, 'the content changes reached the served feeds');
    assert.deepEqual(logged('error'), [], 'the server logged errors');
    assert.ok(!server.exit, 'the server died');
  }));
});
