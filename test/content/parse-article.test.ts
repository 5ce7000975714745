import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Article } from '../../src/content/article-schema.js';
import { parseArticle } from '../../src/content/parse-article.js';
import { formatProblem, type Issue, type Problem } from '../../src/content/problems.js';
import { articleText, frontMatter } from '../helpers/articles.js';

/** The reference article, as copied unchanged into the bundled content. */
const SAMPLE_FILE = 'chinese-finance-group-calls-for-ai-regulation-in-ecosystem.md';
const SAMPLES = path.resolve(import.meta.dirname, '../../content');

/** Parses and fails the test unless the article is valid. */
function parsed(text: string, file = 'test-article.md'): Article {
  const result = parseArticle(text, file);
  if (!result.ok) assert.fail(`expected a valid article, got ${JSON.stringify(result.problem)}`);
  return result.article;
}

/** Parses and fails the test unless the file is rejected. */
function rejected(text: string, file = 'test-article.md'): Problem {
  const result = parseArticle(text, file);
  if (result.ok) assert.fail(`expected a problem, got an article titled ${JSON.stringify(result.article.title)}`);
  return result.problem;
}

/** The one issue a rejection is expected to carry for `path`. */
function issueAt(problem: Problem, issuePath: string): Issue {
  const issue = problem.issues.find((candidate) => candidate.path === issuePath);
  assert.ok(issue, `expected an issue at ${JSON.stringify(issuePath)}, got ${JSON.stringify(problem.issues.map((i) => i.path))}`);
  return issue;
}

/** An article file written by hand, line by line, for YAML that js-yaml's dumper would quote. */
function rawArticle(...lines: string[]): string {
  return ['---', ...lines, '---', ''].join('\n');
}

const REQUIRED_LINES = ['title: Hand Written', 'sourceUrl: https://news.example.com/hand-written/'];

