/**
 * The front-matter fast path against the implementations it stands in for: gray-matter 4.0.3
 * (its `matter` and `content`, and its `data` with the js-yaml engine parse-article uses) and
 * js-yaml 3's FAILSAFE schema. Never against its own output: every expected value comes from
 * gray-matter or js-yaml. "Not mine" (undefined) is always allowed; a different answer never is.
 *
 * A failure in the random cases names the seed; replay it with
 * `FRONT_MATTER_SEED=<seed> node --import tsx --test test/content/front-matter.test.ts`.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import matter from 'gray-matter';
import yaml from 'js-yaml';
import { parseFrontMatterYaml, splitFrontMatter } from '../../src/content/front-matter.js';
import { generateCorpus, seedFromEnv, writeCorpus } from '../helpers/fuzz-corpus.js';
import { Random } from '../helpers/random.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SAMPLE_FILE = 'chinese-finance-group-calls-for-ai-regulation-in-ecosystem.md';
const SEED = Number(process.env.FRONT_MATTER_SEED ?? 0x5eed_f00d) >>> 0;
const REPLAY = `(seed ${SEED}; replay with FRONT_MATTER_SEED=${SEED})`;

// ---------------------------------------------------------------------------------------------
// The independent implementations

type Loaded = { ok: true; value: unknown } | { ok: false };

/** js-yaml 3 with the FAILSAFE schema, as parse-article calls it. */
function jsYaml(source: string): Loaded {
  try {
    return { ok: true, value: yaml.safeLoad(source, { schema: yaml.FAILSAFE_SCHEMA }) };
  } catch {
    return { ok: false };
  }
}

/** gray-matter's split alone: an engine that parses nothing (an options object also turns its cache off). */
const SPLIT_ONLY = { engines: { yaml: (): object => ({}) } };
/** gray-matter exactly as parse-article calls it. */
const AS_PARSE_ARTICLE = { engines: { yaml: (source: string): object => yaml.safeLoad(source, { schema: yaml.FAILSAFE_SCHEMA }) as object } };

/** gray-matter's `matter` (the text it hands the engine; '' when it has none) and `content`; undefined when it throws (a language after `---` with no engine). */
function grayMatterSplit(text: string): { matter: string; content: string } | undefined {
  try {
    const file = matter(text, SPLIT_ONLY) as unknown as { matter?: string; content: string };
    return { matter: file.matter ?? '', content: file.content };
  } catch {
    return undefined;
  }
}

function grayMatterData(text: string): Loaded {
  try {
    return { ok: true, value: matter(text, AS_PARSE_ARTICLE).data };
  } catch {
    return { ok: false };
  }
}

/** The value with every object's keys in order, so key order is compared too. */
function ordered(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(ordered);
  if (value !== null && typeof value === 'object') return Object.keys(value).map((key) => [key, ordered((value as Record<string, unknown>)[key])]);
  return value;
}

/** deepStrictEqual (prototypes included) and the same key order. */
function assertSame(actual: unknown, expected: unknown, message: string): void {
  assert.deepStrictEqual(actual, expected, message);
  assert.deepStrictEqual(ordered(actual), ordered(expected), `${message} (key order)`);
}

/** parseFrontMatterYaml(source) is undefined, or what js-yaml gives. Returns whether it was accepted. */
function checkYaml(source: string, label: string): boolean {
  const actual = parseFrontMatterYaml(source);
  if (actual === undefined) return false;
  const expected = jsYaml(source);
  if (!expected.ok) assert.fail(`${label}: js-yaml throws but the fast path gave ${JSON.stringify(actual)} for ${JSON.stringify(source)}`);
  assertSame(actual, expected.value, `${label}: ${JSON.stringify(source)}`);
  return true;
}

/**
 * The whole file: splitFrontMatter is undefined or gives gray-matter's matter and content; the
 * YAML (gray-matter's, whether or not the fast split accepted the file) is undefined or js-yaml's;
 * and when both accept, gray-matter's own data is the fast path's. Returns whether both accepted.
 */
