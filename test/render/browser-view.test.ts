/**
 * The browser view (src/render/browser-view.ts), read back by tools nobody on this project wrote:
 * the HTML pages with htmlparser2, and feed.xsl run by libxslt's xsltproc (Debian package
 * `xsltproc`, installed by .ci/run) over RSS and Atom rendered by the real pipeline
 * (buildFeedDocuments → renderFeedFiles). Without xsltproc those checks fail in CI and are
 * skipped elsewhere.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { DomUtils, parseDocument } from 'htmlparser2';
import type { Article } from '../../src/content/article-schema.js';
import { renderBrowserFiles, renderFeedPage } from '../../src/render/browser-view.js';
import { collectFeeds } from '../../src/feeds/feed-collections.js';
import { buildFeedDocuments } from '../helpers/documents.js';
import type { DocumentOptions } from '../../src/feeds/feed-documents.js';
import { FEED_KINDS, type FeedDocument, type FeedSite } from '../../src/feeds/feed-model.js';
import { renderFeedFiles } from '../../src/render/render-feeds.js';
import { makeArticle, testSite } from '../helpers/articles.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { parseXmlDocument } from '../helpers/xml.js';

type HtmlDocument = ReturnType<typeof parseDocument>;
type HtmlElement = Parameters<typeof DomUtils.getAttributeValue>[0];

const IN_CI = process.env.CI === 'true';

// ---------------------------------------------------------------- fixtures

/**
 * Markup-shaped text that reaches the renderers: the tags of HTML elements are removed from titles
 * when an article is parsed (content/plain-text.ts), so these tag names are not HTML's; a renderer
 * that failed to escape them would still make `<scripty>` and `<bold>` elements.
 */
const HOSTILE_TITLE = '<scripty>alert("title")</scripty> Fish & <bold>Chips</bold> 1 < 2';
/** Plain text that escapeHtml turns into every entity it writes, and a literal "&lt;" that must stay. */
const TRICKY_EXCERPT = `Scores & "ranks" <b>rise</b>; it's under 5 ms, written &lt; in HTML.`;

const benchmarks = () =>
  makeArticle({
    title: 'Open Model Benchmarks Shift Toward Reasoning',
    sourceUrl: 'https://techwire.example.com/2024/05/benchmarks/',
    publishedDateTime: '2024-05-21T06:00:00Z',
    // Updated later: the views show the publication date.
    updatedDateTime: '2024-06-01T08:00:00Z',
    excerpt: TRICKY_EXCERPT,
    provider: { name: 'TechWire', domain: 'techwire.example.com' },
    images: [
      { url: 'https://img.example.com/benchmarks.png', width: 1600, height: 900, title: 'Benchmark scores by task' },
      { url: 'https://img.example.com/second.png', width: 10, height: 10, title: 'Not the first' },
    ],
  });

const hostile = () =>
  makeArticle({
    title: HOSTILE_TITLE,
    sourceUrl: 'https://news.example.com/2024/05/hostile/?a=1&b=2',
    publishedDateTime: '2024-05-01T10:00:00Z',
    excerpt: '<script>alert("summary")</script>',
    provider: { name: 'Example <News>', domain: 'news.example.com' },
    // No size, no title, no file extension.
    images: [{ url: 'https://img.example.com/th?id=ON.1234' }],
  });

const imageless = () =>
  makeArticle({
    title: 'A Column Without a Picture',
    sourceUrl: 'https://opinion.example.org/2024/04/column/',
    publishedDateTime: '2024-04-20T13:05:00Z',
    excerpt: 'Plain words.',
    images: [],
  });

/** No excerpt: its RSS description is its content (HTML), which the views must not show as a summary. */
const excerptless = () =>
  makeArticle(
    { title: 'A Note Without an Excerpt', sourceUrl: 'https://opinion.example.org/2024/04/note/', publishedDateTime: '2024-04-10T09:00:00Z', excerpt: undefined, images: [] },
    'A body with <b>markup</b>.',
  );

function documentsOf(articles: readonly Article[], site: FeedSite = testSite): FeedDocument[] {
  return buildFeedDocuments(collectFeeds(articles).collections, site);
}

function documentAt(documents: readonly FeedDocument[], documentPath: string): FeedDocument {
  const document = documents.find((candidate) => candidate.path === documentPath);
  assert.ok(document, `no document ${documentPath} among ${documents.map((d) => d.path).join(', ')}`);
  return document;
}

/**
 * Five articles in pages of two: the subscription document (days 5, 4) and archive pages 1 (day 1)
 * and 2 (day 2), the first archive's two halves, and 3 (days 4, 3).
 */
