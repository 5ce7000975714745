/**
 * Text that XML gives a meaning to, from an article's front matter and body to the feeds a build
 * writes to FEEDS_DIR, read back with parsers nobody on this project wrote: fast-xml-parser for
 * the values, htmlparser2 for the text of the HTML inside them, and Python's expat (a conforming
 * parser, where fast-xml-parser lets a raw `<` in an attribute or `]]>` in text through) for
 * well-formedness. Every value read back must equal what the article says.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DomUtils, parseDocument } from 'htmlparser2';
import { buildFeeds } from '../../src/build/build-feeds.js';
import { silentLogger } from '../../src/logger.js';
import { articleText, frontMatter } from '../helpers/articles.js';
import { testConfig } from '../helpers/config.js';
import { expatErrors, missingExpat } from '../helpers/expat.js';
import { readWrittenFeed } from '../helpers/feeds-folder.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { listOf, parseXmlDocument, textOf, type XmlNode } from '../helpers/xml.js';

const NOW = new Date('2025-03-01T00:00:00Z');

/** Builds a content folder holding one article with these fields and body; returns the feeds folder. */
async function buildOne(prefix: string, fields: Record<string, unknown>, body = ''): Promise<string> {
  const contentDir = await makeTempDir(`${prefix}-content-`);
  const feedsDir = path.join(await makeTempDir(`${prefix}-feeds-`), 'feeds');
  await writeFile(path.join(contentDir, 'article.md'), articleText(frontMatter(fields), body));
  const result = await buildFeeds({ config: testConfig(contentDir, feedsDir), logger: silentLogger, clock: () => NOW });
  assert.equal(result.report.published, 1, `the article is published: ${JSON.stringify(result.report.problems)}`);
  return feedsDir;
}

/** The written documents `names`, as name → text. */
async function written(feedsDir: string, names: readonly string[]): Promise<Map<string, string>> {
  return new Map(await Promise.all(names.map(async (name) => [name, await readWrittenFeed(feedsDir, name)] as const)));
}

const onlyRssItem = async (feedsDir: string, feed = 'all'): Promise<XmlNode> => listOf(parseXmlDocument(await readWrittenFeed(feedsDir, `${feed}.xml`)).rss.channel.item)[0]!;
const onlyAtomEntry = async (feedsDir: string, feed = 'all'): Promise<XmlNode> => listOf(parseXmlDocument(await readWrittenFeed(feedsDir, `${feed}.atom`)).feed.entry)[0]!;

/** What a reader shows of an HTML fragment: its text, entities decoded (htmlparser2). */
const htmlText = (html: string | undefined): string => DomUtils.textContent(parseDocument(html ?? '')).trim();

describe('"]]>" twice in one article text, which the feeds carry as HTML in CDATA', () => {
  const BODY = 'Start ]]> middle ]]> end, & "quoted" too';
  const EXCERPT = 'Quote ]]> and again ]]>]]> with & and "marks"';
  const CDATA_DOCUMENTS = ['all.xml', 'all.atom', 'ai.xml', 'ai.atom'];

  it('leaves the written RSS and Atom feeds well-formed for a conforming parser (expat)', async (t) => {
    if (await missingExpat(t)) return;
    const fromBody = await written(await buildOne('cdata-body', { excerpt: EXCERPT }, BODY), CDATA_DOCUMENTS);
    const fromExcerpt = await written(await buildOne('cdata-excerpt', { excerpt: EXCERPT }), CDATA_DOCUMENTS);
    assert.deepEqual(await expatErrors(new Map([...fromBody].map(([name, text]) => [`body: ${name}`, text]))), []);
    assert.deepEqual(await expatErrors(new Map([...fromExcerpt].map(([name, text]) => [`excerpt: ${name}`, text]))), []);
  });

  it("gives the body's text back exactly from RSS content:encoded", async () => {
    const item = await onlyRssItem(await buildOne('cdata-body', { excerpt: 'Plain.' }, BODY));
    assert.equal(htmlText(textOf(item['content:encoded'])), BODY);
  });

  it("gives the body's text back exactly from Atom content", async () => {
    const entry = await onlyAtomEntry(await buildOne('cdata-body', { excerpt: 'Plain.' }, BODY));
    assert.equal(entry.content['@_type'], 'html');
    assert.equal(htmlText(textOf(entry.content)), BODY);
  });

  it('gives the excerpt back exactly from RSS content:encoded and description when the body is empty', async () => {
    const item = await onlyRssItem(await buildOne('cdata-excerpt', { excerpt: EXCERPT }));
    assert.equal(htmlText(textOf(item['content:encoded'])), EXCERPT);
    assert.equal(htmlText(textOf(item.description)), EXCERPT);
  });

  it('gives the excerpt back exactly from Atom content and summary when the body is empty', async () => {
    const entry = await onlyAtomEntry(await buildOne('cdata-excerpt', { excerpt: EXCERPT }));
    assert.equal(htmlText(textOf(entry.content)), EXCERPT);
    assert.equal(htmlText(textOf(entry.summary)), EXCERPT);
  });
});