function checkFile(text: string, label: string): boolean {
  const split = splitFrontMatter(text);
  const reference = grayMatterSplit(text);
  if (reference === undefined) {
    assert.equal(split, undefined, `${label}: gray-matter throws but the fast path split it`);
    return false;
  }
  if (split !== undefined) {
    assert.equal(split.yaml, reference.matter, `${label}: yaml`);
    assert.equal(split.body, reference.content, `${label}: body`);
  }
  const accepted = checkYaml(reference.matter, label);
  if (split === undefined || !accepted) return false;
  const data = grayMatterData(text);
  assert.ok(data.ok, `${label}: gray-matter throws but the fast path accepted it`);
  assertSame(parseFrontMatterYaml(split.yaml), data.value, `${label}: gray-matter data`);
  return true;
}

function markdownFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => path.join(dir, name));
}

// ---------------------------------------------------------------------------------------------
// A random generator of front matter built from tricky pieces


const GOOD_KEYS = ['title', 'excerpt', 'url', 'name', 'domain', 'a', 'b', 'x_y', 'a-b', 'K9', '1', '007', '_private', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];
/** safeDump quotes keys such as '1' and '007' (outside the fast path). */
const DUMPED_KEYS = GOOD_KEYS.filter((key) => !/^[0-9]+$/.test(key));
const HOSTILE_KEYS = ['__proto__', 'key with space', '"quoted"', "'single'", '-dash', '? q', '<<', 'ünï', '[a]', '{b}', '&anchor', '*alias', '!tag', 'k ', 'a#b', 'a:b', '.', '~', 'null', 'true'];
const WORDS = ['market', 'Zürich', '人工智能', 'مرحبا', '🦄', '👩‍👩‍👧', 'é', 'e\u0301', 'true', 'null', '~', '007', '2019-12-23T12:33:00Z', '1e3', '0x1F', '.inf', 'NO', 'yes', 'http://a.example/x?y=1&z=2'];
const PLAIN_PIECES = [' ', ':', ': ', '#', ' #', '-', '- ', '?', '\'', '"', '\\', '\\n', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', '%', '@', '`', '...', '---', '  ', 'a:b', 'x#y', '<<'];
const ESCAPES = ['\\"', '\\\\', '\\/', '\\n', '\\t', '\\r', '\\b', '\\f', '\\0', '\\a', '\\v', '\\e', '\\ ', '\\N', '\\_', '\\L', '\\P', '\\x41', '\\xe9', '\\u00e9', '\\u2028', '\\uD83D\\uDE00', '\\uD800', '\\uDFFF', '\\U0001F600', '\\U00110000', '\\UFFFFFFFF', '\\q', '\\x4', '\\u12G4', '\\', '\\\''];
const RAW_CHARACTERS = ['\t', '\r', '\u0001', '\u007F', '\u0085', '\u009F', '\u00A0', '\u2028', '\uFEFF', '\uFFFE', '\uD800', '\uDC00', '😀', '\u0000'];

function word(random: Random): string {
  return random.pick(WORDS);
}

/**
 * A scalar as written after `key: ` or `- `. With hostility 0, only forms inside the fast path's
 * subset; otherwise that share of scalars is broken or odd in some way.
 */
function scalarText(random: Random, hostility: number): string {
  const clean = !random.chance(hostility);
  const kind = clean ? random.int(0, 2) : random.int(0, 4);
  if (kind === 0) {
    // plain
    const parts = [word(random)];
    const count = random.int(0, 3);
    for (let i = 0; i < count; i++) {
      if (clean) parts.push(random.pick([' ', '-', '.', '/', 'x:y', "'", '"', '\\', '#', ',', '[', '}']) + word(random));
      else parts.push(random.pick(PLAIN_PIECES) + (random.chance(0.7) ? word(random) : ''));
    }
    if (!clean && random.chance(0.3)) parts.unshift(random.pick(PLAIN_PIECES));
    if (random.chance(0.2)) parts.push(' '.repeat(random.int(1, 3)));
    return parts.join('');
  }
  if (kind === 1) {
    // double-quoted
    let body = '';
    const count = random.int(0, 4);
    for (let i = 0; i < count; i++) {
      const roll = random.int(0, 3);
      if (roll === 0) body += word(random);
      else if (roll === 1) body += random.pick([' ', ':', ': ', ' # ', '#', "'", '-', '{', '[', '&*!|>%@`', '  ']);
      else body += clean ? random.pick(ESCAPES.slice(0, 25)) : random.pick(ESCAPES);
    }
    const close = clean || random.chance(0.7) ? '"' : '';
    const after = clean || random.chance(0.7) ? '' : random.pick(['x', ' # c', ':', '"', ': x']);
    return `"${body}${close}${random.chance(0.2) ? ' '.repeat(random.int(1, 2)) : ''}${after}`;
  }
  if (kind === 2) {
    // single-quoted
    let body = '';
    const count = random.int(0, 4);
    for (let i = 0; i < count; i++) body += random.pick([word(random), "''", ' ', '"', '\\', ': ', ' #', '\\n', '\\"']);
    const close = clean || random.chance(0.7) ? "'" : '';
    const after = clean || random.chance(0.7) ? '' : random.pick(['x', "'", ' # c']);
    return `'${body}${close}${random.chance(0.2) ? ' '.repeat(random.int(1, 2)) : ''}${after}`;
  }
  if (kind === 3) return random.pick(['[a, b]', '{a: 1}', '&a x', '*a', '!!str x', '!x y', '|', '>-', '|2', '~', '', ' ', '- a', '? x', ': x', '%x', '@x', '`x`', '#c', '-1', '?x', ':x', '---', '...', '"', "'"]);
  return `${word(random)}${random.pick(RAW_CHARACTERS)}${word(random)}`;
}

