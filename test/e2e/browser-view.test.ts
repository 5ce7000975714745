/**
 * The browser view as a browser shows it: the bundled content/ built into a temporary folder,
 * served by the real app on 127.0.0.1, and opened by Debian's headless Chromium (package
 * `chromium`, installed by .ci/run). For /feeds/ai.xml and /feeds/ai.atom Chromium must apply
 * feed.xsl (the server sends the feeds as application/xml to a browser) and load feed.css; for
 * /feeds/ai.html it must load feed.css. Each page's rendered DOM (--dump-dom) must show every AI
 * entry's title and the subscribe line, and a screenshot is taken, each in its own temporary
 * folder (removed when the run ends), so concurrent runs never overwrite one another's. To keep
 * them for people to look at, set BROWSER_VIEW_SCREENSHOTS to a folder: each screenshot is copied
 * there as <page>.png, and its path printed. Without Chromium this fails in CI and is skipped
 * elsewhere.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { access, constants, copyFile, mkdir, readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { after, before, describe, it, type TestContext } from 'node:test';
import { DomUtils, parseDocument } from 'htmlparser2';
import { buildFeeds } from '../../src/build/build-feeds.js';
import { FeedStore } from '../../src/http/feed-store.js';
import { createApp } from '../../src/http/app.js';
import { silentLogger } from '../../src/logger.js';
import { testConfig } from '../helpers/config.js';
import { makeTempDir } from '../helpers/temp-dir.js';

type HtmlDocument = ReturnType<typeof parseDocument>;
type HtmlElement = Parameters<typeof DomUtils.getAttributeValue>[0];

const CONTENT_DIR = new URL('../../content/', import.meta.url).pathname;
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_TIMEOUT_MS = 30_000;
const IN_CI = process.env.CI === 'true';
/** Where to keep a copy of each screenshot after the run, if anywhere. */
const KEEP_SCREENSHOTS = process.env.BROWSER_VIEW_SCREENSHOTS?.trim() || undefined;