function archivedDocuments(): FeedDocument[] {
  const articles = [1, 2, 3, 4, 5].map((day) =>
    makeArticle({
      title: `Day ${day}`,
      sourceUrl: `https://news.example.com/2024/05/day-${day}/`,
      publishedDateTime: `2024-05-0${day}T10:00:00Z`,
    }),
  );
  return documentsOf(articles, { ...testSite, maxItems: 2, archives: FEED_KINDS });
}

// ---------------------------------------------------------------- reading HTML

const html = (text: string): HtmlDocument => parseDocument(text);
const byTag = (root: HtmlDocument | HtmlElement, tag: string): HtmlElement[] => DomUtils.getElementsByTagName(tag, root, true);
const byClass = (root: HtmlDocument | HtmlElement, name: string): HtmlElement[] =>
  DomUtils.findAll((element) => (element.attribs.class ?? '').split(/\s+/).includes(name), [root]);
const allElements = (root: HtmlDocument): HtmlElement[] => DomUtils.findAll(() => true, root.children);
const attr = (element: HtmlElement | undefined, name: string): string | undefined => (element ? DomUtils.getAttributeValue(element, name) : undefined);
const text = (element: HtmlElement | undefined): string => (element ? DomUtils.textContent(element).replace(/\s+/g, ' ').trim() : '');

function only(elements: readonly HtmlElement[], what: string): HtmlElement {
  assert.equal(elements.length, 1, `expected one ${what}, found ${elements.length}`);
  return elements[0]!;
}

/** What a reader of the page sees of each entry. */
function entriesOf(page: HtmlDocument) {
  return byClass(page, 'entry').map((entry) => {
    const title = only(byClass(entry, 'entry-title'), 'entry title');
    const [link] = byTag(title, 'a');
    const [time] = byTag(entry, 'time');
    const [image] = byTag(entry, 'img');
    return {
      title: text(title),
      link: attr(link, 'href'),
      datetime: attr(time, 'datetime'),
      date: text(time),
      provider: text(byClass(entry, 'provider')[0]),
      image: image && { src: attr(image, 'src'), width: attr(image, 'width'), height: attr(image, 'height'), alt: attr(image, 'alt') },
      summary: text(byClass(entry, 'summary')[0]),
    };
  });
}

/** The CSP allows only style-src 'self' and no script: nothing inline may appear. */
function assertNoScriptOrInlineStyle(page: HtmlDocument): void {
  for (const element of allElements(page)) {
    assert.notEqual(element.name, 'script', 'a <script> element');
    assert.notEqual(element.name, 'style', 'a <style> element');
    for (const name of Object.keys(element.attribs)) {
      assert.notEqual(name, 'style', `a style attribute on <${element.name}>`);
      assert.ok(!name.startsWith('on'), `an event handler attribute ${name} on <${element.name}>`);
    }
    for (const name of ['href', 'src']) assert.ok(!/^\s*javascript:/i.test(attr(element, name) ?? ''), `a javascript: URL in <${element.name}>`);
  }
}

// ---------------------------------------------------------------- the HTML page

