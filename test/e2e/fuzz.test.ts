/**
 * Robustness: a seeded corpus of about 2000 generated files (valid articles full of hostile text,
 * drafts, and broken files) built in one go, then every output read with parsers nobody on this
 * project wrote (fast-xml-parser, Python's expat, ajv with the JSON Feed 1.1 schema, htmlparser2).
 *
 * A failure names the seed; replay it with `FUZZ_SEED=<seed> node --import tsx --test test/e2e/fuzz.test.ts`.
 * FUZZ_COUNT changes the number of files (default 2000).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { DomUtils, parseDocument } from 'htmlparser2';
import { buildFeeds, type BuildResult } from '../../src/build/build-feeds.js';
import { createLogger } from '../../src/logger.js';
import { testConfig } from '../helpers/config.js';
import {
  BAD_MUTATION_NAMES,
  DRAFT_HOST,
  FUZZ_CLOCK,
  FUZZ_MAX_FILE_BYTES,
  generateCorpus,
  seedFromEnv,
  SKIPPED_HOST,
  UNPUBLISHED_MARKER,
  writeCorpus,
  type FuzzFile,
} from '../helpers/fuzz-corpus.js';
import { assertValidJsonFeed } from '../helpers/json-feed-schema.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { parseXmlDocument, textOf, type XmlNode } from '../helpers/xml.js';

const SEED = seedFromEnv();
const COUNT = Number(process.env.FUZZ_COUNT ?? 2000);
const REPLAY = `(seed ${SEED}; replay with FUZZ_SEED=${SEED} FUZZ_COUNT=${COUNT})`;
/** Python's expat is a conforming XML parser; fast-xml-parser's validator lets control characters, `]]>` in text and `<` in attributes through. */
const PYTHON = '/usr/bin/python3';
const IN_CI = process.env.CI === 'true';

/** XML 1.0 §2.2: characters no XML document may contain (also C1 controls, which the service promises to strip). */
const XML_FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Elements that must never reach a feed reader (entries) or the browser view (pages). */
const PAGE_FORBIDDEN_ELEMENTS = new Set(['script', 'iframe', 'object', 'embed', 'style', 'frame', 'frameset', 'applet', 'base', 'form']);
const ENTRY_FORBIDDEN_ELEMENTS = new Set([...PAGE_FORBIDDEN_ELEMENTS, 'meta', 'link']);
/** Attributes that hold a URL a browser would follow or load. */
const URL_ATTRIBUTES = new Set(['href', 'src', 'srcset', 'action', 'formaction', 'xlink:href', 'poster', 'background', 'cite', 'data', 'longdesc', 'lowsrc', 'dynsrc', 'manifest', 'codebase', 'usemap']);
const DANGEROUS_SCHEMES = ['javascript:', 'data:', 'vbscript:'];

/**
 * What a browser does before reading a URL's scheme: drop tab and newlines anywhere, leading and
 * trailing C0 controls and spaces (WHATWG URL), then compare case-insensitively.
 */
function dangerousUrl(value: string): boolean {
  const normalised = value.replace(/[\t\n\r]/g, '').replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '').toLowerCase();
  return DANGEROUS_SCHEMES.some((scheme) => normalised.startsWith(scheme));
}

/** Everything unsafe in a piece of HTML, as htmlparser2 reads it. */
function unsafeHtml(html: string, forbiddenElements: ReadonlySet<string>): string[] {
  const found: string[] = [];
  const elements = DomUtils.findAll(() => true, parseDocument(html).children);
  for (const element of elements) {
    const name = element.name.toLowerCase();
    if (forbiddenElements.has(name)) found.push(`<${name}> element`);
    for (const [attribute, value] of Object.entries(element.attribs)) {
      const lower = attribute.toLowerCase();
      if (lower.startsWith('on')) found.push(`<${name} ${attribute}=…> event handler`);
      if (URL_ATTRIBUTES.has(lower) && dangerousUrl(value)) found.push(`<${name} ${attribute}=${JSON.stringify(value.slice(0, 40))}>`);
    }
  }
  return found;
}