describe('parseArticle', () => {
  describe('the reference article', () => {
    const fileName = SAMPLE_FILE;
    const text = readFileSync(path.join(SAMPLES, fileName), 'utf8');
    const securedValue = /^secured:\s*"([^"]+)"/m.exec(text)?.[1];
    assert.ok(securedValue, 'the sample has a secured value');

    it('has its title', () => {
      assert.equal(parsed(text, fileName).title, 'Chinese Finance Group Calls For AI Regulation In Ecosystem');
    });

    it('has publishedDateTime as a Date at 2019-12-23T12:33:00Z', () => {
      const { publishedDateTime } = parsed(text, fileName);
      assert.ok(publishedDateTime instanceof Date);
      assert.equal(publishedDateTime.getTime(), Date.UTC(2019, 11, 23, 12, 33, 0));
    });

    it('has its provider', () => {
      assert.deepEqual(parsed(text, fileName).provider, { name: 'pymnts.com', domain: 'pymnts.com' });
    });

    it('has the topics [AI]', () => {
      assert.deepEqual(parsed(text, fileName).topics, ['AI']);
    });

    it('has one image with its width, height and title', () => {
      assert.deepEqual(parsed(text, fileName).images, [
        {
          url: 'https://www.bing.com/th?id=ON.97331B7269776F2B2C73CE8D888D034D',
          width: 457,
          height: 305,
          title: 'Chinese Finance Group Calls For AI Regulation In Ecosystem',
        },
      ]);
    });

    it('has one related article', () => {
      const { related } = parsed(text, fileName);
      assert.equal(related.length, 1);
      assert.equal(related[0]?.sourceUrl, 'https://finance.yahoo.com/news/360-finance-selected-kpmg-chinas-120000593.html');
      assert.equal(related[0]?.title, "360 Finance selected in KPMG China's Top 50 Fintech companies");
    });

    it('records the file it came from', () => {
      assert.equal(parsed(text, fileName).file, fileName);
    });

    it('has no secured key anywhere', () => {
      const article = parsed(text, fileName);
      assert.equal('secured' in article, false);
      const json = JSON.stringify(article);
      assert.equal(json.includes('"secured"'), false);
      assert.equal(json.includes(securedValue), false);
    });
  });

  describe('fields', () => {
    it('ignores unknown keys', () => {
      const article = parsed(articleText(frontMatter({ colour: 'blue' })));
      assert.equal('colour' in article, false);
    });

    it('accepts a quoted date with an offset', () => {
      const article = parsed(rawArticle(...REQUIRED_LINES, 'publishedDateTime: "2024-05-01T12:00:00+02:00"'));
      assert.equal(article.publishedDateTime.getTime(), Date.UTC(2024, 4, 1, 10, 0, 0));
    });

    it('accepts an unquoted date with an offset', () => {
      const article = parsed(rawArticle(...REQUIRED_LINES, 'publishedDateTime: 2024-05-01T12:00:00+02:00'));
      assert.equal(article.publishedDateTime.getTime(), Date.UTC(2024, 4, 1, 10, 0, 0));
    });

    it('accepts an unquoted date with a negative offset', () => {
      const article = parsed(rawArticle(...REQUIRED_LINES, 'publishedDateTime: 2024-05-01T12:00:00-08:00'));
      assert.equal(article.publishedDateTime.getTime(), Date.UTC(2024, 4, 1, 20, 0, 0));
    });

    it('keeps a title that looks like a number exactly as written (title: 007)', () => {
      const article = parsed(rawArticle('title: 007', 'publishedDateTime: 2024-05-01T10:00:00Z', 'sourceUrl: https://news.example.com/x/'));
      assert.equal(article.title, '007');
    });

    it('turns a number title (title: 2024) into the text "2024"', () => {
      const article = parsed(rawArticle('title: 2024', 'publishedDateTime: 2024-05-01T10:00:00Z', 'sourceUrl: https://news.example.com/x/'));
      assert.equal(article.title, '2024');
    });

    it('turns a single topic (topics: AI) into a list of one', () => {
      const article = parsed(rawArticle(...REQUIRED_LINES, 'publishedDateTime: 2024-05-01T10:00:00Z', 'topics: AI'));
      assert.deepEqual(article.topics, ['AI']);
    });

    it('reads a blank topics value (topics: "") as no topics, like an empty one', () => {
      assert.deepEqual(parsed(rawArticle(...REQUIRED_LINES, 'publishedDateTime: 2024-01-01T00:00:00Z', 'topics: ""')).topics, []);
    });

    it('defaults topics, images and related to empty lists', () => {
      const article = parsed(rawArticle(...REQUIRED_LINES, 'publishedDateTime: 2024-05-01T10:00:00Z'));
      assert.deepEqual([article.topics, article.images, article.related], [[], [], []]);
    });

    it('defaults published to true', () => {
      const article = parsed(rawArticle(...REQUIRED_LINES, 'publishedDateTime: 2024-05-01T10:00:00Z'));
      assert.equal(article.published, true);
    });

    it('accepts a urn:uuid id', () => {
      const id = 'urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427';
      assert.equal(parsed(articleText(frontMatter({ id }))).id, id);
    });

    it('keeps the Markdown body', () => {
      assert.equal(parsed(articleText(frontMatter(), '# Heading\n\nText.\n')).body, '# Heading\n\nText.\n');
    });

    it('parses a file with a byte order mark and CRLF line endings', () => {
      const text = `\uFEFF${articleText(frontMatter(), 'Line one.\nLine two.\n').replace(/\n/g, '\r\n')}`;
      const article = parsed(text);
      assert.equal(article.title, 'Test Article');
      assert.equal(article.body, 'Line one.\nLine two.\n');
    });

    const forbidden: ReadonlyArray<[string, string]> = [
      ['U+0001', '\u0001'],
      ['U+000B (vertical tab)', '\u000B'],
      ['a lone surrogate U+D800', '\uD800'],
    ];
    for (const [name, character] of forbidden) {
      it(`removes the XML-forbidden character ${name} from the title`, () => {
        assert.equal(parsed(articleText(frontMatter({ title: `Before${character}After` }))).title, 'BeforeAfter');
      });
    }

    it('accepts a secured value that is a number, and drops it', () => {
      const article = parsed(articleText(frontMatter({ secured: 8_675_309 })));
      assert.equal('secured' in article, false);
      assert.equal(JSON.stringify(article).includes('8675309'), false);
    });

    it('accepts a secured value that is a mapping, and drops it', () => {
      const article = parsed(articleText(frontMatter({ secured: { key: 'TOPSECRET-mapping-value' } })));
      assert.equal('secured' in article, false);
      assert.equal(JSON.stringify(article).includes('TOPSECRET-mapping-value'), false);
    });
  });

  describe('invalid fields (ARTICLE_INVALID)', () => {
    for (const field of ['title', 'publishedDateTime', 'sourceUrl']) {
      it(`reports a missing ${field} at path "${field}"`, () => {
        const problem = rejected(articleText(frontMatter({ [field]: undefined })));
        assert.equal(problem.code, 'ARTICLE_INVALID');
        assert.deepEqual(
          problem.issues.map((issue) => issue.path),
          [field],
        );
      });
    }

    it('names the file in the problem', () => {
      assert.equal(rejected(articleText(frontMatter({ title: undefined })), 'news/broken.md').file, 'news/broken.md');
    });

    it('reports images that are not a list at path "images"', () => {
      const problem = rejected(articleText(frontMatter({ images: 'https://img.example.com/a.jpg' })));
      assert.equal(problem.code, 'ARTICLE_INVALID');
      issueAt(problem, 'images');
    });

    it('reports an ftp image URL at path "images[1].url" with reason invalid_url', () => {
      const images = [{ url: 'https://img.example.com/a.jpg' }, { url: 'ftp://x' }];
      const problem = rejected(articleText(frontMatter({ images })));
      assert.equal(problem.code, 'ARTICLE_INVALID');
      assert.equal(issueAt(problem, 'images[1].url').reason, 'invalid_url');
    });

    it('rejects a javascript: sourceUrl with reason invalid_url', () => {
      const problem = rejected(articleText(frontMatter({ sourceUrl: 'javascript:alert(1)' })));
      assert.equal(issueAt(problem, 'sourceUrl').reason, 'invalid_url');
    });

    it('rejects a relative sourceUrl with reason invalid_url', () => {
      const problem = rejected(articleText(frontMatter({ sourceUrl: '/2024/05/test-article/' })));
      assert.equal(issueAt(problem, 'sourceUrl').reason, 'invalid_url');
    });

    it('reports a publishedDateTime that is not a date with reason invalid_date', () => {
      const problem = rejected(articleText(frontMatter({ publishedDateTime: 'last Tuesday' })));
      assert.equal(problem.code, 'ARTICLE_INVALID');
      assert.equal(issueAt(problem, 'publishedDateTime').reason, 'invalid_date');
    });

    it('reports an impossible date (2019-02-30) with reason invalid_date', () => {
      const problem = rejected(rawArticle(...REQUIRED_LINES, 'publishedDateTime: 2019-02-30'));
      assert.equal(issueAt(problem, 'publishedDateTime').reason, 'invalid_date');
    });

    it('reads published: "false" (quoted) as false, like the unquoted form', () => {
      assert.equal(parsed(articleText(frontMatter({ published: 'false' }))).published, false);
      assert.equal(parsed(rawArticle(...REQUIRED_LINES, 'publishedDateTime: 2024-05-01T10:00:00Z', 'published: false')).published, false);
    });

    it('rejects published: maybe at path "published" with reason invalid_boolean', () => {
      const problem = rejected(rawArticle(...REQUIRED_LINES, 'published: maybe'));
      assert.equal(issueAt(problem, 'published').reason, 'invalid_boolean');
    });

    it('rejects a topic with no letters or digits at path "topics[1]" (it would have no URL)', () => {
      const problem = rejected(articleText(frontMatter({ topics: ['AI', '🚀'] })));
      assert.equal(issueAt(problem, 'topics[1]').reason, 'invalid_topic');
    });

    it('gives reason "required" for every missing required field, whatever its type', () => {
      const problem = rejected(rawArticle('excerpt: only this'));
      for (const field of ['title', 'publishedDateTime', 'sourceUrl']) assert.equal(issueAt(problem, field).reason, 'required');
    });

    it('treats an empty value (images:) as absent', () => {
      assert.deepEqual(parsed(rawArticle(...REQUIRED_LINES, 'publishedDateTime: 2024-05-01T10:00:00Z', 'images:', 'topics:')).images, []);
    });

    it('rejects an id that is not an absolute URI at path "id"', () => {
      const problem = rejected(articleText(frontMatter({ id: 'my article' })));
      assert.equal(problem.code, 'ARTICLE_INVALID');
      assert.equal(issueAt(problem, 'id').reason, 'invalid_id');
    });

    it('does not put the secured value into the issues of an invalid article', () => {
      const secured = 'TOPSECRET-in-an-invalid-article';
      const problem = rejected(articleText(frontMatter({ secured, title: undefined })));
      assert.equal(JSON.stringify(problem).includes(secured), false);
    });
  });

  describe('unreadable files (ARTICLE_UNREADABLE)', () => {
    it('names the line of the file where the YAML breaks (line 3 here, LF and CRLF alike)', () => {
      for (const newline of ['\n', '\r\n']) {
        const problem = rejected(['---', 'title: x', '  bad: indent', '---', ''].join(newline));
        assert.match(problem.issues[0]?.message ?? '', /at line 3, column \d+/);
      }
    });

    it("gives js-yaml's reason when it quotes nothing of the file", () => {
      const problem = rejected(['---', 'title: x', '  bad: indent', '---', ''].join('\n'));
      assert.match(problem.issues[0]?.message ?? '', /: bad indentation of a mapping entry$/);
    });

    it('reports invalid YAML with reason invalid_yaml', () => {
      const problem = rejected(rawArticle('title: x', 'tags: [unclosed'));
      assert.equal(problem.code, 'ARTICLE_UNREADABLE');
      assert.deepEqual(
        problem.issues.map((issue) => issue.reason),
        ['invalid_yaml'],
      );
    });

    it('does not quote a secured value on the line before the YAML error', () => {
      // js-yaml 4 (not 3) also quotes the lines before the error; this guards an upgrade.
      const secured = 'TOPSECRET-8c1f0e2d9a';
      const problem = rejected(rawArticle('title: x', `secured: "${secured}"`, '  broken: indentation'));
      assert.equal(problem.issues[0]?.reason, 'invalid_yaml');
      assert.equal(JSON.stringify(problem).includes('TOPSECRET'), false);
    });

    it('does not quote a secured value on the line of the YAML error', () => {
      // js-yaml's own message for this line quotes it, secret included, under a caret.
      const problem = rejected(rawArticle('title: x', 'secured: "TOPSECRET-8c1f0e2d9a" "second scalar"'));
      assert.equal(problem.issues[0]?.reason, 'invalid_yaml');
      assert.equal(JSON.stringify(problem).includes('TOPSECRET'), false);
    });

    it('reports an empty file with reason empty_file', () => {
      const problem = rejected('');
      assert.equal(problem.code, 'ARTICLE_UNREADABLE');
      assert.equal(problem.issues[0]?.reason, 'empty_file');
    });

    it('reports a file of only white space and a byte order mark with reason empty_file', () => {
      assert.equal(rejected('\uFEFF \n\n').issues[0]?.reason, 'empty_file');
    });

    it('reports a file without front matter with reason missing_front_matter', () => {
      const problem = rejected('# Just Markdown\n\nNo front matter here.\n');
      assert.equal(problem.code, 'ARTICLE_UNREADABLE');
      assert.equal(problem.issues[0]?.reason, 'missing_front_matter');
    });

    it('reports a key indented with a tab (which js-yaml reads as unindented) at its line, LF and CRLF alike', () => {
      // js-yaml 3 gave provider: null and a top-level name: the provider was dropped without a word.
      for (const newline of ['\n', '\r\n']) {
        const text = ['---', ...REQUIRED_LINES, 'publishedDateTime: 2024-05-01T10:00:00Z', 'provider:', '\tname: Tabby', '\tdomain: tabby.example', '---', ''].join(newline);
        const problem = rejected(text);
        assert.equal(problem.code, 'ARTICLE_UNREADABLE');
        assert.equal(problem.issues[0]?.reason, 'invalid_yaml');
        assert.match(problem.issues[0]?.message ?? '', /at line 6, column 1: a tab indents this line/);
      }
    });

    it('reports an image field indented with a tab after spaces-indented ones, not an image without it', () => {
      const problem = rejected(rawArticle(...REQUIRED_LINES, 'publishedDateTime: 2024-05-01T10:00:00Z', 'images:', '  - url: https://img.example.com/a.jpg', '\t  width: 800'));
      assert.match(problem.issues[0]?.message ?? '', /at line 7, column 1: a tab indents this line/);
    });

    it('still reads a tab after a key, and a one-item list a tab indents (js-yaml reads both as written)', () => {
      const article = parsed(rawArticle(...REQUIRED_LINES, 'publishedDateTime:\t2024-05-01T10:00:00Z', 'topics:', '\t- AI'));
      assert.deepEqual(article.topics, ['AI']);
    });

    it('reports front matter with no closing --- line with reason unclosed_front_matter, rather than read the body as fields', () => {
      // gray-matter took the whole file as YAML: `Note: …` became an ignored field and the body was lost.
      const text = ['---', ...REQUIRED_LINES, 'publishedDateTime: 2024-05-01T10:00:00Z', '', 'Note: the body starts here.', ''].join('\n');
      const problem = rejected(text);
      assert.equal(problem.code, 'ARTICLE_UNREADABLE');
      assert.deepEqual(problem.issues.map((issue) => issue.reason), ['unclosed_front_matter']);
    });

    it('reports a file with old Mac (CR only) line endings as such, naming the file, not as front matter that is not YAML', () => {
      const lines = ['---', ...REQUIRED_LINES, 'publishedDateTime: 2024-05-01T10:00:00Z', '---', 'Body.', ''];
      for (const text of [lines.join('\r'), `\uFEFF${lines.join('\r')}`, ['---yaml', ...lines.slice(1)].join('\r')]) {
        const problem = rejected(text, 'old-mac.md');
        assert.equal(problem.code, 'ARTICLE_UNREADABLE');
        assert.equal(problem.file, 'old-mac.md');
        assert.deepEqual(problem.issues.map((issue) => issue.reason), ['cr_line_endings']);
        assert.match(formatProblem(problem, 'content').join('\n'), /^content\/old-mac\.md: .*\bCR alone\b.*\bLF or CRLF\b/);
      }
    });

    it('still reads an LF or a CRLF file whose front matter or body holds a CR alone', () => {
      for (const newline of ['\n', '\r\n']) {
        const article = parsed(['---', ...REQUIRED_LINES, 'publishedDateTime: 2024-05-01T10:00:00Z', 'excerpt: "one\rtwo"', '---', 'Body\rmore.', ''].join(newline));
        assert.deepEqual([article.excerpt, article.body], ['one two', 'Body\nmore.\n']);
      }
    });

    it("reports front matter closed by YAML's document end (...) instead of --- as unclosed", () => {
      const text = ['---', ...REQUIRED_LINES, 'publishedDateTime: 2024-05-01T10:00:00Z', '...', '', 'Body.', ''].join('\n');
      assert.equal(rejected(text).issues[0]?.reason, 'unclosed_front_matter');
    });

    it('reports front matter that is a YAML list with reason invalid_front_matter', () => {
      const problem = rejected(rawArticle('- title', '- sourceUrl'));
      assert.equal(problem.code, 'ARTICLE_UNREADABLE');
      assert.equal(problem.issues[0]?.reason, 'invalid_front_matter');
    });
  });
});