/** A block mapping at `indent`: lines of `key: value`, nested mappings and sequences. */
function mapping(random: Random, indent: number, depth: number, hostility: number, out: string[], firstPrefix?: string): void {
  const count = random.int(1, depth > 2 ? 3 : 6);
  const used = new Set<string>();
  for (let i = 0; i < count; i++) {
    let key = random.pick(GOOD_KEYS);
    if (random.chance(hostility / 2)) key = random.pick(HOSTILE_KEYS);
    else if (used.has(key) && !random.chance(hostility)) continue; // a duplicate key, sometimes
    used.add(key);
    // The first key of a mapping that is a sequence item goes on the `- ` line.
    const prefix = i === 0 && firstPrefix !== undefined ? firstPrefix : ' '.repeat(indent);
    const roll = random.int(0, depth > 3 ? 0 : 9);
    if (roll <= 5) {
      out.push(`${prefix}${key}: ${scalarText(random, hostility)}`);
    } else if (roll <= 7) {
      out.push(`${prefix}${key}:${random.chance(0.2) ? '  ' : ''}`);
      mapping(random, indent + random.int(1, 4), depth + 1, hostility, out);
    } else {
      out.push(`${prefix}${key}:`);
      sequence(random, indent + random.int(0, 3), depth + 1, hostility, out);
    }
    if (random.chance(hostility / 2)) out.push(`${' '.repeat(indent)}${key}:`); // an empty value, or a duplicate
  }
}

function sequence(random: Random, indent: number, depth: number, hostility: number, out: string[]): void {
  const count = random.int(1, 4);
  for (let i = 0; i < count; i++) {
    const dash = `${' '.repeat(indent)}-${' '.repeat(random.chance(hostility) ? random.int(0, 1) : random.int(1, 3))}`;
    if (depth < 4 && random.chance(0.4)) mapping(random, dash.length, depth + 1, hostility, out, dash);
    else out.push(`${dash}${scalarText(random, hostility)}`);
  }
}

/**
 * A whole front matter (what gray-matter hands the engine: starts with `\n`), with blank and
 * comment lines anywhere. Hostile ones also get a few mutations: indentation off, continuation
 * lines, document markers, tabs, CR, raw characters, duplicated or deleted lines, odd values.
 */
