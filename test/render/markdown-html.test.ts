import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomUtils, parseDocument } from 'htmlparser2';
import { renderMarkdownHtml } from '../../src/render/markdown-html.js';

const BASE = 'https://news.example.com/2024/05/article/';

/** Every element of an HTML fragment, as parsed by htmlparser2 (not by the code under test). */
function elements(html: string) {
  return DomUtils.findAll(() => true, parseDocument(html).children);
}

function elementsNamed(html: string, name: string) {
  return elements(html).filter((element) => element.name === name);
}

/** What a browser would treat as the URL scheme: ASCII white space and controls ignored. */
function scheme(url: string): string {
  return (url.replace(/[\u0000-\u0020]/g, '').toLowerCase().match(/^([a-z][a-z0-9+.-]*):/)?.[1] ?? '');
}

/** The safety properties every rendered fragment must have, checked with an independent parser. */
function assertSafe(html: string): void {
  for (const element of elements(html)) {
    assert.notEqual(element.name, 'script', html);
    assert.notEqual(element.name, 'iframe', html);
    assert.notEqual(element.name, 'style', html);
    for (const [name, value] of Object.entries(element.attribs)) {
      assert.ok(!name.toLowerCase().startsWith('on'), `event handler ${name} in ${html}`);
      if (name === 'href' || name === 'src') {
        assert.ok(!['javascript', 'data', 'vbscript'].includes(scheme(value)), `${name}="${value}" in ${html}`);
      }
    }
  }
}

const hrefs = (html: string) => elementsNamed(html, 'a').map((element) => element.attribs.href);
const srcs = (html: string) => elementsNamed(html, 'img').map((element) => element.attribs.src);

