import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { MAX_SLUG_BYTES } from '../../src/feeds/topics.js';
import { buildFeeds, type BuildResult } from '../../src/build/build-feeds.js';
import { createLogger } from '../../src/logger.js';
import { articleText, frontMatter } from '../helpers/articles.js';
import { testConfig } from '../helpers/config.js';
import { readFeedsFolder } from '../helpers/feeds-folder.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { parseXmlDocument } from '../helpers/xml.js';

const NOW = new Date('2025-01-01T00:00:00Z');
const clock = () => NOW;

/** Values that must never reach a feed or a log line. */
const SECRETS = ['c2VjcmV0LXZhbHVlLXRoYXQtbXVzdC1uZXZlci1sZWFr', 'SECRET-IN-A-DRAFT', 'SECRET-IN-A-BAD-FILE', 'SECRET-IN-BROKEN-YAML'];

const ARTICLES: Record<string, string> = {
  'ai-one.md': articleText(frontMatter({ title: 'AI one', sourceUrl: 'https://news.example.com/ai-one', publishedDateTime: '2024-05-01T10:00:00Z' })),
  'ai-and-space.md': articleText(
    frontMatter({ title: 'AI and space', sourceUrl: 'https://news.example.com/ai-space', topics: ['AI', 'Space'], publishedDateTime: '2024-06-01T10:00:00Z' }),
  ),
  'draft.md': articleText(frontMatter({ title: 'A draft', sourceUrl: 'https://news.example.com/draft', published: false, secured: 'SECRET-IN-A-DRAFT' })),
  'future.md': articleText(frontMatter({ title: 'Tomorrow', sourceUrl: 'https://news.example.com/future', publishedDateTime: '2099-01-01T00:00:00Z' })),
  'invalid.md': articleText(frontMatter({ title: 'Bad URL', sourceUrl: 'not a url', secured: 'SECRET-IN-A-BAD-FILE' })),
  'broken-yaml.md': '---\ntitle: Broken\nsecured: "SECRET-IN-BROKEN-YAML\n  : [\n---\n',
};

async function writeContent(dir: string, files: Record<string, string>): Promise<void> {
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
}