function frontMatterYaml(random: Random, hostile: boolean): string {
  const hostility = hostile ? 0.04 : 0;
  const lines: string[] = [];
  mapping(random, 0, 0, hostility, lines);
  const count = random.int(0, 3);
  for (let i = 0; i < count; i++) {
    const at = random.int(0, lines.length);
    lines.splice(at, 0, random.pick(['', '   ', '# a comment', `${' '.repeat(random.int(1, 8))}# indented comment: x`, '#', '  #', '#: x', '# "unclosed']));
  }
  if (hostile) {
    const mutations = random.int(0, 2);
    for (let i = 0; i < mutations && lines.length > 0; i++) {
      const at = random.int(0, lines.length - 1);
      const line = lines[at]!;
      switch (random.int(0, 9)) {
        case 0: // indentation off by one
          lines[at] = random.chance(0.5) ? ` ${line}` : line.replace(/^ /, '');
          break;
        case 1:
          lines[at] = `${' '.repeat(random.int(0, 6))}${line.trimStart()}`;
          break;
        case 2: // a continuation line
          lines.splice(at + 1, 0, `${' '.repeat(random.int(1, 8))}${random.pick([word(random), `${word(random)}: x`, '- x', `"${word(random)}"`])}`);
          break;
        case 3:
          lines.splice(at + 1, 0, random.pick(['---', '...', '--- x', '%YAML 1.2', '? k', ': v', '-', '- ', '  -', '<<: x', 'k: v # c', '[a, b]: c', '"k": v', "'k': v", 'k :v', 'k:v']));
          break;
        case 4: // a tab or CR somewhere
          lines[at] = `${line.slice(0, random.int(0, line.length))}${random.pick(['\t', '\r', '\t '])}${line.slice(random.int(0, line.length))}`;
          break;
        case 5:
          lines[at] = `${line}${' '.repeat(random.int(1, 3))}`;
          break;
        case 6: // a raw character anywhere
          lines[at] = `${line}${random.pick(RAW_CHARACTERS)}`;
          break;
        case 7: // a duplicate line
          lines.splice(at, 0, line);
          break;
        case 8:
          lines.splice(at, 1);
          break;
        default:
          lines[at] = `${' '.repeat(random.int(0, 6))}${random.pick(GOOD_KEYS)}:${random.pick(['', ' ', ' |', ' >', ' &a', ' *a', ' !t x', ' {}', ' []'])}`;
      }
    }
  }
  return `\n${lines.join('\n')}`;
}

/** A whole file: front matter in one of the shapes gray-matter treats differently, and a body. */
function fileText(random: Random): string {
  const open = random.chance(0.6) ? '---\n' : random.pick(['---\n', '---\r\n', '--- \n', '---yaml\n', '---  yaml \n', '----\n', '\uFEFF---\n', '---', '']);
  const yamlText = frontMatterYaml(random, random.chance(0.4)).slice(1);
  const close = random.chance(0.6) ? '\n---' : random.pick(['\n---', '\n----', '\n--- ', '\n---x', '\n---\r', '\n...', '', '\n---\n---']);
  const body = random.pick(['\n', '\nBody text.\n', '\n\nBody after a blank line.\n', '', '\r\nCRLF body', 'tail', '\n---\nmore: yaml\n---\n', '\n\n\n']);
  const empty = random.chance(0.05);
  return `${open}${empty ? random.pick(['', '\n', '# only a comment', '#']) : yamlText}${close}${body}`;
}

// ---------------------------------------------------------------------------------------------

