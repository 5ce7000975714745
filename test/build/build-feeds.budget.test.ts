/**
 * The byte budget through the real build (FEED_MAX_BYTES): articles with large bodies, generated
 * here, built to a feeds folder and read back with parsers nobody on this project wrote
 * (fast-xml-parser for RSS and Atom, JSON.parse, htmlparser2 for the HTML pages).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { DomUtils, parseDocument } from 'htmlparser2';
import { buildFeeds, createBuildCache, type BuildResult } from '../../src/build/build-feeds.js';
import { createLogger, silentLogger } from '../../src/logger.js';
import { articleText, frontMatter } from '../helpers/articles.js';
import { testConfig } from '../helpers/config.js';
import { readFeedsFolder } from '../helpers/feeds-folder.js';
import { mulberry32 } from '../helpers/random.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { parseXmlDocument, textOf, type XmlNode } from '../helpers/xml.js';

const NOW = new Date('2025-06-01T00:00:00Z');
const clock = () => NOW;
const BASE = 'https://feeds.example.org/feeds/';
const BUDGET = 64 * 1024;
const MAX_ITEMS = 10;
const SETTINGS = { FEED_MAX_ITEMS: String(MAX_ITEMS), FEED_MAX_BYTES: String(BUDGET) };

interface Generated {
  readonly file: string;
  readonly id: string;
  readonly topics: readonly string[];
}

/** A Markdown body of about `bytes` bytes. */
function body(label: string, bytes: number): string {
  const paragraph = `A paragraph of ${label}, long enough to matter: ${'syndication & budgets <b>bold</b> '.repeat(8)}`;
  return Array.from({ length: Math.ceil(bytes / paragraph.length) }, (_, index) => `${index}. ${paragraph}`).join('\n\n');
}

/** `count` articles an hour apart, with bodies of 4 to 28 KB, about AI or Space or both. */
async function writeArticles(dir: string, count: number, seed: number): Promise<Generated[]> {
  const random = mulberry32(seed);
  const generated: Generated[] = [];
  for (let n = 1; n <= count; n++) {
    const topics = [['AI'], ['Space'], ['AI', 'Space']][n % 3]!;
    const id = `https://news.example.com/budget/${n}`;
    const file = `article-${String(n).padStart(3, '0')}.md`;
    const fields = frontMatter({ title: `Article ${n}`, sourceUrl: id, topics, publishedDateTime: new Date(Date.UTC(2025, 0, 1, n)).toISOString() });
    await writeFile(path.join(dir, file), articleText(fields, body(`article ${n}`, 4000 + Math.floor(random() * 24_000))));
    generated.push({ file, id, topics });
  }
  return generated;
}

/** A feed document as read back: the ids of its entries and its link to the next older page. */
interface Parsed {
  readonly ids: readonly string[];
  readonly prevArchive?: string;
}

const asArray = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

function parseRss(text: string): Parsed {
  const channel = parseXmlDocument(text).rss.channel as XmlNode;
  const links = asArray(channel['atom:link'] as XmlNode[]);
  return {
    ids: asArray(channel.item as XmlNode[]).map((item) => textOf(item.guid)!),
    prevArchive: links.find((link) => link['@_rel'] === 'prev-archive')?.['@_href'],
  };
}

function parseAtom(text: string): Parsed {
  const feed = parseXmlDocument(text).feed as XmlNode;
  return {
    ids: asArray(feed.entry as XmlNode[]).map((entry) => textOf(entry.id)!),
    prevArchive: asArray(feed.link as XmlNode[]).find((link) => link['@_rel'] === 'prev-archive')?.['@_href'],
  };
}

function parseJson(text: string): Parsed {
  const feed = JSON.parse(text) as { items: { id: string }[]; next_url?: string };
  return { ids: feed.items.map((item) => item.id), prevArchive: feed.next_url };
}