describe('parseArticle: front matter in another language than YAML', () => {
  const REQUIRED = "title: 'T', publishedDateTime: '2024-01-01T00:00:00Z', sourceUrl: 'https://a.example/x/'";
  for (const opening of ['---js', '---javascript', '---JS', '--- js ', '---json', '---toml', '---coffee']) {
    it(`refuses ${JSON.stringify(opening)} without running it (reason unsupported_front_matter)`, () => {
      const marker = `ranFrontMatter${opening.replace(/\W/g, '')}`;
      // gray-matter's own JavaScript engine evaluates this block: it would set the marker.
      const text = [opening, `{ ${REQUIRED}, ran: (globalThis.${marker} = true) }`, '---', 'Body', ''].join('\n');
      const problem = rejected(text);
      assert.equal((globalThis as Record<string, unknown>)[marker], undefined, 'the front matter was run');
      assert.equal(problem.code, 'ARTICLE_UNREADABLE');
      assert.equal(problem.issues[0]?.reason, 'unsupported_front_matter');
    });
  }

  it('reads ---yaml and ---yml like ---', () => {
    for (const opening of ['---yaml', '---YML']) {
      assert.equal(parsed([opening, ...REQUIRED_LINES, 'publishedDateTime: 2024-01-01T00:00:00Z', '---', ''].join('\n')).title, 'Hand Written');
    }
  });
});