describe('renderFeedPage', () => {
  const documents = documentsOf([benchmarks(), hostile(), imageless()]);
  const all = documentAt(documents, 'all');
  const file = renderFeedPage(all);
  const page = html(file.body);

  it('names the page after the document and serves it as HTML', () => {
    assert.equal(file.name, 'all.html');
    assert.equal(file.contentType, 'text/html; charset=utf-8');
    assert.match(file.body, /^<!doctype html>\n/);
  });

  it('links to its RSS, Atom and JSON feeds for autodiscovery', () => {
    const alternates = byTag(page, 'link')
      .filter((link) => attr(link, 'rel') === 'alternate')
      .map((link) => [attr(link, 'type'), attr(link, 'href')]);
    assert.deepEqual(alternates, [
      ['application/rss+xml', all.urls.rss],
      ['application/atom+xml', all.urls.atom],
      ['application/feed+json', all.urls.json],
    ]);
  });

  it('links feed.css from the folder of feed.xsl, relative to the page', () => {
    const css = (document: FeedDocument) =>
      byTag(html(renderFeedPage(document).body), 'link')
        .filter((link) => attr(link, 'rel') === 'stylesheet')
        .map((link) => attr(link, 'href'));
    const provider = documents.find((document) => document.kind === 'provider');
    assert.ok(provider);
    assert.deepEqual(css(all), ['feed.css']);
    assert.deepEqual(css(provider), ['../feed.css']);
    assert.deepEqual(css(documentAt(archivedDocuments(), 'archive/all/1')), ['../../feed.css']);
  });

  it('tells how to subscribe, with the RSS address', () => {
    const subscribe = only(byClass(page, 'subscribe'), 'subscribe line');
    assert.match(text(subscribe), /^Subscribe .*feed reader/);
    assert.equal(text(byTag(subscribe, 'code')[0]), all.urls.rss);
  });

  it('shows the title and description', () => {
    assert.equal(text(byTag(page, 'title')[0]), all.title);
    assert.equal(text(byTag(page, 'h1')[0]), all.title);
    assert.equal(text(byClass(page, 'feed-description')[0]), all.description);
  });

  it('shows each entry: its title linked, date, provider, first image with size and alt, and summary', () => {
    const [first, second, third] = entriesOf(page);
    assert.deepEqual(first, {
      title: 'Open Model Benchmarks Shift Toward Reasoning',
      link: 'https://techwire.example.com/2024/05/benchmarks/',
      datetime: '2024-05-21T06:00:00.000Z',
      date: '21 May 2024, 06:00 UTC',
      provider: 'TechWire',
      image: { src: 'https://img.example.com/benchmarks.png', width: '1600', height: '900', alt: 'Benchmark scores by task' },
      summary: TRICKY_EXCERPT,
    });
    assert.equal(second?.link, 'https://news.example.com/2024/05/hostile/?a=1&b=2');
    assert.equal(third?.title, 'A Column Without a Picture');
    assert.equal(third?.image, undefined);
    assert.equal(entriesOf(page).length, all.entries.length);
  });

  it('gives an image of unknown size no width or height, and the entry title as alt text', () => {
    const [, second] = entriesOf(page);
    assert.deepEqual(second?.image, { src: 'https://img.example.com/th?id=ON.1234', width: undefined, height: undefined, alt: HOSTILE_TITLE });
  });

  it('escapes markup in titles, summaries and names: it reads as written and makes no elements', () => {
    const [, second] = entriesOf(page);
    assert.equal(second?.title, HOSTILE_TITLE);
    assert.equal(second?.summary, '<script>alert("summary")</script>');
    assert.equal(second?.provider, 'Example <News>');
    assert.equal(byTag(page, 'bold').length, 0);
    assert.ok(!file.body.includes('<script'), 'the page contains "<script"');
  });

  it('has no script, no <style>, no style or event handler attributes', () => {
    assertNoScriptOrInlineStyle(page);
  });

  it('says so when a feed has no entries', () => {
    const empty = renderFeedPage({ ...all, entries: [] });
    assert.equal(text(byClass(html(empty.body), 'empty')[0]), 'No entries yet.');
  });

  it('has no archive navigation on a feed without archives', () => {
    assert.equal(byClass(page, 'archive-nav').length, 0);
  });

  it('links an archive page to the newer page, the older page and the current feed', () => {
    const documents = archivedDocuments();
    const navigation = (documentPath: string) =>
      Object.fromEntries(
        byTag(byClass(html(renderFeedPage(documentAt(documents, documentPath)).body), 'archive-nav')[0]!, 'a').map((link) => [
          attr(link, 'rel'),
          attr(link, 'href'),
        ]),
      );
    const current = documentAt(documents, 'all');
    const page1 = documentAt(documents, 'archive/all/1');
    const page2 = documentAt(documents, 'archive/all/2');
    const page3 = documentAt(documents, 'archive/all/3');
    assert.deepEqual(navigation('all'), { 'prev-archive': page3.urls.html });
    assert.deepEqual(navigation('archive/all/3'), { current: current.urls.html, 'prev-archive': page2.urls.html });
    assert.deepEqual(navigation('archive/all/2'), { 'next-archive': page3.urls.html, current: current.urls.html, 'prev-archive': page1.urls.html });
    assert.deepEqual(navigation('archive/all/1'), { 'next-archive': page2.urls.html, current: current.urls.html });
  });

  it('on an archive page, points subscribers and autodiscovery at the current feed', () => {
    const documents = archivedDocuments();
    const archivePage = html(renderFeedPage(documentAt(documents, 'archive/all/1')).body);
    const current = documentAt(documents, 'all');
    assert.match(text(byClass(archivePage, 'subscribe')[0]), /archive/);
    assert.equal(text(byTag(byClass(archivePage, 'subscribe')[0]!, 'code')[0]), current.urls.rss);
    const discovered = byTag(archivePage, 'link')
      .filter((link) => attr(link, 'rel') === 'alternate')
      .map((link) => attr(link, 'href'));
    assert.deepEqual(discovered, [current.urls.rss, current.urls.atom, current.urls.json]);
  });

  it('gives the same bytes for the same document', () => {
    assert.equal(renderFeedPage(documentsOf([benchmarks(), hostile(), imageless()])[0]!).body, file.body);
  });
});