/** The HTML page's entries, by the links of their titles (the ids of these articles are their links). */
function htmlIds(text: string): string[] {
  const articles = DomUtils.findAll((element) => element.name === 'article', parseDocument(text).children);
  return articles.map((article) => DomUtils.findOne((element) => element.name === 'a', article.children)!.attribs.href!);
}

const FORMATS = [
  ['xml', parseRss],
  ['atom', parseAtom],
  ['json', parseJson],
] as const;

/** A document's path (`ai`, `archive/ai/3`) from its URL in a given format. */
function pathOf(url: string, extension: string): string {
  assert.ok(url.startsWith(BASE) && url.endsWith(`.${extension}`), url);
  return decodeURIComponent(url.slice(BASE.length, -extension.length - 1));
}

/**
 * Follows prev-archive from a subscription document in each format: the documents in order
 * (subscription first), after checking that every format gives the same entries and links.
 */
function chain(files: ReadonlyMap<string, Buffer>, feedPath: string): { path: string; ids: readonly string[] }[] {
  const documents: { path: string; ids: readonly string[] }[] = [];
  let current: string | undefined = feedPath;
  while (current !== undefined) {
    const here: string = current;
    const parsed = FORMATS.map(([extension, parse]) => {
      const bytes = files.get(`${here}.${extension}`);
      assert.ok(bytes, `no ${here}.${extension}`);
      const document = parse(bytes.toString('utf8'));
      return { ids: document.ids, prevArchive: document.prevArchive === undefined ? undefined : pathOf(document.prevArchive, extension) };
    });
    for (const other of parsed.slice(1)) assert.deepEqual(other, parsed[0], `${here}: RSS, Atom and JSON Feed hold the same entries and links`);
    assert.deepEqual(htmlIds(files.get(`${here}.html`)!.toString('utf8')), parsed[0]!.ids, `${here}.html holds the same entries`);
    documents.push({ path: here, ids: parsed[0]!.ids });
    current = parsed[0]!.prevArchive;
    assert.ok(documents.length < 1000, 'prev-archive links go round in a loop');
  }
  return documents;
}

/** Every article of `expected` once on the archive pages or, when on none, in the subscription document. */
function assertReachableOnce(documents: ReturnType<typeof chain>, expected: readonly string[]): void {
  const [subscription, ...pages] = documents;
  const onPages = pages.flatMap((page) => page.ids);
  assert.equal(new Set(onPages).size, onPages.length, `${subscription!.path}: an article is on two archive pages`);
  assert.deepEqual([...new Set([...subscription!.ids, ...onPages])].sort(), [...expected].sort(), `${subscription!.path}: reachable articles`);
}

const feedFiles = (files: ReadonlyMap<string, Buffer>) => [...files].filter(([name]) => /\.(xml|atom|json)$/.test(name));

/** Writes content with `fill`, builds it once with SETTINGS and `env`, and reads the feeds folder back, with the log's warnings. */
async function buildOnce<T>(name: string, env: Record<string, string>, fill: (contentDir: string) => Promise<T>) {
  const contentDir = await makeTempDir(`budget-${name}-content-`);
  const feedsDir = path.join(await makeTempDir(`budget-${name}-feeds-`), 'feeds');
  const written = await fill(contentDir);
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', write: (line) => lines.push(line), clock });
  const result = await buildFeeds({ config: testConfig(contentDir, feedsDir, { ...SETTINGS, ...env }), logger, clock });
  const warnings = lines.map((line) => JSON.parse(line) as { level: string; msg: string; feed?: string; file?: string }).filter((line) => line.level === 'warn');
  return { written, result, warnings, contentDir, files: await readFeedsFolder(feedsDir) };
}

/** Builds 30 articles (seed 8) with `env` before the tests of the describe it is called in. */
function buildBefore(name: string, env: Record<string, string>) {
  const built = {} as Awaited<ReturnType<typeof buildOnce<Generated[]>>>;
  before(async () => {
    Object.assign(built, await buildOnce(name, env, (dir) => writeArticles(dir, 30, 8)));
  });
  return built;
}