describe('"<", "&" and quotes in values the feeds carry in XML attributes', () => {
  const TOPIC = 'R&D <b>Labs</b> "Q"';
  const CATEGORY = 'Op-Ed <i>&amp;</i> \'x\'';
  const PROVIDER = { name: 'Smith & <Wesson> "News"', domain: 'smith.example.com' };
  const IMAGE_TITLE = '<b>Chart</b> & "data" <3';
  const RELATED_TITLE = 'See <i>also</i> & "this" <';
  /**
   * The same values as written: titles and names are plain text, so the tags of HTML elements are
   * removed when the article is read (`<Wesson>` is no HTML element and stays); every `<`, `&` and
   * quote that is left must come back exactly.
   */
  const WRITTEN = {
    topic: 'R&D Labs "Q"',
    category: "Op-Ed &amp; 'x'",
    provider: PROVIDER.name,
    imageTitle: 'Chart & "data" <3',
    relatedTitle: 'See also & "this" <',
  };

  /** One article whose topic, category, provider, image title and related title are all markup. */
  const buildMarkup = () =>
    buildOne('attributes', {
      topics: [TOPIC],
      category: CATEGORY,
      provider: PROVIDER,
      images: [{ url: 'https://img.example.com/chart.png', width: 640, height: 480, title: IMAGE_TITLE }],
      related: [{ title: RELATED_TITLE, sourceUrl: 'https://other.example.com/related' }],
    });

  /** The written name of a feed: the one feed file whose name starts with `prefix` and ends with `.xml`. */
  async function feedNamed(feedsDir: string, prefix: string): Promise<string> {
    const index = parseXmlDocument(await readWrittenFeed(feedsDir, 'index.opml'));
    const urls = listOf(index.opml.body.outline).flatMap((outline) => [outline, ...listOf(outline.outline)]).map((outline) => outline['@_xmlUrl'] as string | undefined);
    const matches = urls.filter((url): url is string => url !== undefined && new URL(url).pathname.startsWith(`/feeds/${prefix}`)).map((url) => new URL(url).pathname.slice('/feeds/'.length, -'.xml'.length));
    assert.equal(matches.length, 1, `one ${prefix}… feed in index.opml: ${urls.join(', ')}`);
    return matches[0]!;
  }

  it('leaves every written RSS, Atom and OPML document well-formed for a conforming parser (expat)', async (t) => {
    if (await missingExpat(t)) return;
    const feedsDir = await buildMarkup();
    const feeds = ['all', await feedNamed(feedsDir, 'r-'), await feedNamed(feedsDir, 'providers/'), await feedNamed(feedsDir, 'categories/')];
    const names = [...feeds.flatMap((feed) => [`${feed}.xml`, `${feed}.atom`]), 'index.opml'];
    assert.deepEqual(await expatErrors(await written(feedsDir, names)), []);
  });

  it('gives the image title back exactly, HTML tags removed, from the Atom enclosure link', async () => {
    const entry = await onlyAtomEntry(await buildMarkup());
    const enclosures = listOf(entry.link).filter((link) => link['@_rel'] === 'enclosure');
    assert.deepEqual(enclosures.map((link) => link['@_title']), [WRITTEN.imageTitle]);
  });

  it('gives the related title back exactly, HTML tags removed, from the Atom and the RSS related links', async () => {
    const feedsDir = await buildMarkup();
    const atomRelated = listOf((await onlyAtomEntry(feedsDir)).link).filter((link) => link['@_rel'] === 'related');
    const rssRelated = listOf((await onlyRssItem(feedsDir))['atom:link']).filter((link) => link['@_rel'] === 'related');
    assert.deepEqual(atomRelated.map((link) => link['@_title']), [WRITTEN.relatedTitle]);
    assert.deepEqual(rssRelated.map((link) => link['@_title']), [WRITTEN.relatedTitle]);
  });

  it('gives the topic and the category back exactly, HTML tags removed, as Atom category labels', async () => {
    const entry = await onlyAtomEntry(await buildMarkup());
    assert.deepEqual(listOf(entry.category).map((category) => category['@_label']), [WRITTEN.topic, WRITTEN.category]);
  });

  it("names each feed in index.opml by that feed's own title, topic, provider and category intact", async () => {
    const feedsDir = await buildMarkup();
    for (const [prefix, name] of [['r-', WRITTEN.topic], ['providers/', WRITTEN.provider], ['categories/', WRITTEN.category]] as const) {
      const feed = await feedNamed(feedsDir, prefix);
      const title = textOf(parseXmlDocument(await readWrittenFeed(feedsDir, `${feed}.xml`)).rss.channel.title) ?? '';
      assert.ok(title.includes(name), `the RSS title of ${feed}, ${JSON.stringify(title)}, names ${JSON.stringify(name)}`);
      const index = parseXmlDocument(await readWrittenFeed(feedsDir, 'index.opml'));
      const outline = listOf(index.opml.body.outline)
        .flatMap((group) => listOf(group.outline))
        .find((candidate) => candidate['@_xmlUrl'] === `https://feeds.example.org/feeds/${feed}.xml`);
      assert.deepEqual([outline?.['@_text'], outline?.['@_title']], [title, title], feed);
    }
  });
});