// ---------------------------------------------------------------- feed.xsl and feed.css

describe('renderBrowserFiles', () => {
  const files = renderBrowserFiles();
  const xsl = files.find((file) => file.name === 'feed.xsl');
  const css = files.find((file) => file.name === 'feed.css');

  it('writes feed.xsl and feed.css with their content types', () => {
    assert.deepEqual(
      files.map((file) => [file.name, file.contentType]),
      [
        ['feed.xsl', 'text/xsl; charset=utf-8'],
        ['feed.css', 'text/css; charset=utf-8'],
      ],
    );
  });

  it('writes feed.xsl as well-formed XSLT 1.0 that outputs HTML', () => {
    const stylesheet = parseXmlDocument(xsl!.body)['xsl:stylesheet'];
    assert.equal(stylesheet['@_version'], '1.0');
    assert.equal(stylesheet['xsl:output']['@_method'], 'html');
    assert.equal(stylesheet['xsl:output']['@_doctype-system'], 'about:legacy-compat');
  });

  it('uses no script and no disable-output-escaping (Firefox ignores it)', () => {
    assert.ok(!/<script|disable-output-escaping/i.test(xsl!.body));
  });

  it('loads nothing from elsewhere in feed.css', () => {
    assert.ok(!/@import|url\(/i.test(css!.body));
  });
});

// ---------------------------------------------------------------- feed.xsl run by xsltproc

const execFileAsync = promisify(execFile);
const XSLTPROC = 'xsltproc';
let xsltprocAvailable: Promise<boolean> | undefined;
const hasXsltproc = () =>
  (xsltprocAvailable ??= execFileAsync(XSLTPROC, ['--version'], { timeout: 30_000 }).then(
    () => true,
    (error: { code?: unknown }) => (error.code === 'ENOENT' ? false : Promise.reject(error)),
  ));

/** True when the check must be skipped (outside CI); in CI a missing xsltproc fails the test. */
async function missingXsltproc(t: TestContext): Promise<boolean> {
  if (await hasXsltproc()) return false;
  const message = 'xsltproc is not installed (Debian package xsltproc)';
  if (IN_CI) assert.fail(`${message}; CI must run this check`);
  t.skip(message);
  return true;
}

describe('feed.xsl, run by xsltproc', () => {
  let dir: string;
  let stylesheet: string;
  let counter = 0;
  const documents = documentsOf([benchmarks(), hostile(), imageless(), excerptless()]);
  const all = documentAt(documents, 'all');

  before(async () => {
    dir = await makeTempDir('browser-view-');
    stylesheet = path.join(dir, 'feed.xsl');
    await writeFile(stylesheet, renderBrowserFiles().find((file) => file.name === 'feed.xsl')!.body);
  });

  /** The HTML xsltproc makes of one feed file's text. */
  async function transform(xml: string): Promise<{ body: string; page: HtmlDocument }> {
    const input = path.join(dir, `feed-${counter++}.xml`);
    await writeFile(input, xml);
    const { stdout } = await execFileAsync(XSLTPROC, ['--nonet', stylesheet, input], { timeout: 30_000, encoding: 'utf8' });
    return { body: stdout, page: html(stdout) };
  }

  const feedText = (document: FeedDocument, extension: 'xml' | 'atom'): string => {
    const file = renderFeedFiles(document).find((candidate) => candidate.name === `${document.path}.${extension}`);
    assert.ok(file);
    return file.body;
  };

  for (const [format, extension, self] of [
    ['RSS', 'xml', 'rss'],
    ['Atom', 'atom', 'atom'],
  ] as const) {
    describe(`on ${format}`, () => {
      it('shows the title, the description and how to subscribe with the self link', async (t) => {
        if (await missingXsltproc(t)) return;
        const { page } = await transform(feedText(all, extension));
        assert.equal(text(byTag(page, 'title')[0]), all.title);
        assert.equal(text(byTag(page, 'h1')[0]), all.title);
        assert.equal(text(byClass(page, 'feed-description')[0]), all.description);
        const subscribe = only(byClass(page, 'subscribe'), 'subscribe line');
        assert.match(text(subscribe), /^Subscribe .*feed reader/);
        assert.equal(text(byTag(subscribe, 'code')[0]), all.urls[self]);
      });

      it('links to the other formats', async (t) => {
        if (await missingXsltproc(t)) return;
        const { page } = await transform(feedText(all, extension));
        const links = byTag(byClass(page, 'formats')[0]!, 'a').map((link) => attr(link, 'href'));
        const others = (['rss', 'atom', 'json', 'html'] as const).filter((other) => other !== self).map((other) => all.urls[other]);
        assert.deepEqual(links, [...others, all.siteUrl]);
      });

      it('shows each entry as the HTML page does: title link, date, provider, first image, summary', async (t) => {
        if (await missingXsltproc(t)) return;
        const { page } = await transform(feedText(all, extension));
        const fromPage = entriesOf(html(renderFeedPage(all).body));
        const fromXsl = entriesOf(page);
        assert.equal(fromXsl.length, all.entries.length);
        // The datetime attribute is the same instant, written as RSS or Atom allows.
        const instant = (entries: typeof fromPage) => entries.map((entry) => ({ ...entry, datetime: entry.datetime && Date.parse(entry.datetime) }));
        assert.deepEqual(instant(fromXsl), instant(fromPage));
      });

      it('decodes the escaped summary exactly once and outputs it as text', async (t) => {
        if (await missingXsltproc(t)) return;
        const { page } = await transform(feedText(all, extension));
        const [first] = entriesOf(page);
        assert.equal(first?.summary, TRICKY_EXCERPT);
        assert.equal(byTag(page, 'b').length, 0);
      });

      it('never makes an element of markup in a title or summary, and adds no script or inline style', async (t) => {
        if (await missingXsltproc(t)) return;
        const { body, page } = await transform(feedText(all, extension));
        const [, second] = entriesOf(page);
        assert.equal(second?.title, HOSTILE_TITLE);
        assert.equal(second?.summary, '<script>alert("summary")</script>');
        assert.ok(!body.includes('<script'), 'the output contains "<script"');
        assertNoScriptOrInlineStyle(page);
      });

      it('links feed.css beside feed.xsl, relative like the xml-stylesheet instruction', async (t) => {
        if (await missingXsltproc(t)) return;
        const css = async (document: FeedDocument) =>
          byTag((await transform(feedText(document, extension))).page, 'link')
            .filter((link) => attr(link, 'rel') === 'stylesheet')
            .map((link) => attr(link, 'href'));
        const provider = documents.find((document) => document.kind === 'provider');
        assert.ok(provider);
        assert.deepEqual(await css(all), ['feed.css']);
        assert.deepEqual(await css(provider), ['../feed.css']);
      });

      it('without an xml-stylesheet instruction, finds feed.css from the self link', async (t) => {
        if (await missingXsltproc(t)) return;
        const withoutInstruction = feedText(all, extension).replace(/<\?xml-stylesheet[^?]*\?>\n?/, '');
        const { page } = await transform(withoutInstruction);
        const [link] = byTag(page, 'link').filter((candidate) => attr(candidate, 'rel') === 'stylesheet');
        assert.equal(attr(link, 'href'), 'https://feeds.example.org/feeds/feed.css');
      });

      it('on an archive page, says so, points at the current feed and links the pages', async (t) => {
        if (await missingXsltproc(t)) return;
        const archived = archivedDocuments();
        const page1 = documentAt(archived, 'archive/all/1');
        const page2 = documentAt(archived, 'archive/all/2');
        const page3 = documentAt(archived, 'archive/all/3');
        const current = documentAt(archived, 'all');
        const { page } = await transform(feedText(page1, extension));
        assert.match(text(byTag(page, 'h1')[0]), /\(archive, page 1\)$/);
        assert.equal(text(byTag(byClass(page, 'subscribe')[0]!, 'code')[0]), current.urls[self]);
        const navigation = Object.fromEntries(byTag(byClass(page, 'archive-nav')[0]!, 'a').map((link) => [attr(link, 'rel'), attr(link, 'href')]));
        assert.deepEqual(navigation, { 'next-archive': page2.urls[self], current: current.urls[self] });
        const newest = await transform(feedText(current, extension));
        const older = byTag(byClass(newest.page, 'archive-nav')[0]!, 'a').map((link) => [attr(link, 'rel'), attr(link, 'href')]);
        assert.deepEqual(older, [['prev-archive', page3.urls[self]]]);
      });

      it('says so when a feed has no entries', async (t) => {
        if (await missingXsltproc(t)) return;
        const { page } = await transform(feedText({ ...all, entries: [] }, extension));
        assert.equal(text(byClass(page, 'empty')[0]), 'No entries yet.');
      });
    });
  }
});