describe('parseArticle: YAML aliases', () => {
  /** Nine levels of nine aliases each, the last under `key`: 387 million nodes if expanded. */
  function aliasBomb(key: string, withNull: boolean): string {
    const levels = [`a0: &a0 ["lol", ${withNull ? '{x: }' : '{x: y}'}, "lol", "lol", "lol", "lol", "lol", "lol", "lol"]`];
    for (let level = 1; level <= 8; level += 1) levels.push(`a${level}: &a${level} [${Array(9).fill(`*a${level - 1}`).join(', ')}]`);
    return rawArticle(...levels, ...REQUIRED_LINES, 'publishedDateTime: 2024-01-01T00:00:00Z', `${key}: *a8`);
  }

  for (const withNull of [false, true]) {
    it(`publishes an article whose secured value is nine levels of aliases${withNull ? ' with an empty value' : ''}, in well under a second`, () => {
      const started = performance.now();
      const article = parsed(aliasBomb('secured', withNull));
      assert.equal(article.title, 'Hand Written');
      // Expanded, the walk took seconds to minutes (or ran out of memory); each node once, milliseconds.
      assert.ok(performance.now() - started < 1000, `took ${Math.round(performance.now() - started)} ms`);
    });
  }

  it('reports nine levels of aliases in a field the schema reads (related) as invalid, quickly', () => {
    const started = performance.now();
    const problem = rejected(aliasBomb('related', true));
    assert.equal(problem.code, 'ARTICLE_INVALID');
    assert.ok(problem.issues.every((issue) => issue.path.startsWith('related[')), JSON.stringify(problem.issues));
    assert.ok(performance.now() - started < 1000, `took ${Math.round(performance.now() - started)} ms`);
  });

  it('still drops empty values reached through an alias', () => {
    const article = parsed(rawArticle('shared: &p {name: Wire, domain: }', ...REQUIRED_LINES, 'publishedDateTime: 2024-01-01T00:00:00Z', 'provider: *p'));
    assert.deepEqual(article.provider, { name: 'Wire' });
  });
});