/** Every entry's HTML in a parsed RSS or Atom document, with a label for messages. */
function entryHtmlOfXml(name: string, document: XmlNode): [string, string][] {
  const out: [string, string][] = [];
  const push = (label: string, node: unknown) => {
    const text = textOf(node);
    if (text) out.push([label, text]);
  };
  for (const item of document.rss?.channel?.item ?? []) {
    const label = `${name} item ${textOf(item.guid)}`;
    push(`${label} content:encoded`, item['content:encoded']);
    push(`${label} description`, item.description);
  }
  for (const entry of document.feed?.entry ?? []) {
    const label = `${name} entry ${textOf(entry.id)}`;
    push(`${label} content`, entry.content);
    push(`${label} summary`, entry.summary);
  }
  return out;
}

/** A JSON Feed: not the build's state and not its hidden bookkeeping (`.feeds-manifest.json`). */
function isFeedJson(name: string): boolean {
  return name.endsWith('.json') && !name.startsWith('(state)/') && !name.split('/').some((part) => part.startsWith('.'));
}

/** Files below `dir`, relative, with `/` separators. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/')).sort();
}

/** Checks every XML file below `dir` with expat; prints [file, error] pairs as JSON. */
const EXPAT_SCRIPT = `
import json, os, sys, xml.parsers.expat
root, failures = sys.argv[1], []
for folder, _, names in os.walk(root):
    for name in names:
        if name.rsplit('.', 1)[-1] not in ('xml', 'atom', 'opml', 'xsl'):
            continue
        file = os.path.join(folder, name)
        parser = xml.parsers.expat.ParserCreate()
        try:
            with open(file, 'rb') as handle:
                parser.ParseFile(handle)
        except Exception as error:
            failures.append([os.path.relpath(file, root), str(error)])
print(json.dumps(failures))
`;