describe('buildFeeds: one build over a content folder', () => {
  let contentDir: string;
  let feedsDir: string;
  let lines: string[];
  let first: BuildResult;

  before(async () => {
    contentDir = await makeTempDir('build-content-');
    feedsDir = path.join(await makeTempDir('build-feeds-'), 'feeds');
    await writeContent(contentDir, ARTICLES);
    lines = [];
    const logger = createLogger({ level: 'debug', write: (line) => lines.push(line), clock });
    first = await buildFeeds({ config: testConfig(contentDir, feedsDir), logger, clock, keepBody: () => true });
  });

  it('counts what it read, published, held back and skipped', () => {
    const { report } = first;
    assert.equal(report.filesRead, 6);
    assert.equal(report.published, 2);
    assert.equal(report.drafts, 1);
    assert.equal(report.scheduled, 1);
    assert.equal(report.nextScheduled?.toISOString(), '2099-01-01T00:00:00.000Z');
    assert.equal(report.topics, 2);
    // all, ai, space, providers/news.example.com, categories/news
    assert.equal(report.feeds, 5);
    assert.equal(report.skipped, 2);
    assert.equal(report.startedAt.getTime(), NOW.getTime());
  });

  it('reports each bad file with its name and code', () => {
    assert.deepEqual(
      first.report.problems.map((problem) => [problem.file, problem.code]).sort(),
      [
        ['broken-yaml.md', 'ARTICLE_UNREADABLE'],
        ['invalid.md', 'ARTICLE_INVALID'],
      ],
    );
    const invalid = first.report.problems.find((problem) => problem.file === 'invalid.md');
    assert.deepEqual(
      invalid?.issues.map((issue) => issue.path),
      ['sourceUrl'],
    );
  });

  it('returns RSS, Atom, JSON and HTML per feed (all, topics, providers, categories), the browser view, the icon and logo and the indexes', () => {
    const feeds = ['ai', 'all', 'categories/news', 'providers/news.example.com', 'space'];
    const expected = [...feeds.flatMap((feed) => ['xml', 'atom', 'json', 'html'].map((extension) => `${feed}.${extension}`)), 'feed.css', 'feed.xsl', 'icon.png', 'logo.png', 'index.html', 'index.opml'];
    assert.deepEqual(first.files.map((file) => file.name).sort(), expected.sort());
    assert.deepEqual([...first.report.written].sort(), first.files.map((file) => file.name).sort());
    assert.equal(first.report.unchanged, 0);
  });

  it('writes exactly the returned files, byte for byte', async () => {
    const onDisk = await readFeedsFolder(feedsDir);
    assert.deepEqual([...onDisk.keys()], first.files.map((file) => file.name).sort());
    for (const file of first.files) {
      assert.ok(file.body && onDisk.get(file.name)?.equals(file.body), `${file.name} on disk equals the returned body`);
    }
  });

  it("gives each returned file the mtime it has on disk as 'modified'", async () => {
    for (const file of first.files) {
      assert.equal(file.modified.getTime(), (await stat(path.join(feedsDir, file.name))).mtime.getTime(), file.name);
    }
  });

  it('publishes the published articles and leaves out drafts, future and bad files', () => {
    const ai = parseXmlDocument(first.files.find((file) => file.name === 'ai.xml')!.body!.toString('utf8'));
    const titles = (ai.rss.channel.item as { title: string }[]).map((item) => item.title);
    assert.deepEqual(titles, ['AI and space', 'AI one']);
    const all = JSON.parse(first.files.find((file) => file.name === 'all.json')!.body!.toString('utf8')) as { items: { title: string }[] };
    assert.deepEqual(
      all.items.map((item) => item.title),
      ['AI and space', 'AI one'],
    );
  });

  it('logs one warn line per problem, naming the file', () => {
    const warnings = lines.map((line) => JSON.parse(line) as { level: string; msg: string; file?: string; code?: string }).filter((entry) => entry.level === 'warn');
    assert.equal(warnings.length, first.report.problems.length);
    assert.deepEqual(warnings.map((entry) => entry.file).sort(), ['broken-yaml.md', 'invalid.md']);
    for (const entry of warnings) assert.ok(entry.msg.includes(`${entry.file}`), entry.msg);
  });

  it('logs each entry as one JSON line', () => {
    for (const line of lines) {
      assert.ok(line.endsWith('\n'));
      assert.equal(line.indexOf('\n'), line.length - 1);
    }
  });

  it('never puts a secured value into a log line, a problem or an output file', () => {
    const everything = [...lines, JSON.stringify(first.report.problems), ...first.files.map((file) => file.body!.toString('utf8'))];
    for (const secret of SECRETS) {
      for (const text of everything) assert.ok(!text.includes(secret), `${secret} leaked`);
    }
  });

  it('writes nothing on a second build of the same content', async () => {
    const bytesBefore = await readFeedsFolder(feedsDir);
    const mtimes = await Promise.all(first.files.map(async (file) => (await stat(path.join(feedsDir, file.name))).mtime.getTime()));
    const second = await buildFeeds({ config: testConfig(contentDir, feedsDir), logger: createLogger({ level: 'silent' }), clock, keepBody: () => true });
    assert.deepEqual(second.report.written, []);
    assert.deepEqual(second.report.removed, []);
    assert.equal(second.report.unchanged, first.files.length);
    assert.deepEqual(second.files.map((file) => file.body), first.files.map((file) => file.body));
    assert.deepEqual(await readFeedsFolder(feedsDir), bytesBefore);
    const mtimesAfter = await Promise.all(first.files.map(async (file) => (await stat(path.join(feedsDir, file.name))).mtime.getTime()));
    assert.deepEqual(mtimesAfter, mtimes);
  });
});