describe('front-matter fast path', () => {
  describe('bundled content, the sample and the hostile fixtures', () => {
    const files = [
      ...markdownFiles(path.join(ROOT, 'content')),
      ...markdownFiles('/work/shared/samples/content'),
      ...markdownFiles(path.join(ROOT, 'test/fixtures/hostile')),
    ];

    it('agree with gray-matter and js-yaml, and the fast path accepts every bundled article', () => {
      let bundledAccepted = 0;
      let bundled = 0;
      for (const file of files) {
        const text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
        const accepted = checkFile(text, file);
        if (file.startsWith(path.join(ROOT, 'content'))) {
          bundled++;
          if (accepted) bundledAccepted++;
        }
      }
      assert.ok(bundled > 0);
      assert.equal(bundledAccepted, bundled, 'every bundled article takes the fast path');
    });
  });

  describe('the reference article', () => {
    const text = readFileSync(path.join(ROOT, 'content', SAMPLE_FILE), 'utf8');

    it('is split and parsed, and equals js-yaml and gray-matter', () => {
      const split = splitFrontMatter(text);
      assert.ok(split, 'split');
      const data = parseFrontMatterYaml(split.yaml);
      assert.ok(data, 'parsed');
      assertSame(data, yaml.safeLoad(split.yaml, { schema: yaml.FAILSAFE_SCHEMA }), 'js-yaml');
      assertSame(data, matter(text, AS_PARSE_ARTICLE).data, 'gray-matter');
      assert.equal(split.body, matter(text, AS_PARSE_ARTICLE).content);
      // Spot checks, in case both references were somehow wrong the same way.
      assert.equal(data.title, 'Chinese Finance Group Calls For AI Regulation In Ecosystem');
      assert.equal(data.quality, '57');
      assert.equal(data.published, 'true');
      assert.deepEqual(data.topics, ['AI']);
      assert.deepEqual(data.provider, { name: 'pymnts.com', domain: 'pymnts.com' });
      assert.equal(Object.getPrototypeOf(data), Object.prototype);
    });
  });

  describe('the fuzz corpus (test/helpers/fuzz-corpus.ts), written to disk and read back', () => {
    const seed = seedFromEnv();
    let texts: { file: string; text: string }[] = [];

    before(async () => {
      const dir = await makeTempDir('front-matter-fuzz-');
      await writeCorpus(dir, generateCorpus({ seed, count: 1000 }));
      const names = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile());
      texts = await Promise.all(
        names.map(async (entry) => {
          const file = path.join(entry.parentPath, entry.name);
          return { file, text: (await readFile(file)).toString('utf8') };
        }),
      );
    });

    it(`agrees with gray-matter and js-yaml on every file (FUZZ_SEED=${seed})`, (t) => {
      assert.ok(texts.length >= 1000);
      let accepted = 0;
      for (const { file, text } of texts) {
        checkFile(text, file);
        if (checkFile(text.replace(/^\uFEFF/, ''), file)) accepted++;
      }
      t.diagnostic(`accepted ${accepted} of ${texts.length}`);
      // About 70% of the corpus is valid articles, and most of those are LF without odd YAML.
      assert.ok(accepted > texts.length * 0.2, `the fast path accepted only ${accepted} of ${texts.length}`);
    });
  });

  describe(`seeded random front matter ${REPLAY}`, () => {
    it('well-formed front matter: agrees with js-yaml, and most of it takes the fast path', (t) => {
      const random = new Random(SEED);
      let accepted = 0;
      const cases = 3000;
      for (let i = 0; i < cases; i++) {
        const source = frontMatterYaml(random, false);
        if (checkYaml(source, `clean case ${i} ${REPLAY}`)) accepted++;
      }
      t.diagnostic(`accepted ${accepted} of ${cases}`);
      assert.ok(accepted >= cases * 0.9, `the fast path accepted only ${accepted} of ${cases} well-formed cases`);
    });

    it('hostile front matter: agrees with js-yaml whenever it answers', (t) => {
      const random = new Random(SEED ^ 0x9e3779b9);
      let accepted = 0;
      let jsYamlThrew = 0;
      const cases = 6000;
      for (let i = 0; i < cases; i++) {
        const source = frontMatterYaml(random, true);
        if (checkYaml(source, `hostile case ${i} ${REPLAY}`)) accepted++;
        else if (!jsYaml(source).ok) jsYamlThrew++;
      }
      t.diagnostic(`accepted ${accepted} of ${cases}; js-yaml threw on ${jsYamlThrew}`);
      // Both sides are exercised: plenty accepted, plenty refused.
      assert.ok(accepted > cases * 0.1, `accepted ${accepted} of ${cases}`);
      assert.ok(accepted < cases * 0.9, `accepted ${accepted} of ${cases}`);
      assert.ok(jsYamlThrew > cases * 0.05, `js-yaml threw on ${jsYamlThrew} of ${cases}`);
    });

    it('whole files with odd delimiters: agree with gray-matter', (t) => {
      const random = new Random(SEED ^ 0x85ebca6b);
      let split = 0;
      const cases = 3000;
      for (let i = 0; i < cases; i++) {
        const text = fileText(random);
        checkFile(text, `file case ${i} ${REPLAY}`);
        if (splitFrontMatter(text) !== undefined) split++;
      }
      t.diagnostic(`split ${split} of ${cases}`);
      assert.ok(split > cases * 0.2, `split only ${split} of ${cases}`);
    });

    it('objects written by js-yaml safeDump: agree with js-yaml, and most take the fast path', (t) => {
      const random = new Random(SEED ^ 0xc2b2ae35);
      const text = (): string =>
        random.chance(0.2) ? scalarText(random, 0.3) : random.pick([word(random), `${word(random)}${random.pick([' ', ': ', ' #', "'", '"', '\\', '-', ''])}${word(random)}`]);
      // Sequences of sequences (`- - a`) and multi-line strings (block scalars) are outside the fast path: rare here.
      const value = (depth: number, inSequence = false): unknown => {
        const roll = random.int(0, depth > 2 ? 1 : 3);
        if (roll <= 1) return random.chance(0.02) ? `${word(random)}\n${word(random)}` : text();
        if (roll === 2 && (!inSequence || random.chance(0.1))) return Array.from({ length: random.int(1, 3) }, () => value(depth + 1, true));
        return Object.fromEntries(Array.from({ length: random.int(1, 4) }, () => [random.pick(DUMPED_KEYS), value(depth + 1)]));
      };
      let accepted = 0;
      const cases = 1500;
      for (let i = 0; i < cases; i++) {
        const object = Object.fromEntries(Array.from({ length: random.int(1, 6) }, () => [random.pick(DUMPED_KEYS), value(0)]));
        const source = `\n${yaml.safeDump(object, { lineWidth: -1 }).trimEnd()}`;
        if (checkYaml(source, `dumped case ${i} ${REPLAY}`)) {
          accepted++;
          assertSame(parseFrontMatterYaml(source), JSON.parse(JSON.stringify(object)), `dumped case ${i}: the object written`);
        }
      }
      t.diagnostic(`accepted ${accepted} of ${cases}`);
      assert.ok(accepted > cases * 0.5, `the fast path accepted only ${accepted} of ${cases}`);
    });
  });

  describe('splitFrontMatter', () => {
    const cases: readonly [string, { yaml: string; body: string } | undefined][] = [
      ['---\na: 1\n---\nbody\n', { yaml: '\na: 1', body: 'body\n' }],
      ['---\na: 1\n---\n\nbody', { yaml: '\na: 1', body: '\nbody' }],
      ['---\na: 1\n---', { yaml: '\na: 1', body: '' }],
      ['---\na: 1\n---\n', { yaml: '\na: 1', body: '' }],
      ['---\n---\nbody', { yaml: '', body: 'body' }],
      ['---\n\n---\nbody', { yaml: '\n', body: 'body' }],
      ['---\na: 1\n---\nx\n---\ny', { yaml: '\na: 1', body: 'x\n---\ny' }],
      ['---\na: 1\n----\nbody', undefined], // gray-matter closes at `\n---` and keeps `-\nbody`
      ['---\na: 1\n--- \nbody', undefined],
      ['---\na: 1\n---x\nbody', undefined],
      ['---\na: 1\n---\r\nbody', undefined],
      ['---\na: 1\n', undefined], // no closing line: gray-matter takes it all as YAML
      ['---\r\na: 1\r\n---\r\nbody', undefined],
      ['---yaml\na: 1\n---\n', undefined],
      ['--- \na: 1\n---\n', undefined],
      ['----\na: 1\n---\n', undefined],
      ['\uFEFF---\na: 1\n---\n', undefined],
      ['a: 1\n---\n', undefined],
      ['', undefined],
      ['---', undefined],
    ];
    for (const [text, expected] of cases) {
      it(`${JSON.stringify(text)} → ${JSON.stringify(expected)}`, () => {
        const actual = splitFrontMatter(text);
        assert.deepEqual(actual, expected);
        if (actual !== undefined) {
          const reference = grayMatterSplit(text);
          assert.ok(reference);
          assert.equal(actual.yaml, reference.matter);
          assert.equal(actual.body, reference.content);
        }
      });
    }
  });

  describe('parseFrontMatterYaml', () => {
    const accepted: readonly string[] = [
      '\ntitle: Hello\nquality: 57\npublished: true\nnothing: null\ntilde: ~\ndate: 2019-12-23T12:33:00Z',
      '\nprovider:\n  name: pymnts.com\n  domain: pymnts.com\ntopics:\n  - AI\n  - "Machine Learning"',
      '\ntopics:\n- a\n- b\nnext: c',
      '\nimages:\n  - url: https://a.example/x.jpg\n    width: 457\n    tags:\n    - x\n    - y\n  - url: b\nsecured: "s"',
      '\nrelated:\n  -   title: wide\n      provider:\n        name: "YAHOO!"\n      quality: 4',
      '\nx: "esc \\" \\\\ \\/ \\n \\t \\r \\b \\f \\0 \\u00e9 \\uD83D\\uDE00 \\x41 \\U0001F600 \\N \\_ \\L \\P \\e \\a \\v \\ "',
      "\nx: 'it''s \\n \" # : '",
      '\nx: a:b#c -d ?e [f] {g} ,h',
      '\nx: trailing spaces   \ny: "q"   \nz: \'s\'  ',
      '\n# comment\n\na: 1\n    # indented comment\n\nb:\n  # comment before the block\n  c: 2',
      '\nconstructor: x\ntoString: y\n1: one\n007: seven',
      '\nx: Zürich 人工智能 مرحبا 🦄 👩‍👩‍👧 e\u0301 \u00A0nbsp',
      '\na:\n  b:\n    c:\n      d:\n        - e: f\n          g:\n            - h',
    ];
    for (const source of accepted) {
      it(`accepts ${JSON.stringify(source)} with js-yaml's result`, () => {
        const actual = parseFrontMatterYaml(source);
        assert.notEqual(actual, undefined, 'accepted');
        assertSame(actual, yaml.safeLoad(source, { schema: yaml.FAILSAFE_SCHEMA }), 'js-yaml');
      });
    }

    const refused: readonly [string, string][] = [
      ['flow sequence', '\nx: [a, b]'],
      ['flow mapping', '\nx: {a: 1}'],
      ['anchor', '\nx: &a v\ny: *a'],
      ['alias', '\nx: *a'],
      ['tag', '\nx: !!str v'],
      ['local tag', '\nx: !t v'],
      ['literal block scalar', '\nx: |\n  text'],
      ['folded block scalar', '\nx: >-\n  text'],
      ['multi-line plain scalar', '\nx: one\n  two'],
      ['multi-line plain scalar in a sequence', '\nx:\n  - one\n    two'],
      ['multi-line double-quoted scalar', '\nx: "one\n  two"'],
      ['multi-line single-quoted scalar', "\nx: 'one\n  two'"],
      ['line continuation in a double-quoted scalar', '\nx: "one\\\n  two"'],
      ['key with an empty value', '\nx:\ny: 1'],
      ['key with an empty value at the end', '\nx: 1\ny:'],
      ['empty sequence item', '\nx:\n  -\n  - a'],
      ['nested sequence', '\nx:\n  - - a'],
      ['tab indentation', '\nx:\n\ty: 1'],
      ['tab in a value', '\nx: a\tb'],
      ['tab in a quoted value', '\nx: "a\tb"'],
      ['CR', '\nx: a\r\ny: b'],
      ['control character', '\nx: "a\u0001"'],
      ['DEL', '\nx: a\u007F'],
      ['C1 control', '\nx: "a\u0085"'],
      ['U+2028', '\nx: a\u2028b'],
      ['BOM inside', '\nx: a\uFEFFb'],
      ['non-character', '\nx: "\uFFFE"'],
      ['lone high surrogate', '\nx: "a\uD800"'],
      ['lone low surrogate', '\nx: a\uDC00'],
      ['NUL', '\nx: a\u0000'],
      ['document start inside', '\nx: 1\n---\ny: 2'],
      ['document end inside', '\nx: 1\n...\ny: 2'],
      ['directive', '%YAML 1.2\n---\nx: 1'],
      ['explicit key', '\n? x\n: 1'],
      ['duplicate key', '\nx: 1\nx: 2'],
      ['duplicate nested key', '\nx:\n  a: 1\n  a: 2'],
      ['__proto__ key', '\n__proto__: x'],
      ['quoted key', '\n"x": 1'],
      ['key with a space before the colon', '\nx : 1'],
      ['merge key', '\n<<: x'],
      ['indentation between two levels', '\nx:\n    a: 1\n  b: 2'],
      ['indentation deeper than the open mapping', '\nx: 1\n  y: 2'],
      ['top level indented', '\n  x: 1'],
      ['key after a deeper sequence', '\nx:\n  - a\n  y: 1'],
      ['item after a mapping entry at the same column', '\nx:\n  a: 1\n  - b'],
      ['sequence at the top', '\n- a\n- b'],
      ['scalar document', '\njust text'],
      ['empty', ''],
      ['only comments', '\n# a\n# b'],
      ['plain value with ": "', '\nx: a: b'],
      ['plain value ending with ":"', '\nx: a:'],
      ['plain value with " #"', '\nx: a # comment'],
      ['quoted value with a comment', '\nx: "a" # comment'],
      ['text after a closing quote', '\nx: "a"b'],
      ['unclosed double quote', '\nx: "a'],
      ['unclosed single quote', "\nx: 'a"],
      ['unknown escape', '\nx: "\\q"'],
      ['short hex escape', '\nx: "\\x4"'],
      ['\\U beyond U+10FFFF', '\nx: "\\U00110000"'],
      ...['-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '%', '@', '`'].map(
        (indicator): [string, string] => [`plain value starting with ${indicator}`, `\nx: ${indicator}a`],
      ),
    ];
    for (const [name, source] of refused) {
      it(`refuses ${name}`, () => {
        assert.equal(parseFrontMatterYaml(source), undefined);
      });
    }
  });
});