describe('buildFeeds with FEED_MAX_BYTES: large articles, archives on', () => {
  let generated: Generated[];
  let files: Map<string, Buffer>;
  let result: BuildResult;

  before(async () => {
    ({ written: generated, files, result } = await buildOnce('on', {}, (dir) => writeArticles(dir, 60, 7)));
  });

  it('writes no RSS, Atom or JSON Feed file larger than the budget', () => {
    assert.ok(feedFiles(files).length > 30);
    for (const [name, bytes] of feedFiles(files)) assert.ok(bytes.length <= BUDGET, `${name}: ${bytes.length} bytes`);
  });

  it('cuts subscription documents short of FEED_MAX_ITEMS where the entries would not fit', () => {
    const all = parseAtom(files.get('all.atom')!.toString('utf8'));
    assert.ok(all.ids.length > 0 && all.ids.length < MAX_ITEMS, `${all.ids.length} entries`);
    assert.deepEqual(all.ids, generated.slice(-all.ids.length).reverse().map((article) => article.id), 'the newest, newest first');
  });

  it('reaches every published article exactly once by following prev-archive from each subscription feed', () => {
    const all = chain(files, 'all');
    assertReachableOnce(all, generated.map((article) => article.id));
    // More pages than FEED_MAX_ITEMS alone makes of 60 articles (six).
    assert.ok(all.length - 1 > 6, `${all.length - 1} pages`);
    for (const topic of ['AI', 'Space']) {
      assertReachableOnce(chain(files, topic.toLowerCase()), generated.filter((article) => article.topics.includes(topic)).map((article) => article.id));
    }
  });

  it('reports how many subscription feeds the budget cut short', () => {
    const { overBudget } = result.report;
    assert.ok(overBudget, 'no overBudget in the report');
    assert.equal(overBudget.leftOut, 0);
    assert.ok(overBudget.feeds >= 3, `${overBudget.feeds} feeds`);
    assert.deepEqual(overBudget.oversized, []);
  });
});

describe('buildFeeds with FEED_MAX_BYTES: archives off', () => {
  const built = buildBefore('off', { FEED_ARCHIVES: 'false' });

  it('keeps every subscription document within the budget, holding the newest entries that fit, and writes no archive pages', () => {
    assert.deepEqual([...built.files.keys()].filter((name) => name.startsWith('archive/')), []);
    for (const [name, bytes] of feedFiles(built.files)) assert.ok(bytes.length <= BUDGET, `${name}: ${bytes.length} bytes`);
    const all = parseJson(built.files.get('all.json')!.toString('utf8'));
    assert.ok(all.ids.length < MAX_ITEMS, `${all.ids.length} entries`);
    assert.deepEqual(all.ids, built.written.slice(-all.ids.length).reverse().map((article) => article.id));
  });

  it('reports the entries left out and warns naming each feed that left some out', () => {
    const { overBudget } = built.result.report;
    assert.ok(overBudget, 'no overBudget in the report');
    assert.equal(overBudget.leftOut, overBudget.entries);
    const all = parseJson(built.files.get('all.json')!.toString('utf8'));
    assert.ok(overBudget.entries >= MAX_ITEMS - all.ids.length);
    assert.ok(
      built.warnings.some((line) => line.feed === 'all'),
      `no warning names the all feed: ${JSON.stringify(built.warnings)}`,
    );
    assert.equal(built.warnings.length, overBudget.feeds);
  });

  it('says so in the output of npm run build:feeds, with a warning naming each feed on stderr', async () => {
    const out = path.join(await makeTempDir('budget-off-cli-'), 'feeds');
    const env = { PATH: process.env.PATH, CONTENT_DIR: built.contentDir, FEEDS_DIR: out, STATE_DIR: `${out}.state`, FEED_ARCHIVES: 'false', ...SETTINGS };
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli/build-feeds.ts'], { env, timeout: 60_000, encoding: 'utf8' });
    assert.match(stdout, new RegExp(`Kept ${built.result.report.overBudget!.feeds} feed\\(s\\) within FEED_MAX_BYTES \\(${BUDGET} bytes\\): ${built.result.report.overBudget!.entries} of their newest entries were left out`));
    assert.match(stderr, new RegExp(`^Warning: ${out}/all: `, 'm'));
  });
});