describe('an embedded player with a fallback link, which the feeds carry as a link', () => {
  const BODY = [
    'Watch this:',
    '',
    '<iframe src="https://www.youtube.com/embed/abc" title=\'Launch "day" &amp; <b>demo</b>\'><a href="https://www.youtube.com/watch?v=abc">watch</a></iframe>',
    '',
    'Or listen: <audio src="https://media.example.com/talk.mp3"><a href="https://media.example.com/talk.mp3">download &lt;mp3&gt;</a></audio>',
  ].join('\n');
  const LINKS = [
    ['https://www.youtube.com/embed/abc', 'Launch "day" & <b>demo</b>'],
    ['https://media.example.com/talk.mp3', 'download <mp3>'],
  ];

  /** Every link of an HTML fragment as [href, text], read with htmlparser2; none may hold another. */
  function linksOf(html: string | undefined): string[][] {
    return DomUtils.findAll((element) => element.name === 'a', parseDocument(html ?? '').children).map((link) => {
      assert.equal(DomUtils.findAll((element) => element.name === 'a', link.children).length, 0, `a link inside a link: ${html}`);
      return [link.attribs.href ?? '', DomUtils.textContent(link)];
    });
  }

  it('leaves the written RSS and Atom feeds well-formed for a conforming parser (expat)', async (t) => {
    if (await missingExpat(t)) return;
    assert.deepEqual(await expatErrors(await written(await buildOne('embed', { excerpt: 'Plain.' }, BODY), ['all.xml', 'all.atom'])), []);
  });

  it('gives each player back as one link, named by its title or its fallback, from RSS content:encoded and Atom content', async () => {
    const feedsDir = await buildOne('embed', { excerpt: 'Plain.' }, BODY);
    assert.deepEqual(linksOf(textOf((await onlyRssItem(feedsDir))['content:encoded'])), LINKS);
    assert.deepEqual(linksOf(textOf((await onlyAtomEntry(feedsDir)).content)), LINKS);
  });
});