describe('buildFeeds: the content changes between builds', () => {
  it('publishes a future article once its date has passed, and removes feeds of topics that are gone once their notices have run out', async () => {
    const contentDir = await makeTempDir('build-content-');
    const feedsDir = await makeTempDir('build-feeds-');
    await writeContent(contentDir, {
      'ai.md': articleText(frontMatter({ sourceUrl: 'https://news.example.com/ai', topics: ['AI'] })),
      'space.md': articleText(frontMatter({ sourceUrl: 'https://news.example.com/space', topics: ['Space'], publishedDateTime: '2025-06-01T00:00:00Z' })),
    });
    const config = testConfig(contentDir, feedsDir);
    const logger = createLogger({ level: 'silent' });

    const early = await buildFeeds({ config, logger, clock: () => new Date('2025-01-01T00:00:00Z') });
    assert.equal(early.report.scheduled, 1);
    assert.equal(
      early.files.some((file) => file.name === 'space.xml'),
      false,
    );

    const later = await buildFeeds({ config, logger, clock: () => new Date('2025-07-01T00:00:00Z') });
    assert.equal(later.report.scheduled, 0);
    assert.ok(later.report.written.includes('space.xml'));

    await writeFile(path.join(contentDir, 'space.md'), articleText(frontMatter({ sourceUrl: 'https://news.example.com/space', topics: ['AI'] })));
    const moved = await buildFeeds({ config, logger, clock: () => new Date('2025-07-01T00:00:00Z') });
    // Its only article went to AI: the Space feed stays, empty but for the notice of that (RFC 6721).
    assert.deepEqual(moved.report.removed, []);
    const space = (await readFeedsFolder(feedsDir)).get('space.atom')!.toString('utf8');
    assert.match(space, /<at:deleted-entry ref="https:\/\/news\.example\.com\/space" when="2025-07-01T00:00:00\.000Z"\/>/);
    assert.doesNotMatch(space, /<entry>/);

    const last = await buildFeeds({ config, logger, clock: () => new Date(Date.UTC(2025, 6, 1 + config.deletedEntryDays)) });
    assert.deepEqual([...last.report.removed].sort(), ['space.atom', 'space.html', 'space.json', 'space.xml']);
    assert.deepEqual([...(await readFeedsFolder(feedsDir)).keys()], last.files.map((file) => file.name).sort());
  });
});

describe('buildFeeds: feed names as long as an article may give them', () => {
  it(`writes and rewrites the feeds of a topic, a category and a provider whose slugs take MAX_SLUG_BYTES (${MAX_SLUG_BYTES})`, async () => {
    const contentDir = await makeTempDir('build-content-');
    const feedsDir = await makeTempDir('build-feeds-');
    const topic = 'c'.repeat(MAX_SLUG_BYTES);
    const cjkTopic = '人'.repeat(Math.floor(MAX_SLUG_BYTES / 3)); // 3 bytes of UTF-8 each
    const category = 'b'.repeat(MAX_SLUG_BYTES);
    const domain = `${'d'.repeat(63)}.${'e'.repeat(63)}.${'f'.repeat(60)}.${'g'.repeat(MAX_SLUG_BYTES - 193)}.com`;
    assert.deepEqual([topic, cjkTopic, category, domain].map((name) => Buffer.byteLength(name)), [200, 198, 200, 200]);
    const article = (index: number, title: string) =>
      articleText(frontMatter({ title, sourceUrl: `https://news.example.com/long/${index}`, publishedDateTime: `2024-05-0${index}T10:00:00Z`, topics: ['AI', topic, cjkTopic], category, provider: { name: 'Long', domain } }));
    await writeContent(contentDir, { 'one.md': article(1, 'One'), 'two.md': article(2, 'Two'), 'three.md': article(3, 'Three') });
    // One item a feed: the older articles go to archive pages, in folders of those names.
    const config = testConfig(contentDir, feedsDir, { FEED_MAX_ITEMS: '1' });
    const logger = createLogger({ level: 'silent' });
    const first = await buildFeeds({ config, logger, clock });
    assert.deepEqual(first.report.problems, []);
    const expected = [topic, cjkTopic, `categories/${category}`, `providers/${domain}`].flatMap((feed) => [`${feed}.atom`, `${feed}.html`, `archive/${feed}/1.atom`]);
    for (const name of expected) assert.ok(first.report.written.includes(name), `${name.slice(0, 40)}… was not written`);
    // Every file replaced (the old one kept as a backup until the build is complete).
    await writeContent(contentDir, { 'three.md': article(3, 'Three, corrected') });
    const second = await buildFeeds({ config, logger, clock });
    assert.ok(second.report.written.includes(`${topic}.atom`));
    assert.match(await readFile(path.join(feedsDir, `${topic}.atom`), 'utf8'), /Three, corrected/);
    assert.deepEqual([...(await readFeedsFolder(feedsDir)).keys()], second.files.map((file) => file.name).sort());
  });
});