describe('buildFeeds with FEED_MAX_BYTES: archives for topic feeds only (FEED_ARCHIVES=topics)', () => {
  const built = buildBefore('topics', { FEED_ARCHIVES: 'topics' });

  it('keeps every topic\'s articles reachable through its pages, and writes pages for no other feed', () => {
    for (const topic of ['AI', 'Space']) {
      assertReachableOnce(chain(built.files, topic.toLowerCase()), built.written.filter((article) => article.topics.includes(topic)).map((article) => article.id));
    }
    assert.deepEqual([...new Set([...built.files.keys()].filter((name) => name.startsWith('archive/')).map((name) => name.split('/')[1]))].sort(), ['ai', 'space']);
    assert.equal(parseAtom(built.files.get('all.atom')!.toString('utf8')).prevArchive, undefined);
  });

  it('reports the entries moved and those left out apart, and warns only for the feeds that left some out', () => {
    const { overBudget } = built.result.report;
    assert.ok(overBudget, 'no overBudget in the report');
    const all = parseJson(built.files.get('all.json')!.toString('utf8'));
    assert.ok(overBudget.leftOut >= MAX_ITEMS - all.ids.length, `${overBudget.leftOut} left out`);
    assert.ok(overBudget.leftOut < overBudget.entries, `${overBudget.leftOut} of ${overBudget.entries}`);
    const warned = built.warnings.map((line) => line.feed).filter((feed) => feed !== undefined);
    assert.ok(warned.includes('all'), `no warning names the all feed: ${JSON.stringify(built.warnings)}`);
    assert.deepEqual(warned.filter((feed) => feed === 'ai' || feed === 'space'), [], 'a topic feed moved its entries to pages');
    assert.match(built.warnings.find((line) => line.feed === 'all')!.msg, /with archive pages for all \(FEED_ARCHIVES\) they would be on archive pages$/);
  });

  it('says both in the output of npm run build:feeds', async () => {
    const out = path.join(await makeTempDir('budget-topics-cli-'), 'feeds');
    const env = { PATH: process.env.PATH, CONTENT_DIR: built.contentDir, FEEDS_DIR: out, STATE_DIR: `${out}.state`, FEED_ARCHIVES: 'topics', ...SETTINGS };
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli/build-feeds.ts'], { env, timeout: 60_000, encoding: 'utf8' });
    const { entries, leftOut } = built.result.report.overBudget!;
    assert.match(stdout, new RegExp(`: ${entries - leftOut} of their newest entries are on archive pages instead, and ${leftOut} were left out \\(feeds without archive pages\\)\\.`));
    assert.match(stdout, /so every article of each topic feed stays reachable\.$/m);
  });
});

