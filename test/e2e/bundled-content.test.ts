/**
 * End to end over the bundled content/: build into a temporary feeds folder, then read every
 * output with parsers nobody on this project wrote (@rowanmanning/feed-parser, rss-parser,
 * fast-xml-parser, ajv with the JSON Feed 1.1 schema) and compare with the articles as read
 * independently with gray-matter.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { parseFeed } from '@rowanmanning/feed-parser';
import matter from 'gray-matter';
import Parser from 'rss-parser';
import { buildFeeds, type BuildResult } from '../../src/build/build-feeds.js';
import { silentLogger } from '../../src/logger.js';
import { testConfig } from '../helpers/config.js';
import { assertValidJsonFeed } from '../helpers/json-feed-schema.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { parseXmlDocument } from '../helpers/xml.js';

const CONTENT_DIR = new URL('../../content/', import.meta.url).pathname;

interface SourceArticle {
  file: string;
  data: Record<string, any>;
  published: boolean;
  date: Date;
  url: string;
  topicSlugs: string[];
}

/** An oracle for the bundled topics' slugs, simpler than the real one (ASCII names only). */
const simpleSlug = (name: string) => name.toLowerCase().trim().replace(/\s+/g, '-');

async function readSources(): Promise<SourceArticle[]> {
  const files = (await readdir(CONTENT_DIR)).filter((file) => file.endsWith('.md'));
  return Promise.all(
    files.map(async (file) => {
      const { data } = matter(await readFile(path.join(CONTENT_DIR, file), 'utf8'), {});
      return {
        file,
        data,
        published: data.published !== false,
        date: new Date(data.publishedDateTime),
        url: new URL(data.sourceUrl).href,
        topicSlugs: (data.topics ?? []).map(simpleSlug),
      };
    }),
  );
}