describe('renderMarkdownHtml', () => {
  describe('Markdown', () => {
    it('renders emphasis', () => {
      assert.equal(renderMarkdownHtml('*one* **two**', BASE), '<p><em>one</em> <strong>two</strong></p>');
    });

    it('renders a list', () => {
      const html = renderMarkdownHtml('- one\n- two\n', BASE);
      assert.deepEqual(
        elementsNamed(html, 'li').map((item) => DomUtils.textContent(item)),
        ['one', 'two'],
      );
      assert.equal(elementsNamed(html, 'ul').length, 1);
    });

    it('renders a link', () => {
      const html = renderMarkdownHtml('[text](https://other.example.com/page)', BASE);
      assert.deepEqual(hrefs(html), ['https://other.example.com/page']);
      assert.equal(DomUtils.textContent(elementsNamed(html, 'a')), 'text');
    });

    it('returns an empty string for an empty or blank body', () => {
      assert.equal(renderMarkdownHtml('', BASE), '');
      assert.equal(renderMarkdownHtml(' \n\t\n', BASE), '');
    });
  });

  describe('sanitising', () => {
    it('removes a <script> element and its code', () => {
      const html = renderMarkdownHtml('Before<script>alert(1)</script>after', BASE);
      assertSafe(html);
      assert.equal(html.includes('alert'), false);
    });

    it('removes onclick and onerror attributes', () => {
      const html = renderMarkdownHtml('<a href="https://other.example.com/" onclick="steal()">a</a> <img src="https://img.example.com/a.png" onerror="steal()">', BASE);
      assertSafe(html);
      assert.deepEqual(hrefs(html), ['https://other.example.com/']);
      assert.deepEqual(srcs(html), ['https://img.example.com/a.png']);
    });

    it('removes a javascript: href', () => {
      const html = renderMarkdownHtml('<a href="javascript:alert(1)">a</a> <a href="JaVaScRiPt:alert(1)">b</a>', BASE);
      assertSafe(html);
      assert.deepEqual(hrefs(html), [undefined, undefined]);
    });

    it('removes a javascript: href hidden by white space or character references', () => {
      const html = renderMarkdownHtml('<a href="  javascript:alert(1)">a</a> <a href="java&#x09;script:alert(1)">b</a> <a href="&#106;avascript:alert(1)">c</a>', BASE);
      assertSafe(html);
      assert.deepEqual(hrefs(html), [undefined, undefined, undefined]);
    });

    it('removes a data: href', () => {
      const html = renderMarkdownHtml('<a href="data:text/html,<script>alert(1)</script>">a</a>', BASE);
      assertSafe(html);
      assert.deepEqual(hrefs(html), [undefined]);
    });

    it('removes an image with a data: src', () => {
      const html = renderMarkdownHtml('<img src="data:image/png;base64,iVBORw0KGgo=">', BASE);
      assertSafe(html);
      assert.deepEqual(srcs(html), []);
    });

    it('removes an image with a javascript: src', () => {
      const html = renderMarkdownHtml('<img src="javascript:alert(1)">', BASE);
      assertSafe(html);
      assert.deepEqual(srcs(html), []);
    });

    it('removes an <iframe>', () => {
      const html = renderMarkdownHtml('<iframe src="https://other.example.com/"></iframe>Text', BASE);
      assertSafe(html);
      assert.equal(elementsNamed(html, 'iframe').length, 0);
    });

    it('turns a YouTube <iframe> into a link to what it embeds, named by its title, rather than drop it unseen', () => {
      const html = renderMarkdownHtml('Watch this:\n\n<iframe width="560" src="https://www.youtube.com/embed/abc" title="Launch &amp; <demo>" allowfullscreen></iframe>', BASE);
      assertSafe(html);
      const [link] = elementsNamed(html, 'a');
      assert.deepEqual([link?.attribs.href, link && DomUtils.textContent(link)], ['https://www.youtube.com/embed/abc', 'Launch & <demo>']);
      assert.equal(elementsNamed(html, 'iframe').length, 0);
    });

    it('turns a <video src> with a relative URL into a link to the absolute URL, named by the URL', () => {
      const html = renderMarkdownHtml('<video src="clip.mp4" controls></video>', BASE);
      const [link] = elementsNamed(html, 'a');
      assert.deepEqual([link?.attribs.href, link && DomUtils.textContent(link)], [`${BASE}clip.mp4`, `${BASE}clip.mp4`]);
      assert.equal(elementsNamed(html, 'video').length, 0);
    });

    it('makes no link of an <iframe> whose src is not http(s)', () => {
      const html = renderMarkdownHtml('<iframe src="javascript:alert(1)"></iframe><iframe src="data:text/html,x"></iframe>Text', BASE);
      assertSafe(html);
      assert.deepEqual(elementsNamed(html, 'a'), []);
    });

    it('removes a <style> element and its rules', () => {
      const html = renderMarkdownHtml('<style>body { display: none }</style>Text', BASE);
      assertSafe(html);
      assert.equal(html.includes('display'), false);
    });

    it('removes style attributes', () => {
      const html = renderMarkdownHtml('<div style="background: url(javascript:alert(1))">Text</div>', BASE);
      assertSafe(html);
      assert.ok(elements(html).every((element) => !('style' in element.attribs)), html);
    });

    it('removes <svg> with an onload handler', () => {
      const html = renderMarkdownHtml('<svg onload="alert(1)"><script>alert(2)</script></svg>', BASE);
      assertSafe(html);
      assert.equal(elementsNamed(html, 'svg').length, 0);
    });

    it('keeps a mailto: link', () => {
      assert.deepEqual(hrefs(renderMarkdownHtml('[mail](mailto:editor@news.example.com)', BASE)), ['mailto:editor@news.example.com']);
    });
  });

  describe('relative URLs', () => {
    it('resolves a root-relative link against the base URL', () => {
      assert.deepEqual(hrefs(renderMarkdownHtml('[x](/x)', BASE)), ['https://news.example.com/x']);
    });

    it('resolves a relative image against the base URL', () => {
      assert.deepEqual(srcs(renderMarkdownHtml('![alt](img/a.png)', BASE)), ['https://news.example.com/2024/05/article/img/a.png']);
    });

    it('resolves a relative link written as HTML', () => {
      assert.deepEqual(hrefs(renderMarkdownHtml('<a href="../other/">x</a>', BASE)), ['https://news.example.com/2024/05/other/']);
    });

    it('leaves an absolute link unchanged', () => {
      assert.deepEqual(hrefs(renderMarkdownHtml('[x](https://other.example.com/a?b=c)', BASE)), ['https://other.example.com/a?b=c']);
    });
  });
});