describe('parseArticle: names that become feed file names', () => {
  const DATE = 'publishedDateTime: 2024-01-01T00:00:00Z';
  const cases: ReadonlyArray<[string, string, string, string]> = [
    ['a topic of 240 letters', `topics: [AI, ${'c'.repeat(240)}]`, 'topics[1]', 'too_long'],
    ['a topic of 80 CJK letters (240 bytes)', `topics: [AI, ${'人'.repeat(80)}]`, 'topics[1]', 'too_long'],
    ['a category of 300 letters', `category: ${'b'.repeat(300)}`, 'category', 'too_long'],
    ['a category with no letters or digits', 'category: "!!!"', 'category', 'invalid_category'],
    ['a provider domain of 240 letters', `provider: {name: X, domain: ${'b'.repeat(60)}.${'b'.repeat(60)}.${'b'.repeat(60)}.${'b'.repeat(56)}.com}`, 'provider.domain', 'too_long'],
    ['a provider domain with a label over 63 letters', `provider: {name: X, domain: ${'b'.repeat(64)}.com}`, 'provider.domain', 'invalid_domain'],
    ['a provider domain that is a number (WHATWG URL reads it as an IPv4 address)', 'provider: {name: X, domain: "1"}', 'provider.domain', 'invalid_domain'],
    ['a provider without a domain whose name has no letters or digits', 'provider: {name: "!!!"}', 'provider.name', 'invalid_provider'],
  ];
  for (const [what, line, issuePath, reason] of cases) {
    it(`reports ${what} at ${issuePath} (${reason})`, () => {
      const problem = rejected(rawArticle(...REQUIRED_LINES, DATE, line));
      assert.equal(issueAt(problem, issuePath).reason, reason);
    });
  }

  it('accepts a topic whose slug is exactly 200 bytes, and a related article whose provider has no letters', () => {
    const article = parsed(rawArticle(...REQUIRED_LINES, DATE, `topics: [${'c'.repeat(200)}]`, 'related: [{title: R, sourceUrl: "https://r.example/", provider: {name: "!!!"}}]'));
    assert.deepEqual(article.topics, ['c'.repeat(200)]);
  });

  it('accepts 100 topics and reports 101 at path "topics"', () => {
    const topics = (count: number) => `topics: [${Array.from({ length: count }, (_, index) => `t${index}`).join(', ')}]`;
    assert.equal(parsed(rawArticle(...REQUIRED_LINES, DATE, topics(100))).topics.length, 100);
    const issue = issueAt(rejected(rawArticle(...REQUIRED_LINES, DATE, topics(101))), 'topics');
    assert.equal(issue.reason, 'too_big');
    assert.match(issue.message, /at most 100/);
  });
});