describe('buildFeeds: articles without an excerpt keep their secured value out', () => {
  /**
   * No article here has an excerpt, so whatever stands in for it (the body, the title) is what a
   * feed carries. Each `secured` value is the front matter's last field, right above the body, in
   * a different YAML form; each body carries a public marker, so the test can tell it was published.
   */
  const FRONT = (slug: string) => `title: No excerpt ${slug}\npublishedDateTime: 2024-07-01T10:00:00Z\nsourceUrl: https://news.example.com/no-excerpt/${slug}`;
  const NO_EXCERPT: Record<string, { text: string; secrets: readonly string[]; body?: string }> = {
    'plain.md': {
      text: articleText(frontMatter({ title: 'No excerpt plain', sourceUrl: 'https://news.example.com/no-excerpt/plain', excerpt: undefined, secured: 'SECRET-NEXT-TO-THE-BODY-7f3a' }), 'PUBLIC-BODY-plain: the text readers get.\n'),
      secrets: ['SECRET-NEXT-TO-THE-BODY-7f3a'],
      body: 'PUBLIC-BODY-plain',
    },
    'empty-body.md': {
      text: articleText(frontMatter({ title: 'No excerpt empty', sourceUrl: 'https://news.example.com/no-excerpt/empty', excerpt: undefined, secured: 'SECRET-WITH-NO-BODY-c91e' })),
      secrets: ['SECRET-WITH-NO-BODY-c91e'],
    },
    'block.md': {
      text: `---\n${FRONT('block')}\nsecured: |\n  SECRET-BLOCK-LINE-ONE-5d20\n  SECRET-BLOCK-LINE-TWO-0b6f\n---\nPUBLIC-BODY-block right under the block.\n`,
      secrets: ['SECRET-BLOCK-LINE-ONE-5d20', 'SECRET-BLOCK-LINE-TWO-0b6f'],
      body: 'PUBLIC-BODY-block',
    },
    'nested.md': {
      text: `---\n${FRONT('nested')}\nsecured:\n  token: SECRET-NESTED-TOKEN-42aa\n  parts: [SECRET-NESTED-PART-e7c4]\n---\n\nPUBLIC-BODY-nested after a blank line.\n`,
      secrets: ['SECRET-NESTED-TOKEN-42aa', 'SECRET-NESTED-PART-e7c4'],
      body: 'PUBLIC-BODY-nested',
    },
  };

  /** A fresh content folder of the articles above, built once; the build's log lines, report and folders. */
  async function buildWithoutExcerpts() {
    const contentDir = await makeTempDir('no-excerpt-content-');
    const feedsDir = path.join(await makeTempDir('no-excerpt-feeds-'), 'feeds');
    await writeContent(contentDir, Object.fromEntries(Object.entries(NO_EXCERPT).map(([name, { text }]) => [name, text])));
    const lines: string[] = [];
    const config = testConfig(contentDir, feedsDir);
    const result = await buildFeeds({ config, logger: createLogger({ level: 'debug', write: (line) => lines.push(line), clock }), clock });
    return { result, lines, feedsDir, stateDir: config.stateDir };
  }

  it('publishes every one of them, the body as content, and the title where there is no body', async () => {
    const { result, feedsDir } = await buildWithoutExcerpts();
    assert.deepEqual(result.report.problems, []);
    const items = (JSON.parse(await readFile(path.join(feedsDir, 'all.json'), 'utf8')) as { items: { title: string; summary?: string; content_html?: string; content_text?: string }[] }).items;
    assert.equal(items.length, Object.keys(NO_EXCERPT).length);
    for (const item of items) assert.equal(item.summary, undefined, `${item.title} has no summary`);
    for (const { body } of Object.values(NO_EXCERPT)) if (body) assert.ok(items.some((item) => item.content_html?.includes(body)), `${body} is published`);
    assert.deepEqual(items.filter((item) => item.content_html === undefined).map((item) => [item.title, item.content_text]), [['No excerpt empty', 'No excerpt empty']]);
  });

  it('puts no secured value in any written file, the state, a log line or the report', async () => {
    const { result, lines, feedsDir, stateDir } = await buildWithoutExcerpts();
    const written = [...(await readFeedsFolder(feedsDir)), ...(await readFeedsFolder(stateDir))].map(([name, bytes]) => [name, bytes.toString('utf8')] as const);
    const places = [...written, ...lines.map((line, index) => [`log line ${index + 1}`, line] as const), ['the report', JSON.stringify(result.report)] as const];
    const leaks = Object.values(NO_EXCERPT)
      .flatMap(({ secrets }) => secrets)
      .flatMap((secret) => places.filter(([, text]) => text.includes(secret)).map(([where]) => `${secret} in ${where}`));
    assert.ok(written.length > 10, 'the feeds and the state were written');
    assert.deepEqual(leaks, []);
  });
});