describe('renderMarkdownHtml: an embedded player with fallback markup', () => {
  /** Every link as [href, text], each checked to hold no link and some text (HTML forbids <a> in <a>). */
  function links(html: string): Array<[string | undefined, string]> {
    return elementsNamed(html, 'a').map((link) => {
      assert.deepEqual(DomUtils.findAll((element) => element.name === 'a', link.children), [], `a link inside a link: ${html}`);
      const text = DomUtils.textContent(link);
      assert.notEqual(text.trim(), '', `an empty link: ${html}`);
      return [link.attribs.href, text];
    });
  }

  const PLAYERS = [
    ['<iframe', 'https://www.youtube.com/embed/abc', 'iframe>'],
    ['<video', 'https://media.example.com/clip.mp4', 'video>'],
    ['<audio', 'https://media.example.com/talk.mp3', 'audio>'],
  ] as const;

  for (const [open, src, close] of PLAYERS) {
    it(`${open}> with a title and a fallback link: one link to its src, named by its title`, () => {
      const html = renderMarkdownHtml(`Watch this:\n\n${open} src="${src}" title="Launch"><a href="https://other.example.com/x">download</a></${close}`, BASE);
      assertSafe(html);
      assert.deepEqual(links(html), [[src, 'Launch']]);
    });

    it(`${open}> without a title: its link named by its fallback's text, the fallback's markup gone`, () => {
      const html = renderMarkdownHtml(`${open} src="${src}">\n  <a href="${src}">download <em>the</em> file</a>\n</${close}`, BASE);
      assertSafe(html);
      assert.deepEqual(links(html), [[src, 'download the file']]);
      assert.deepEqual(elementsNamed(html, 'em'), []);
    });

    it(`${open}>: markup and quotes in its title or fallback stay text`, () => {
      const titled = renderMarkdownHtml(`${open} src="${src}" title='Say "hi" &amp; <b>bye</b>'></${close}`, BASE);
      const untitled = renderMarkdownHtml(`${open} src="${src}"><a href="${src}">&lt;i&gt;"it"&lt;/i&gt; &amp; more</a></${close}`, BASE);
      assert.deepEqual(links(titled), [[src, 'Say "hi" & <b>bye</b>']]);
      assert.deepEqual(links(untitled), [[src, '<i>"it"</i> & more']]);
      assert.deepEqual([...elementsNamed(titled, 'b'), ...elementsNamed(untitled, 'i')], []);
    });
  }

  it('names the link by its URL when neither the title nor the fallback has any text', () => {
    const html = renderMarkdownHtml('<video src="https://media.example.com/clip.mp4" title=" &#1; "><a href="https://media.example.com/clip.mp4"> </a><script>x()</script></video>', BASE);
    assert.deepEqual(links(html), [['https://media.example.com/clip.mp4', 'https://media.example.com/clip.mp4']]);
  });

  it('leaves only the name of a player that sits inside a link, so the link holds no second one', () => {
    const html = renderMarkdownHtml('<a href="https://other.example.com/">See <iframe src="https://www.youtube.com/embed/abc" title="Launch"></iframe></a>', BASE);
    assert.deepEqual(links(html), [['https://other.example.com/', 'See Launch']]);
  });

  it('ends the fallback of a player left open with its paragraph, keeping the next one as it is', () => {
    const html = renderMarkdownHtml('<p>Look: <video src="https://media.example.com/clip.mp4">no video here</p><p>Next <a href="https://other.example.com/">link</a></p>', BASE);
    assert.deepEqual(links(html), [
      ['https://media.example.com/clip.mp4', 'no video here'],
      ['https://other.example.com/', 'link'],
    ]);
    assert.deepEqual(elementsNamed(html, 'p').map((paragraph) => DomUtils.textContent(paragraph)), ['Look: no video here', 'Next link']);
  });
});

describe('renderMarkdownHtml: character references to forbidden characters', () => {
  it('leaves no XML-forbidden character in the HTML, even from &#1; or &#xFFFE; (JSON Feed carries it raw)', () => {
    const html = renderMarkdownHtml('<div>a&#1;b&#xFFFE;c</div>', 'https://news.example.com/a/');
    assert.doesNotMatch(html, /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/);
    assert.match(html, /abc/);
  });
});