describe('parseArticle: dates outside the years 0001-9999 in UTC', () => {
  for (const [field, value] of [
    ['updatedDateTime', '9999-12-31T23:00:00-14:00'],
    ['publishedDateTime', '0000-01-01T00:00:00+01:00'],
    ['publishedDateTime', '0000-06-01T00:00:00Z'],
  ] as const) {
    it(`reports ${field}: ${value} with reason invalid_date`, () => {
      const lines = field === 'updatedDateTime' ? [...REQUIRED_LINES, 'publishedDateTime: 2020-01-01T00:00:00Z', `${field}: "${value}"`] : [...REQUIRED_LINES, `${field}: "${value}"`];
      const issue = issueAt(rejected(rawArticle(...lines)), field);
      assert.equal(issue.reason, 'invalid_date');
      assert.match(issue.message, /0001 and 9999/);
    });
  }

  it('accepts 9999-12-31T23:59:59Z', () => {
    assert.equal(parsed(rawArticle(...REQUIRED_LINES, 'publishedDateTime: 9999-12-31T23:59:59Z')).publishedDateTime.getUTCFullYear(), 9999);
  });
});

describe('parseArticle: YAML errors never quote the file', () => {
  const SECRET = 'c2VjcmV0LXZhbHVlLXRoYXQ+bXVzdC1uZXZlci1sZWFr';
  // `!…^…` is js-yaml's "tag name cannot contain such characters: <the tag>".
  for (const line of [`secured: *${SECRET}`, `secured: !${SECRET} x`, `secured: !!${SECRET} x`, `secured: !<${SECRET}> x`, `secured: !${SECRET}! x`, `secured: !${SECRET}^rest x`]) {
    it(`keeps the value out of the message for ${JSON.stringify(line.slice(0, 12))}…`, () => {
      const result = parseArticle(['---', 'title: x', 'publishedDateTime: 2024-01-01T00:00:00Z', 'sourceUrl: https://a.example/x/', line, '---', ''].join('\n'), 'x.md');
      assert.equal(result.ok, false);
      if (result.ok) return;
      assert.equal(result.problem.issues[0]?.reason, 'invalid_yaml');
      assert.ok(!JSON.stringify(result.problem).includes(SECRET.slice(0, 12)), JSON.stringify(result.problem));
    });
  }
});