describe(`a build of ${COUNT} generated files ${REPLAY}`, () => {
  let corpus: FuzzFile[];
  let feedsDir: string;
  let result: BuildResult | undefined;
  let buildError: unknown;
  const logLines: string[] = [];
  /** Output files by name (relative to feedsDir), as text. */
  const outputs = new Map<string, string>();
  /** Parsed RSS/Atom/OPML documents, and the files fast-xml-parser refused. */
  const xmlDocuments = new Map<string, XmlNode>();
  const xmlErrors: string[] = [];
  const timings: Record<string, number> = {};

  const built = (): BuildResult => {
    if (result === undefined) assert.fail(`buildFeeds threw ${REPLAY}: ${buildError instanceof Error ? buildError.stack : String(buildError)}`);
    return result;
  };
  const byKind = (kind: FuzzFile['kind']) => corpus.filter((file) => file.kind === kind);

  before(async () => {
    let started = performance.now();
    corpus = generateCorpus({ seed: SEED, count: COUNT });
    const contentDir = await makeTempDir('fuzz-content-');
    feedsDir = path.join(await makeTempDir('fuzz-feeds-'), 'feeds');
    await writeCorpus(contentDir, corpus);
    timings.generateAndWrite = performance.now() - started;

    started = performance.now();
    const config = testConfig(contentDir, feedsDir, { MAX_FILE_BYTES: String(FUZZ_MAX_FILE_BYTES), FEED_MAX_ITEMS: '50', FEED_ARCHIVES: 'true' });
    const logger = createLogger({ level: 'debug', write: (line) => logLines.push(line), clock: () => FUZZ_CLOCK });
    try {
      result = await buildFeeds({ config, logger, clock: () => FUZZ_CLOCK });
    } catch (error) {
      buildError = error;
      return;
    }
    timings.build = performance.now() - started;

    started = performance.now();
    for (const name of await listFiles(feedsDir)) outputs.set(name, await readFile(path.join(feedsDir, name), 'utf8'));
    for (const name of await listFiles(config.stateDir)) outputs.set(`(state)/${name}`, await readFile(path.join(config.stateDir, name), 'utf8'));
    for (const [name, text] of outputs) {
      if (!/\.(xml|atom|opml)$/.test(name) || name.startsWith('(state)/')) continue;
      try {
        xmlDocuments.set(name, parseXmlDocument(text));
      } catch (error) {
        xmlErrors.push(`${name}: ${(error as Error).message}`);
      }
    }
    timings.readAndParse = performance.now() - started;
  });

  it('generates a corpus of every kind, with every way of breaking a file', () => {
    const bad = byKind('bad');
    assert.ok(byKind('good').length >= COUNT * 0.6, `good files ${REPLAY}`);
    assert.ok(byKind('draft').length >= COUNT * 0.05, `drafts ${REPLAY}`);
    assert.ok(bad.length >= BAD_MUTATION_NAMES.length, `broken files ${REPLAY}`);
    assert.deepEqual(new Set(bad.map((file) => file.mutation)), new Set(BAD_MUTATION_NAMES), REPLAY);
    assert.ok(bad.some((file) => file.bytes.length > FUZZ_MAX_FILE_BYTES), `a file over MAX_FILE_BYTES ${REPLAY}`);
    assert.equal(new Set(corpus.map((file) => file.file)).size, corpus.length, `file names are unique ${REPLAY}`);
  });

  it('buildFeeds resolves (bad files are reported, never thrown)', (t) => {
    const { report } = built();
    t.diagnostic(
      `seed ${SEED}; ${corpus.length} files; generate+write ${Math.round(timings.generateAndWrite!)} ms, build ${Math.round(timings.build!)} ms, ` +
        `read+parse ${Math.round(timings.readAndParse!)} ms; ${outputs.size} output files, ${[...outputs.values()].reduce((sum, text) => sum + text.length, 0)} characters`,
    );
    assert.ok(report.filesRead >= byKind('good').length + byKind('draft').length && report.filesRead <= corpus.length, REPLAY);
  });

  it('publishes every valid article: its id is in all.json or an archive page of all', () => {
    built();
    const ids = new Set<string>();
    const pages = [...outputs.keys()].filter((name) => name === 'all.json' || /^archive\/all\/\d+\.json$/.test(name));
    assert.ok(pages.length > 1, `archive pages of all are written ${REPLAY}`);
    for (const name of pages) for (const item of JSON.parse(outputs.get(name)!).items) ids.add(item.id);
    const good = byKind('good');
    const missing = good.filter((file) => !ids.has(file.id!)).map((file) => `${file.file} (${file.id})`);
    assert.deepEqual(missing, [], `valid articles missing from all.json and archive/all/*.json ${REPLAY}`);
    assert.equal(ids.size, good.length, `all.json and its archive pages hold exactly the valid articles ${REPLAY}`);
    assert.equal(built().report.published, good.length, REPLAY);
  });

  it('reports every broken file with its path, the expected code and a reason, and logs it', () => {
    const { report } = built();
    const problems = new Map(report.problems.filter((problem) => problem.file !== undefined).map((problem) => [problem.file!, problem]));
    const loggedFiles = new Set(logLines.map((line) => JSON.parse(line) as { file?: string }).map((line) => line.file));
    const wrong: string[] = [];
    for (const file of byKind('bad')) {
      const problem = problems.get(file.file);
      if (!problem) wrong.push(`${file.file} (${file.mutation}): not reported`);
      else if (!problem.issues[0]?.reason) wrong.push(`${file.file} (${file.mutation}): no reason`);
      else if (problem.code !== file.expectedCode) wrong.push(`${file.file} (${file.mutation}): ${problem.code}, expected ${file.expectedCode}`);
      else if (!loggedFiles.has(file.file)) wrong.push(`${file.file} (${file.mutation}): not logged`);
    }
    assert.deepEqual(wrong, [], REPLAY);
    const unexpected = corpus.filter((file) => file.kind !== 'bad' && problems.has(file.file)).map((file) => `${file.file}: ${JSON.stringify(problems.get(file.file))}`);
    assert.deepEqual(unexpected, [], `valid articles and drafts reported as problems ${REPLAY}`);
    assert.equal(report.skipped, byKind('bad').length, REPLAY);
    assert.equal(report.drafts, byKind('draft').length, REPLAY);
  });

  it('puts no draft and nothing of a broken file anywhere in the output or the state', () => {
    built();
    const drafts = byKind('draft');
    const found: string[] = [];
    for (const [name, text] of outputs) {
      const marker = UNPUBLISHED_MARKER.exec(text);
      if (marker) found.push(`${name}: ${text.slice(marker.index, marker.index + 40)}`);
      for (const host of [DRAFT_HOST, SKIPPED_HOST]) if (text.includes(host)) found.push(`${name}: ${host}`);
    }
    assert.deepEqual(found.slice(0, 20), [], `${found.length} leaks ${REPLAY}`);
    // The marker and host scans cover each draft's title and id; check a few of each directly too.
    for (const draft of drafts.slice(0, 20)) {
      for (const [name, text] of outputs) {
        assert.ok(!text.includes(draft.title!), `${name} holds the draft title ${JSON.stringify(draft.title)} ${REPLAY}`);
        assert.ok(!text.includes(draft.id!), `${name} holds the draft id ${draft.id} ${REPLAY}`);
      }
    }
  });

  it('writes well-formed XML: fast-xml-parser reads every .xml, .atom and .opml, with no forbidden character and no ]]> outside CDATA', () => {
    built();
    assert.ok(xmlDocuments.size > 10, REPLAY);
    assert.deepEqual(xmlErrors.slice(0, 10), [], `${xmlErrors.length} files ${REPLAY}`);
    const broken: string[] = [];
    for (const [name, text] of outputs) {
      if (!/\.(xml|atom|opml|xsl)$/.test(name)) continue;
      const forbidden = XML_FORBIDDEN.exec(text);
      if (forbidden) broken.push(`${name}: U+${forbidden[0].charCodeAt(0).toString(16).padStart(4, '0')} at ${forbidden.index}`);
      // XML 1.0 §2.4: `]]>` may not appear in character data, only as the end of a CDATA section.
      const outsideCdata = text.replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, '');
      const terminator = outsideCdata.indexOf(']]>');
      if (terminator !== -1) broken.push(`${name}: ]]> outside CDATA: ${JSON.stringify(outsideCdata.slice(terminator - 30, terminator + 10))}`);
    }
    assert.deepEqual(broken.slice(0, 10), [], `${broken.length} files ${REPLAY}`);
  });

  it('writes XML that a conforming parser (Python expat) accepts', async (t) => {
    built();
    const available = await access(PYTHON).then(
      () => true,
      () => false,
    );
    if (!available && !IN_CI) {
      t.skip(`${PYTHON} is not installed`);
      return;
    }
    const { stdout } = await promisify(execFile)(PYTHON, ['-c', EXPAT_SCRIPT, feedsDir], { maxBuffer: 64 * 1024 * 1024 });
    const failures = JSON.parse(stdout) as [string, string][];
    assert.deepEqual(failures.slice(0, 10), [], `${failures.length} files ${REPLAY}`);
  });

  it('writes valid JSON Feed 1.1 in every .json', () => {
    built();
    let count = 0;
    for (const [name, text] of outputs) {
      if (!isFeedJson(name)) continue;
      let document: unknown;
      assert.doesNotThrow(() => (document = JSON.parse(text)), `${name} is JSON ${REPLAY}`);
      assert.doesNotThrow(() => assertValidJsonFeed(document, name), `${name} ${REPLAY}`);
      count++;
    }
    assert.ok(count > 10, REPLAY);
  });

  it('puts no script, frame, object, style, event handler or javascript:/data:/vbscript: URL in any entry or page', () => {
    built();
    const fragments: [string, string][] = [];
    for (const [name, document] of xmlDocuments) fragments.push(...entryHtmlOfXml(name, document));
    for (const [name, text] of outputs) {
      if (!isFeedJson(name)) continue;
      for (const item of JSON.parse(text).items as { id: string; content_html?: string }[]) {
        if (item.content_html) fragments.push([`${name} item ${item.id} content_html`, item.content_html]);
      }
    }
    assert.ok(fragments.length > byKind('good').length, REPLAY);
    // The same entry is in many feeds: parse each distinct piece of HTML once.
    const seen = new Map<string, string>();
    for (const [label, html] of fragments) if (!seen.has(html)) seen.set(html, label);
    const unsafe: string[] = [];
    for (const [html, label] of seen) for (const problem of unsafeHtml(html, ENTRY_FORBIDDEN_ELEMENTS)) unsafe.push(`${label}: ${problem}`);
    for (const [name, text] of outputs) {
      if (name.endsWith('.html')) for (const problem of unsafeHtml(text, PAGE_FORBIDDEN_ELEMENTS)) unsafe.push(`${name}: ${problem}`);
    }
    assert.deepEqual(unsafe.slice(0, 20), [], `${unsafe.length} unsafe constructs ${REPLAY}`);
  });
});