describe('buildFeeds with FEED_MAX_BYTES: an article larger than the budget', () => {
  let files: Map<string, Buffer>;
  let result: BuildResult;
  let warnings: Awaited<ReturnType<typeof buildOnce>>['warnings'];

  before(async () => {
    ({ files, result, warnings } = await buildOnce('huge', { MAX_FILE_BYTES: String(4 * BUDGET) }, async (dir) => {
      await writeArticles(dir, 12, 9);
      const huge = frontMatter({ title: 'Huge', sourceUrl: 'https://news.example.com/huge', topics: ['AI'], publishedDateTime: '2025-01-01T05:30:00Z' });
      await writeFile(path.join(dir, 'huge.md'), articleText(huge, body('the huge article', 2 * BUDGET)));
    }));
  });

  it('publishes it alone in each document that holds it, and every other document stays within the budget', () => {
    const holding = feedFiles(files).filter(([, bytes]) => bytes.toString('utf8').includes('https://news.example.com/huge'));
    assert.ok(holding.length >= 3, holding.map(([name]) => name).join(', '));
    for (const [name, bytes] of holding) assert.ok(bytes.length > BUDGET, `${name} is within the budget`);
    for (const [name] of holding.filter(([name]) => name.endsWith('.atom'))) assert.equal(parseAtom(files.get(name)!.toString('utf8')).ids.length, 1, name);
    for (const [name, bytes] of feedFiles(files)) if (!holding.some(([held]) => held === name)) assert.ok(bytes.length <= BUDGET, `${name}: ${bytes.length} bytes`);
  });

  it('warns naming the file, and lists it in the report', () => {
    assert.deepEqual(result.report.overBudget?.oversized, ['huge.md']);
    assert.deepEqual(
      warnings.map((line) => line.file),
      ['huge.md'],
    );
  });

  it('keeps every article reachable, the huge one on an archive page of its own', () => {
    const ids = [...Array.from({ length: 12 }, (_, index) => `https://news.example.com/budget/${index + 1}`), 'https://news.example.com/huge'];
    const all = chain(files, 'all');
    assertReachableOnce(all, ids);
    assert.deepEqual(all.slice(1).filter((page) => page.ids.includes('https://news.example.com/huge')).map((page) => page.ids), [['https://news.example.com/huge']]);
  });
});

describe('buildFeeds with FEED_MAX_BYTES: builds that follow', () => {
  it('cuts anew when only FEED_MAX_BYTES changed (the build cache and the last build are stamped with it)', async () => {
    const contentDir = await makeTempDir('budget-stamp-content-');
    const feedsDir = path.join(await makeTempDir('budget-stamp-feeds-'), 'feeds');
    await writeArticles(contentDir, 20, 10);
    await buildFeeds({ config: testConfig(contentDir, feedsDir, { FEED_MAX_ITEMS: String(MAX_ITEMS) }), logger: silentLogger, clock });
    const roomy = await readFeedsFolder(feedsDir);
    assert.ok(feedFiles(roomy).some(([, bytes]) => bytes.length > BUDGET), 'the first build needs no cut');
    await buildFeeds({ config: testConfig(contentDir, feedsDir, SETTINGS), logger: silentLogger, clock });
    for (const [name, bytes] of feedFiles(await readFeedsFolder(feedsDir))) assert.ok(bytes.length <= BUDGET, `${name}: ${bytes.length} bytes`);
  });

  it('leaves whole archive pages as they were when newer articles come, within the budget, and still reaches every article', async () => {
    const contentDir = await makeTempDir('budget-grow-content-');
    const feedsDir = path.join(await makeTempDir('budget-grow-feeds-'), 'feeds');
    const config = testConfig(contentDir, feedsDir, SETTINGS);
    const cache = createBuildCache(config.stateDir);
    const generated = await writeArticles(contentDir, 30, 11);
    await buildFeeds({ config, logger: silentLogger, clock, cache, saveCache: false });
    const before = await readFeedsFolder(feedsDir);
    const oldPages = chain(before, 'all').slice(1);
    // Ten newer articles (the same generator gives the first 30 the same bytes).
    const grown = await writeArticles(contentDir, 40, 11);
    assert.deepEqual(grown.slice(0, 30), generated);
    await buildFeeds({ config, logger: silentLogger, clock, cache, saveCache: false });
    const after = await readFeedsFolder(feedsDir);
    for (const [name, bytes] of feedFiles(after)) assert.ok(bytes.length <= BUDGET, `${name}: ${bytes.length} bytes`);
    const newChain = chain(after, 'all');
    assertReachableOnce(newChain, grown.map((article) => article.id));
    assert.ok(newChain.length - 1 > oldPages.length, 'new pages');
    // Every page but the newest of before holds the same entries, with the same bytes.
    for (const page of oldPages.slice(1)) {
      assert.deepEqual(newChain.find((document) => document.path === page.path)?.ids, page.ids, page.path);
      for (const extension of ['xml', 'atom', 'json']) assert.ok(after.get(`${page.path}.${extension}`)!.equals(before.get(`${page.path}.${extension}`)!), `${page.path}.${extension}`);
    }
  });
});