describe('feeds built from the bundled content', () => {
  let feedsDir: string;
  let build: BuildResult;
  let sources: SourceArticle[];
  let published: SourceArticle[];
  const output = (name: string) => readFile(path.join(feedsDir, name), 'utf8');

  before(async () => {
    feedsDir = await makeTempDir();
    build = await buildFeeds({ config: testConfig(CONTENT_DIR, feedsDir), logger: silentLogger, clock: () => new Date('2026-11-25T00:00:00Z') });
    sources = await readSources();
    published = sources.filter((source) => source.published);
  });

  it('publishes every published article and reports no problem', () => {
    assert.deepEqual(build.report.problems, []);
    assert.equal(build.report.published, published.length);
    assert.equal(build.report.drafts, sources.length - published.length);
    assert.ok(published.length >= 21, 'content/ holds the sample and at least 20 more published articles');
  });

  it('writes RSS, Atom and JSON Feed for every topic and for all topics', async () => {
    const slugs = new Set(published.flatMap((source) => source.topicSlugs));
    assert.ok(slugs.size >= 5);
    const names = new Set(await readdir(feedsDir));
    for (const slug of [...slugs, 'all']) {
      for (const extension of ['xml', 'atom', 'json']) assert.ok(names.has(`${slug}.${extension}`), `${slug}.${extension}`);
    }
  });

  for (const format of ['xml', 'atom'] as const) {
    it(`${format}: every article is in each of its topic feeds with title, link, date, provider, categories and image (@rowanmanning/feed-parser)`, async () => {
      for (const slug of new Set(['all', ...published.flatMap((source) => source.topicSlugs)])) {
        const feed = parseFeed(await output(`${slug}.${format}`));
        const expected = published.filter((source) => slug === 'all' || source.topicSlugs.includes(slug));
        assert.equal(feed.items.length, expected.length, `${slug}.${format} entry count`);
        for (const source of expected) {
          const item = feed.items.find((candidate) => candidate.url === source.url);
          assert.ok(item, `${source.file} in ${slug}.${format}`);
          assert.equal(item.title, source.data.title);
          assert.equal(item.published?.getTime(), source.date.getTime(), `${source.file} date`);
          if (source.data.provider) assert.equal(item.authors[0]?.name, source.data.provider.name);
          const labels = item.categories.map((category) => category.label);
          for (const topic of source.data.topics ?? []) assert.ok(labels.includes(topic), `${source.file}: category ${topic}`);
          if (source.data.category) assert.ok(labels.includes(source.data.category));
          const firstImage = source.data.images?.[0];
          if (firstImage) {
            const media = item.media.find((candidate) => candidate.url === new URL(firstImage.url).href);
            assert.ok(media, `${source.file}: image in ${slug}.${format}`);
            assert.match(media.mimeType ?? '', /^image\/(jpeg|png|gif|webp)$/);
          }
        }
      }
    });
  }

  it('xml: rss-parser reads the same entries, with guid, dc:creator and enclosure', async () => {
    const feed = await new Parser().parseString(await output('ai.xml'));
    const expected = published.filter((source) => source.topicSlugs.includes('ai'));
    assert.equal(feed.items.length, expected.length);
    for (const source of expected) {
      const item = feed.items.find((candidate) => candidate.link === source.url);
      assert.ok(item, source.file);
      assert.equal(item.guid, source.data.id ?? source.url);
      assert.equal(new Date(item.pubDate ?? '').getTime(), source.date.getTime());
      if (source.data.provider) assert.equal(item.creator, source.data.provider.name);
      if (source.data.images?.[0]) assert.equal(item.enclosure?.url, new URL(source.data.images[0].url).href);
    }
  });

  it('json: every feed is valid JSON Feed 1.1 and holds the same entries', async () => {
    for (const slug of new Set(['all', ...published.flatMap((source) => source.topicSlugs)])) {
      const feed = JSON.parse(await output(`${slug}.json`));
      assertValidJsonFeed(feed, `${slug}.json`);
      const expected = published.filter((source) => slug === 'all' || source.topicSlugs.includes(slug));
      assert.equal(feed.items.length, expected.length);
      for (const source of expected) {
        const item = feed.items.find((candidate: { url: string }) => candidate.url === source.url);
        assert.ok(item, `${source.file} in ${slug}.json`);
        assert.equal(item.id, source.data.id ?? source.url);
        assert.equal(item.title, source.data.title);
        assert.equal(new Date(item.date_published).getTime(), source.date.getTime());
        if (source.data.provider) assert.equal(item.authors[0].name, source.data.provider.name);
        for (const topic of source.data.topics ?? []) assert.ok(item.tags.includes(topic));
        if (source.data.images?.[0]) assert.equal(item.image, new URL(source.data.images[0].url).href);
      }
    }
  });

  it('gives each article the same id in RSS, Atom and JSON Feed', async () => {
    const rss = parseFeed(await output('all.xml'));
    const atom = parseFeed(await output('all.atom'));
    const json = JSON.parse(await output('all.json'));
    const ids = (items: { id: string | null; url: string | null }[]) => new Map(items.map((item) => [item.url, item.id]));
    assert.deepEqual(ids(rss.items), ids(atom.items));
    assert.deepEqual(ids(atom.items), new Map(json.items.map((item: { url: string; id: string }) => [item.url, item.id])));
    assert.equal(new Set(json.items.map((item: { id: string }) => item.id)).size, json.items.length, 'ids are unique');
  });

  it('orders entries newest first and dates each feed by its newest entry', async () => {
    const atom = parseXmlDocument(await output('all.atom')).feed;
    const published = atom.entry.map((entry: { published: string }) => Date.parse(entry.published));
    assert.deepEqual(published, [...published].sort((a: number, b: number) => b - a));
    const newest = Math.max(...atom.entry.map((entry: { updated: string }) => Date.parse(entry.updated)));
    assert.equal(Date.parse(atom.updated), newest);
  });

  it('puts no secured value and no draft anywhere in the output', async () => {
    const secrets = sources.flatMap((source) =>
      typeof source.data.secured === 'string' ? source.data.secured.split(';').filter((part: string) => part.length >= 12) : [],
    );
    assert.ok(secrets.length >= 20, 'the bundled content carries secured values to look for');
    const draftTitles = sources.filter((source) => !source.published).map((source) => source.data.title as string);
    const draftUrls = sources.filter((source) => !source.published).map((source) => source.url);
    assert.ok(draftTitles.length >= 1);
    for (const name of await readdir(feedsDir, { recursive: true })) {
      if (!/\.(xml|atom|json|html|opml|xsl|css)$/.test(name)) continue;
      const text = await output(name);
      for (const secret of secrets) assert.ok(!text.includes(secret), `${name} contains a secured value`);
      for (const title of draftTitles) assert.ok(!text.includes(title), `${name} contains the draft "${title}"`);
      for (const url of draftUrls) assert.ok(!text.includes(url), `${name} links a draft`);
    }
  });

  it('lists every feed in index.opml and index.html', async () => {
    const opml = parseXmlDocument(await output('index.opml')).opml;
    type Outline = Record<string, string> & { outline?: Outline[] };
    const flatten = (outlines: Outline[]): Outline[] => outlines.flatMap((outline) => [outline, ...flatten(outline.outline ?? [])]);
    const listed = flatten(opml.body.outline).map((outline) => outline['@_xmlUrl']);
    const html = await output('index.html');
    for (const slug of new Set(['all', ...published.flatMap((source) => source.topicSlugs)])) {
      assert.ok(listed.includes(`https://feeds.example.org/feeds/${slug}.xml`), `${slug} in OPML`);
      for (const [extension, type] of [['xml', 'application/rss+xml'], ['atom', 'application/atom+xml'], ['json', 'application/feed+json']]) {
        assert.ok(html.includes(`<link rel="alternate" type="${type}"`) && html.includes(`href="https://feeds.example.org/feeds/${slug}.${extension}"`), `${slug}.${extension} autodiscovery`);
      }
    }
  });

  it('rebuilds the same content to byte-identical files', async () => {
    const again = await buildFeeds({ config: testConfig(CONTENT_DIR, feedsDir), logger: silentLogger, clock: () => new Date('2026-11-26T00:00:00Z') });
    assert.deepEqual(again.report.written, []);
    assert.equal(again.report.unchanged, build.files.length);
  });
});