/** What Chromium prints to stdout, and how it ended. */
interface ChromiumRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * One headless Chromium run with a fresh profile, bounded by a timeout. Chromium starts helper
 * processes, so it runs in its own process group and the whole group is killed on timeout.
 * Host names other than 127.0.0.1 resolve to nothing: the test never reaches the network (the
 * entries' images show their alt text instead).
 */
async function runChromium(args: readonly string[]): Promise<ChromiumRun> {
  try {
    return await runChromiumOnce(args);
  } catch (error) {
    if (!(error instanceof ChromiumTimeout)) throw error;
    // Once in a CI run, a first headless start hung for the whole timeout where every later one
    // took 1-3 s: one more try, said in the output, and a second hang fails the test.
    console.log(`browser-view: ${error.message}; trying once more. Its stderr ended: ${error.stderrTail}`);
    return runChromiumOnce(args);
  }
}

class ChromiumTimeout extends Error {
  constructor(
    message: string,
    readonly stderrTail: string,
  ) {
    super(message);
  }
}

async function runChromiumOnce(args: readonly string[]): Promise<ChromiumRun> {
  const profile = await makeTempDir('chromium-profile-');
  const child = spawn(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--hide-scrollbars',
      // Page console messages (CSP violations among them) go to stderr, for failure messages.
      '--enable-logging=stderr',
      '--v=0',
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
      `--user-data-dir=${profile}`,
      ...args,
    ],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise<ChromiumRun>((resolve, reject) => {
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      reject(new ChromiumTimeout(`chromium ${args.join(' ')} did not finish within ${CHROMIUM_TIMEOUT_MS} ms`, stderr.slice(-2000)));
    }, CHROMIUM_TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

let chromiumAvailable: Promise<boolean> | undefined;
const hasChromium = () =>
  (chromiumAvailable ??= access(CHROMIUM, constants.X_OK).then(
    () => true,
    () => false,
  ));

/** True when the check must be skipped (outside CI); in CI a missing Chromium fails the test. */
async function missingChromium(t: TestContext): Promise<boolean> {
  if (await hasChromium()) return false;
  const message = `${CHROMIUM} is not installed (Debian package chromium)`;
  if (IN_CI) assert.fail(`${message}; CI must run this check`);
  t.skip(message);
  return true;
}

/** The page's console messages from Chromium's log (without its D-Bus noise), for failure messages. */
function consoleMessages(run: ChromiumRun): string {
  return run.stderr
    .split('\n')
    .filter((line) => line.includes(':CONSOLE'))
    .join('\n');
}

/**
 * How many different byte values the decoded (still filtered) pixel rows of a PNG hold: a blank
 * page gives a handful, a page with text and borders hundreds. Enough to tell them apart without
 * an image library.
 */
function pngByteVariety(png: Buffer): number {
  assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG', 'not a PNG file');
  const data: Buffer[] = [];
  for (let offset = 8; offset < png.length; ) {
    const length = png.readUInt32BE(offset);
    if (png.toString('latin1', offset + 4, offset + 8) === 'IDAT') data.push(png.subarray(offset + 8, offset + 8 + length));
    offset += length + 12;
  }
  return new Set(inflateSync(Buffer.concat(data))).size;
}

const byTag = (root: HtmlDocument | HtmlElement, tag: string): HtmlElement[] => DomUtils.getElementsByTagName(tag, root, true);
const byClass = (root: HtmlDocument | HtmlElement, name: string): HtmlElement[] =>
  DomUtils.findAll((element) => (element.attribs.class ?? '').split(/\s+/).includes(name), [root]);
const text = (element: HtmlElement | undefined): string => (element ? DomUtils.textContent(element).replace(/\s+/g, ' ').trim() : '');

describe('the browser view in headless Chromium', () => {
  let server: http.Server;
  let origin: string;
  let feedsDir: string;
  let aiTitles: string[];
  /** Every path the server was asked for, in order. */
  const requested: string[] = [];

  before(async () => {
    const store = new FeedStore();
    const app = createApp({ store, logger: silentLogger, cacheMaxAgeSeconds: 60 });
    server = http.createServer((request, response) => {
      requested.push(request.url ?? '');
      app(request, response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // The feeds' absolute URLs (self links, where feed.xsl finds feed.css) name this server.
    feedsDir = await makeTempDir('browser-view-feeds-');
    const result = await buildFeeds({ config: testConfig(CONTENT_DIR, feedsDir, { PUBLIC_BASE_URL: origin }), logger: silentLogger });
    store.publish(result, new Date());
    const json = result.files.find((file) => file.name === 'ai.json');
    assert.ok(json, 'the build wrote no ai.json');
    aiTitles = (JSON.parse(readFileSync(path.join(feedsDir, 'ai.json'), 'utf8')) as { items: { title: string }[] }).items.map((item) => item.title);
    assert.ok(aiTitles.length > 0, 'the AI feed has no entries');
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  });

  const PAGES = [
    { file: 'ai.xml', shot: 'ai-xml', transformed: true },
    { file: 'ai.atom', shot: 'ai-atom', transformed: true },
    { file: 'ai.html', shot: 'ai-html', transformed: false },
  ] as const;

  for (const { file, shot, transformed } of PAGES) {
    describe(`/feeds/${file}`, () => {
      it(`shows every AI entry's title and the subscribe line${transformed ? ', rendered by feed.xsl' : ''}`, async (t) => {
        if (await missingChromium(t)) return;
        const url = `${origin}/feeds/${file}`;
        const first = requested.length;
        const run = await runChromium(['--dump-dom', url]);
        assert.equal(run.code, 0, `chromium exited with ${run.code}: ${run.stderr.slice(-2000)}`);
        assert.ok(run.stdout.trim() !== '', `Chromium rendered nothing for ${url}; its console said:\n${consoleMessages(run)}`);
        const page = parseDocument(run.stdout);

        // An HTML page (the XSL output for the feeds), not the XML tree.
        assert.ok(byTag(page, 'h1').length === 1, `no <h1> in the rendered DOM of ${url}:\n${run.stdout.slice(0, 1000)}`);
        const entries = byClass(page, 'entry');
        assert.deepEqual(
          entries.map((entry) => text(byClass(entry, 'entry-title')[0])),
          aiTitles,
        );
        const subscribe = byClass(page, 'subscribe');
        assert.equal(subscribe.length, 1);
        assert.match(text(subscribe[0]), /^Subscribe .*feed reader/);
        assert.equal(text(byTag(subscribe[0]!, 'code')[0]), `${origin}/feeds/${file.replace(/\.html$/, '.xml')}`);

        // What Chromium fetched: the stylesheets were allowed (CSP) and found.
        const fetched = requested.slice(first);
        if (transformed) assert.ok(fetched.includes('/feeds/feed.xsl'), `feed.xsl was not fetched: ${fetched.join(', ')}; console:\n${consoleMessages(run)}`);
        assert.ok(fetched.includes('/feeds/feed.css'), `feed.css was not fetched: ${fetched.join(', ')}; console:\n${consoleMessages(run)}`);
        const [stylesheet] = byTag(page, 'link').filter((link) => DomUtils.getAttributeValue(link, 'rel') === 'stylesheet');
        assert.equal(new URL(DomUtils.getAttributeValue(stylesheet!, 'href') ?? '', url).href, `${origin}/feeds/feed.css`);
      });

      it('takes a screenshot of the page', async (t) => {
        if (await missingChromium(t)) return;
        const png = path.join(await makeTempDir(`browser-view-${shot}-`), `${shot}.png`);
        const run = await runChromium([`--screenshot=${png}`, '--window-size=1280,1800', `${origin}/feeds/${file}`]);
        assert.equal(run.code, 0, `chromium exited with ${run.code}: ${run.stderr.slice(-2000)}`);
        const bytes = await readFile(png);
        assert.ok(bytes.length > 10 * 1024, `the screenshot is only ${bytes.length} bytes`);
        // For people to look at after the run, also when the next check fails.
        if (KEEP_SCREENSHOTS) {
          await mkdir(KEEP_SCREENSHOTS, { recursive: true });
          await copyFile(png, path.join(KEEP_SCREENSHOTS, `${shot}.png`));
          t.diagnostic(`screenshot kept as ${path.join(KEEP_SCREENSHOTS, `${shot}.png`)}`);
        }
        // A blank page (feed.xsl blocked, say) compresses to just over 10 KB at this size.
        assert.ok(pngByteVariety(bytes) > 32, `the screenshot of /feeds/${file} is blank; console:\n${consoleMessages(run)}`);
      });
    });
  }
});
