/**
 * A seeded, deterministic corpus of article files for robustness tests: valid articles full of
 * hostile text, drafts, and broken files made by mutating valid ones. The same seed always gives
 * the same bytes (the PRNG is mulberry32, no dependency), so a failure is replayed with
 * `FUZZ_SEED=<seed> node --import tsx --test <file>`.
 *
 * Each file's content depends only on (seed, its index), so a smaller corpus is not a reshuffled
 * one. The YAML is written by hand (not by a YAML library) so the corpus can hold what people
 * write: CRLF line endings, a byte-order mark, escapes for control characters and lone
 * surrogates, plain, quoted and block scalars.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { envSeed, Random } from './random.js';

/** The default seed; FUZZ_SEED overrides it. */
export const DEFAULT_FUZZ_SEED = 20261125;
/** Configure the build with this MAX_FILE_BYTES: the corpus's "huge" files are larger. */
export const FUZZ_MAX_FILE_BYTES = 65_536;
/** Build at this instant: every valid article is dated before it. */
export const FUZZ_CLOCK = new Date('2026-11-25T00:00:00Z');

export type FuzzKind = 'good' | 'bad' | 'draft';

export interface FuzzFile {
  /** Path relative to the content folder, with `/` separators. */
  readonly file: string;
  readonly bytes: Buffer;
  readonly kind: FuzzKind;
  /** The file's `secured` string (a unique 40–80 base64 characters), when its bytes hold one. */
  readonly secured?: string;
  /** The title as written (drafts and broken files: a unique marker title). */
  readonly title?: string;
  /** The entry id the article would have: its `id`, or its sourceUrl normalised by WHATWG URL. */
  readonly id?: string;
  /** The normalised sourceUrl, when it is the file's own (not another file's, as in a duplicate). */
  readonly sourceUrl?: string;
  /** Broken files: how the valid article was broken. */
  readonly mutation?: string;
  /** Broken files: the Problem code the README promises for it. */
  readonly expectedCode?: 'ARTICLE_INVALID' | 'ARTICLE_UNREADABLE' | 'DUPLICATE_ID';
}

export interface CorpusOptions {
  readonly seed: number;
  readonly count: number;
  /** Shares of each kind; the rest of 1 is broken files. Defaults: 0.7 good, 0.1 drafts. */
  readonly goodShare?: number;
  readonly draftShare?: number;
}

/** FUZZ_SEED (decimal or 0x…) or DEFAULT_FUZZ_SEED. */
export function seedFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): number {
  return envSeed('FUZZ_SEED', DEFAULT_FUZZ_SEED, env);
}

export { mulberry32 } from './random.js';

/** Mixes the seed and an index into the seed of that file's own stream. */
function streamSeed(seed: number, index: number, salt: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const value of [index, salt]) {
    h = Math.imul(h ^ value, 0x85ebca6b) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
  }
  return h;
}


const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const TOKEN = 'abcdefghijkmnpqrstuvwxyz23456789';

// ---------------------------------------------------------------------------------------------
// Hostile text

const WORDS = [
  'market', 'regulators', 'quantum', 'battery', 'fintech', 'lenders', 'satellite', 'payments', 'carbon', 'inference',
  'robots', 'drone', 'outlook', 'growth', 'audit', 'privacy', 'chips', 'grid', 'launch', 'review', 'café', 'naïve', 'Zürich',
];
const EMOJI = ['🦄', '🚀', '👩‍👩‍👧', '🏳️‍🌈', '😀', '🇯🇵', '👍🏽'];
const CJK = ['人工智能的未来', '東京の市場', '금융 규제', '量子コンピュータ'];
const RTL = ['مرحبا بالعالم', 'שלום עולם', 'الذكاء الاصطناعي', '\u202Ereversed\u202C', 'עברית ومزيج mixed'];
/** XML 1.0 forbids these (tab, LF and CR are allowed); C1 controls and non-characters too. */
const FORBIDDEN = ['\u0001', '\u0002', '\u0007', '\u0008', '\u000B', '\u000C', '\u000E', '\u001B', '\u001F', '\u007F', '\u0085', '\u009F', '\uFFFE', '\uFFFF'];
const LONE_SURROGATES = ['\uD800', '\uDBFF', '\uDC00', '\uDFFF'];
const CDATA_ENDS = [']]>', ']]> and ]]> again', ']]]]>>', '<![CDATA[ x ]]> ]]>', 'x]]>y]]>z]]>'];
const MARKUP_TEXT = [
  '<script>alert("t")</script>', '<img src=x onerror=alert(1)>', '<a href="javascript:alert(1)" onclick="x()">click</a>', '<b>bold',
  '</div>', '& &amp; &lt; &#0; &#1; &bogus; &#xD800;', '"quotes" \'single\'', '<![CDATA[', '<!-- comment', '<?xml version="1.0"?>',
];

/** Markdown links and images with URLs a sanitiser must drop or keep. */
const LINK_URLS = [
  'javascript:alert(1)', 'JaVaScRiPt:alert(document.cookie)', ' javascript:alert(1)', 'java\tscript:alert(1)',
  'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==', 'DATA:text/html,<script>alert(1)</script>', 'vbscript:msgbox(1)',
  'https://ok.example.com/a%20b', '/relative/path?x=1', '#fragment', 'mailto:desk@example.com', '//protocol-relative.example/x',
  'https://ok.example.com/ü/文章', 'http://ok.example.com/x?a=<b>&c="d"',
];

/** Raw HTML blocks: each one something sanitize-html must remove or defuse. */
const HTML_BLOCKS = [
  '<script>alert("body")</script>',
  '<SCRIPT SRC=//evil.example/x.js></SCRIPT>',
  '<img src=x onerror="alert(1)">',
  '<img src="https://img.example.com/ok.png" onload="alert(1)" srcset="javascript:alert(1) 1x">',
  '<a href="javascript:alert(1)" onclick="steal()">raw link</a>',
  '<a href="&#106;avascript:alert(1)">entity link</a>',
  '<a href="java&#x09;script:alert(1)">tab entity</a>',
  '<a href=" data:text/html,<script>alert(1)</script>">spaced data</a>',
  '<a href="vbscript:msgbox(1)">vb</a>',
  '<iframe src="javascript:alert(1)"></iframe>',
  '<object data="data:text/html,<script>alert(1)</script>"></object>',
  '<embed src="data:image/svg+xml;base64,PHN2Zy8+">',
  '<style>body { display: none }</style>',
  '<svg onload="alert(1)"><circle r="1"/><script>alert(2)</script></svg>',
  '<div style="background:url(javascript:alert(1))" onmouseover="x()">hover</div>',
  '<form action="javascript:alert(1)"><input onfocus=alert(1) autofocus><button formaction="javascript:x">b</button></form>',
  '<math><a xlink:href="javascript:alert(1)">math</a></math>',
  '<base href="javascript:alert(1)//">',
  '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
  '<link rel="stylesheet" href="data:text/css,*{}">',
  '<video poster="javascript:alert(1)" src=x onerror=alert(1)></video>',
  '<details open ontoggle=alert(1)><summary>s</summary></details>',
  '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
  '<scr<script>ipt>alert(1)</scr</script>ipt>',
  '<template><script>alert(1)</script></template>',
  '<textarea><script>alert(1)</script></textarea>',
  '<img src="DATA:image/png;base64,AAAA" alt="data image">',
  '<img src="https://img.example.com/a b/ü.jpg" alt="spaces">',
  '<div>&#1;&#xFFFE;&#0;&#xD800; entities of forbidden characters</div>',
  '<div><b>unclosed bold <i>and italic',
  '<p class="x',
  '<a href="https://ok.example.com/',
  '<table><tr><td>cell',
  '<![CDATA[ raw ]]> ]]> in html',
];

// ---------------------------------------------------------------------------------------------
// Pools shared by many articles (so feeds group them), with colliding and non-ASCII names

const TOPICS = [
  'AI', 'ai', 'Ai', 'Machine Learning', 'machine learning', 'Fintech', 'Zürich', 'São Paulo', 'Технологии', '人工智能',
  'R&D', 'Climate Tech', 'الذكاء الاصطناعي', 'Space 🚀', 'All', 'Index', 'Cyber-Security', 'cyber security',
];
const CATEGORIES = ['news', 'Analysis', 'Opinion & Editorial', 'Überblick', '評論', 'news ]]> wire'];
const PROVIDERS: readonly { name: string; domain?: string }[] = [
  { name: 'pymnts.com', domain: 'pymnts.com' },
  { name: 'Wire ]]> Service ]]>', domain: 'wire.example.org' },
  { name: 'R&D <Weekly>', domain: 'rd.example.net' },
  { name: 'Bücher Zeitung', domain: 'bücher.example' },
  { name: 'Nikkei 日経', domain: 'nikkei.example.jp' },
  { name: 'الجزيرة', domain: 'aljazeera.example' },
  { name: 'No Domain Daily' },
  { name: '"Quoted" & Co', domain: 'QUOTED.Example.COM' },
];
const HOSTS = ['news.example.com', 'www.pymnts.example', 'News.Example.COM', 'bücher.example', 'feeds.example.net:8443', 'xn--bcher-kva.example'];
const IMAGE_URLS = [
  (n: string) => `https://www.bing.com/th?id=ON.${n}`,
  (n: string) => `https://img.example.com/photos/${n}`,
  (n: string) => `https://img.example.com/a b/ü ${n}.jpg`,
  (n: string) => `https://img.example.com/画像/${n}.png`,
  (n: string) => `https://cdn.example.org/p/${n}.webp?w=640&h=480`,
  (n: string) => `http://img.example.com/${n}.GIF`,
  (n: string) => ` https://img.example.com/trimmed-${n}.jpeg `,
];
const SECTIONS = ['2025/07', 'sections/tech', 'sections/ünï cödé', 'deep/a/b/c'];

// ---------------------------------------------------------------------------------------------
// YAML writing

/**
 * A YAML double-quoted scalar. JSON's escapes are YAML's too; YAML also refuses raw C1 controls,
 * U+FEFF and non-characters, so those are escaped as well (JSON.stringify already escapes C0
 * controls and lone surrogates).
 */
export function yamlQuote(text: string): string {
  return JSON.stringify(text).replace(/[\u007F-\u009F\u2028\u2029\uFEFF\uFFFE\uFFFF]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function pad(index: number): string {
  return String(index).padStart(5, '0');
}

// ---------------------------------------------------------------------------------------------
// Pieces of an article

function securedValue(random: Random, taken: Set<string>): string {
  for (;;) {
    let value: string;
    if (random.chance(0.35)) {
      // Like the bundled content: a long blob and a short one, joined by ';', each part >= 12.
      const second = random.int(12, 22);
      const first = random.int(Math.max(12, 40 - second - 1), 80 - second - 1);
      value = `${base64Blob(random, first)};${base64Blob(random, second)}`;
    } else {
      value = base64Blob(random, random.int(40, 80));
    }
    if (!taken.has(value)) {
      taken.add(value);
      return value;
    }
  }
}

/** Base64 characters, sometimes ending with '=' padding. */
function base64Blob(random: Random, length: number): string {
  const padding = random.chance(0.4) ? random.pick(['=', '==']) : '';
  return random.chars(BASE64, length - padding.length) + padding;
}

/** The `secured:` lines, in one of the styles YAML allows. */
function securedYaml(random: Random, value: string): string {
  switch (random.int(0, 5)) {
    case 0:
      return `secured: ${value}`;
    case 1:
      return `secured: '${value}'`;
    case 2:
      return `secured: |\n  ${value}`;
    case 3:
      return `secured:\n  token: ${yamlQuote(value)}\n  kind: opaque`;
    case 4:
      return `secured:\n  - ${yamlQuote(value)}`;
    default:
      return `secured: ${yamlQuote(value)}`;
  }
}

function words(random: Random, min: number, max: number): string {
  return Array.from({ length: random.int(min, max) }, () => random.pick(WORDS)).join(' ');
}

/** One piece of hostile text for a single-line field (written quoted, so anything goes). */
function hostileBit(random: Random): string {
  switch (random.int(0, 8)) {
    case 0:
      return random.pick(EMOJI);
    case 1:
      return random.pick(CJK);
    case 2:
      return random.pick(RTL);
    case 3:
      return random.pick(FORBIDDEN) + random.pick(FORBIDDEN);
    case 4:
      return random.pick(LONE_SURROGATES);
    case 5:
      return random.pick(CDATA_ENDS);
    case 6:
      return random.pick(MARKUP_TEXT);
    case 7:
      return '\uFEFF';
    default:
      return 'e\u0301 vs é, tab\there, new\nline';
  }
}

/** Words with hostile text mixed in; always starts with a word, so it never cleans to ''. */
function hostileLine(random: Random, minWords: number, maxWords: number, hostility: number): string {
  const parts = [words(random, minWords, maxWords)];
  const count = random.int(0, hostility);
  for (let i = 0; i < count; i++) parts.push(hostileBit(random), words(random, 0, 2));
  return parts.join(' ');
}

function markdownLink(random: Random): string {
  const url = random.pick(LINK_URLS);
  const label = `${random.pick(WORDS)} ${random.chance(0.3) ? random.pick(CDATA_ENDS) : ''}`.trim();
  return random.chance(0.25) ? `![${label}](${url})` : `[${label}](${url})`;
}

/** A Markdown body: paragraphs, links, raw HTML, code, control characters (never NUL). */
function hostileBody(random: Random): string {
  if (random.chance(0.2)) return '';
  const blocks: string[] = [];
  const count = random.int(1, 6);
  for (let i = 0; i < count; i++) {
    switch (random.int(0, 9)) {
      case 0:
      case 1:
        blocks.push(random.pick(HTML_BLOCKS));
        break;
      case 2:
        blocks.push(`${words(random, 2, 6)} ${markdownLink(random)} ${words(random, 1, 4)} ${markdownLink(random)}`);
        break;
      case 3:
        blocks.push(`Text ${random.pick(FORBIDDEN)} with ${random.pick(FORBIDDEN)} raw ${random.pick(LONE_SURROGATES)} controls ${random.pick(CDATA_ENDS)}`);
        break;
      case 4:
        blocks.push(`\`\`\`html\n${random.pick(HTML_BLOCKS)}\n]]> in code ]]>\n\`\`\``);
        break;
      case 5:
        blocks.push(`## ${random.pick(CJK)} ${random.pick(RTL)} ${random.pick(EMOJI)}\n\n- ${markdownLink(random)}\n- \`]]>\` and <span>${random.pick(CDATA_ENDS)}</span>`);
        break;
      case 6:
        blocks.push(`${words(random, 3, 8)} ${random.pick(HTML_BLOCKS)} ${words(random, 1, 3)}`);
        break;
      case 7:
        blocks.push(`<javascript:alert(1)> and <https://ok.example.com/auto> and www.example.com/linkify`);
        break;
      default:
        blocks.push(hostileLine(random, 4, 12, 3));
    }
  }
  return `${blocks.join('\n\n')}\n`;
}

function isoDate(random: Random, from: number, to: number): { text: string; time: number } {
  const time = from + Math.floor(random.float() * (to - from));
  const date = new Date(Math.floor(time / 1000) * 1000);
  const iso = date.toISOString().replace('.000', '');
  switch (random.int(0, 6)) {
    case 0:
      return { text: iso, time: date.getTime() };
    case 1: {
      // The same instant written with a +05:30 offset.
      const local = new Date(date.getTime() + 330 * 60_000).toISOString().slice(0, 19);
      return { text: `${local}+05:30`, time: date.getTime() };
    }
    case 2: {
      const local = new Date(date.getTime() - 480 * 60_000).toISOString().slice(0, 19);
      return { text: `${local}-0800`, time: date.getTime() };
    }
    case 3:
      return { text: iso.slice(0, 19), time: date.getTime() }; // no offset: UTC
    case 4:
      return { text: `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z`, time: date.getTime() };
    case 5:
      return { text: `"${iso.slice(0, 19)}.250Z"`, time: date.getTime() + 250 };
    default:
      return { text: iso.slice(0, 10), time: Date.parse(iso.slice(0, 10)) };
  }
}

const EARLIEST = Date.parse('2015-01-01T00:00:00Z');
const LATEST = FUZZ_CLOCK.getTime() - 5 * 86_400_000;

interface ArticleParts {
  /** Top-level YAML entries, one string each (possibly several lines). */
  readonly fields: Map<string, string>;
  readonly body: string;
  readonly secured: string;
  readonly title: string;
  readonly id: string;
  readonly sourceUrl: string;
}

interface ArticleSpec {
  readonly seed: number;
  readonly index: number;
  readonly host?: string;
  readonly title?: string;
  /** A unique marker (drafts, broken files) to put in an explicit id. */
  readonly marker?: string;
  readonly draft?: boolean;
}

/** A valid article's fields, each written in one of several ways. */
function articleParts(random: Random, taken: Set<string>, spec: ArticleSpec): ArticleParts {
  const token = `${spec.seed}-${spec.index}-${random.chars(TOKEN, 4)}`;
  const fields = new Map<string, string>();
  const title = spec.title ?? hostileLine(random, 2, 7, 3);
  fields.set('title', `title: ${yamlQuote(title)}`);

  const host = spec.host ?? random.pick(HOSTS);
  const scheme = random.pick(['https', 'https', 'http', 'HTTPS']);
  const path = random.pick([
    `${random.int(2015, 2026)}/${String(random.int(1, 12)).padStart(2, '0')}/story-${token}/`,
    `a b/story ${token}/`,
    `ü/文章/${token}/`,
    `story-${token}/?ref=rss&x=<1>`,
    `story-${token}/#part-2`,
  ]);
  const rawUrl = `${scheme}://${host}/${path}`;
  const sourceUrl = new URL(rawUrl.trim()).href;
  fields.set('sourceUrl', `sourceUrl: ${random.chance(0.5) && !/[ #<>&]/.test(rawUrl) ? rawUrl : yamlQuote(random.chance(0.2) ? ` ${rawUrl} ` : rawUrl)}`);

  let id = sourceUrl;
  if (random.chance(0.15)) {
    // A draft's or broken file's id names its host and marker, so a scan for those finds it too.
    id =
      spec.host === undefined
        ? random.pick([`tag:fuzz.example.org,2026:${token}`, `urn:uuid:${uuid(random)}`, `https://ids.example.org/${token}`])
        : random.pick([`tag:${spec.host},2026:${spec.marker ?? token}`, `https://${spec.host}/ids/${spec.marker ?? token}`]);
    fields.set('id', `id: ${yamlQuote(id)}`);
  }

  const published = isoDate(random, EARLIEST, LATEST);
  fields.set('publishedDateTime', `publishedDateTime: ${published.text}`);
  if (random.chance(0.2)) fields.set('updatedDateTime', `updatedDateTime: ${isoDate(random, published.time, LATEST + 86_400_000).text}`);
  if (random.chance(0.8)) fields.set('excerpt', `excerpt: ${yamlQuote(hostileLine(random, 5, 20, 4))}`);
  if (random.chance(0.6)) fields.set('category', `category: ${yamlQuote(random.pick(CATEGORIES))}`);
  fields.set('type', 'type: article');
  if (random.chance(0.5)) fields.set('quality', `quality: ${random.int(0, 100)}`);
  if (random.chance(0.5)) fields.set('heat', `heat: ${random.chance(0.5) ? random.int(0, 100) : `"${random.int(0, 100)}.5"`}`);
  if (spec.draft) fields.set('published', `published: ${random.pick(['false', '"false"', 'False', "'FALSE'"])}`);
  else if (random.chance(0.6)) fields.set('published', `published: ${random.pick(['true', '"true"', 'True'])}`);

  if (random.chance(0.8)) {
    const provider = random.pick(PROVIDERS);
    fields.set(
      'provider',
      `provider:\n  name: ${yamlQuote(provider.name)}${provider.domain === undefined ? '' : `\n  domain: ${yamlQuote(provider.domain)}`}`,
    );
  }

  const topics = random.sample(TOPICS, random.int(0, 3));
  if (topics.length === 1 && random.chance(0.3)) fields.set('topics', `topics: ${yamlQuote(topics[0]!)}`);
  else if (topics.length) fields.set('topics', `topics:\n${topics.map((topic) => `  - ${yamlQuote(topic)}`).join('\n')}`);
  else if (random.chance(0.3)) fields.set('topics', 'topics:');

  const imageCount = random.int(0, 3);
  if (imageCount) {
    const images = Array.from({ length: imageCount }, (_, i) => {
      const url = random.pick(IMAGE_URLS)(`${token}-${i}`);
      const lines = [`  - url: ${yamlQuote(url)}`];
      if (random.chance(0.7)) lines.push(`    width: ${random.chance(0.2) ? `"${random.int(1, 2000)}"` : random.int(1, 2000)}`);
      if (random.chance(0.7)) lines.push(`    height: ${random.int(1, 2000)}`);
      if (random.chance(0.7)) lines.push(`    title: ${yamlQuote(hostileLine(random, 1, 4, 2))}`);
      return lines.join('\n');
    });
    fields.set('images', `images:\n${images.join('\n')}`);
  } else if (random.chance(0.3)) {
    fields.set('images', 'images:');
  }

  const relatedCount = random.int(0, 2);
  if (relatedCount) {
    const related = Array.from({ length: relatedCount }, (_, i) => {
      const lines = [
        `  - title: ${yamlQuote(hostileLine(random, 2, 5, 2))}`,
        `    sourceUrl: ${yamlQuote(`https://related.example.net/r ${token}-${i}/ü?x=]]>&y="2"`)}`,
      ];
      if (random.chance(0.6)) lines.push(`    excerpt: ${yamlQuote(hostileLine(random, 3, 8, 2))}`);
      if (random.chance(0.6)) lines.push(`    publishedDateTime: ${isoDate(random, EARLIEST, LATEST).text}`);
      if (random.chance(0.5)) lines.push(`    type: article`);
      if (random.chance(0.5)) {
        const provider = random.pick(PROVIDERS);
        lines.push(`    provider:\n      name: ${yamlQuote(provider.name)}${provider.domain ? `\n      domain: ${yamlQuote(provider.domain)}` : ''}`);
      }
      if (random.chance(0.4)) lines.push(`    quality: ${random.int(0, 9)}`);
      return lines.join('\n');
    });
    fields.set('related', `related:\n${related.join('\n')}`);
  }
  if (random.chance(0.2)) fields.set('ampUrl', `ampUrl: ${yamlQuote(`${sourceUrl}amp/`)}`);
  // An unknown field is ignored.
  if (random.chance(0.1)) fields.set('x-unknown', `x-unknown: ${yamlQuote(hostileLine(random, 1, 3, 2))}`);

  const secured = securedValue(random, taken);
  fields.set('secured', securedYaml(random, secured));

  return { fields, body: hostileBody(random), secured, title, id, sourceUrl };
}

function uuid(random: Random): string {
  const hex = random.chars('0123456789abcdef', 32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The file's text: front matter (fields in a random order, `secured` anywhere) and body. */
function articleText(random: Random, parts: Pick<ArticleParts, 'fields' | 'body'>, order?: readonly string[]): string {
  const keys = order ?? random.sample([...parts.fields.keys()], parts.fields.size);
  const blank = random.chance(0.3) ? '\n' : '';
  return `---\n${keys.map((key) => parts.fields.get(key)).filter((line) => line !== undefined).join(`\n${blank}`)}\n---\n${parts.body}`;
}

/** A byte-order mark and/or CRLF line endings, sometimes. */
function encode(random: Random, text: string): Buffer {
  let out = text;
  if (random.chance(0.2)) out = out.replace(/\r?\n/g, '\r\n');
  if (random.chance(0.1)) out = `\uFEFF${out}`;
  return Buffer.from(out, 'utf8');
}

function fileName(random: Random, index: number, stem: string, extension = '.md'): string {
  const name = random.chance(0.1) ? `${pad(index)}-${stem} Ünï cödé 文章${extension}` : `${pad(index)}-${stem}${extension}`;
  return random.chance(0.15) ? `${random.pick(SECTIONS)}/${name}` : name;
}

// ---------------------------------------------------------------------------------------------
// Broken files

/** Every broken file's sourceUrl and id are on this host: none of it may be published. */
export const SKIPPED_HOST = 'skipped.example.net';
/** Every draft's sourceUrl and id are on this host. */
export const DRAFT_HOST = 'drafts.example.net';
/** Drafts' titles, excerpts, bodies and ids hold `DRAFT-<seed>-<index>-<4 chars>`; broken files' titles `SKIPPED-…`. */
export const UNPUBLISHED_MARKER = /(?:DRAFT|SKIPPED)-\d+-\d+-|SKIPPED-TITLE-/;

interface BadContext {
  readonly random: Random;
  readonly seed: number;
  readonly index: number;
  readonly taken: Set<string>;
  readonly goods: readonly FuzzFile[];
}

/** A broken file: its text (or, when not UTF-8 text, its bytes) and the secret it holds. */
interface BadResult {
  readonly file: string;
  readonly text?: string;
  readonly bytes?: Buffer;
  readonly secret?: string;
  readonly title?: string;
  readonly id?: string;
  readonly expectedCode: NonNullable<FuzzFile['expectedCode']>;
}

/** A valid article for a broken file: its host and its marker title are never published. */
function badBase(context: BadContext) {
  const marker = `SKIPPED-${context.seed}-${context.index}-${context.random.chars(TOKEN, 4)}`;
  const title = `${marker} ${words(context.random, 2, 5)}`;
  const parts = articleParts(context.random, context.taken, { seed: context.seed, index: context.index, host: SKIPPED_HOST, title, marker });
  return parts;
}

/** Replaces (or adds, or with `undefined` removes) a top-level field. */
function withField(parts: ArticleParts, key: string, line: string | undefined): ArticleParts {
  const fields = new Map(parts.fields);
  if (line === undefined) fields.delete(key);
  else fields.set(key, line);
  return { ...parts, fields };
}

/** The text with `secured` as the last field (where a broken line breaks nothing after it). */
function securedLast(random: Random, parts: ArticleParts, securedLine: string): string {
  const keys = random.sample([...parts.fields.keys()].filter((key) => key !== 'secured'), parts.fields.size - 1);
  return `---\n${keys.map((key) => parts.fields.get(key)).join('\n')}\n${securedLine}\n---\n${parts.body}`;
}

const BAD_MUTATIONS: readonly { name: string; make: (context: BadContext) => BadResult }[] = [
  {
    name: 'truncated-yaml',
    make: (context) => {
      const parts = badBase(context);
      // Cut inside a double-quoted scalar of the front matter: the YAML can never parse.
      const text = articleText(context.random, parts, ['secured', ...[...parts.fields.keys()].filter((key) => key !== 'secured')]);
      const end = text.indexOf('\n---\n', 3);
      const starts: number[] = [];
      for (let at = text.indexOf(': "'); at !== -1 && at < end; at = text.indexOf(': "', at + 1)) starts.push(at + 3);
      // Never past the scalar's closing quote (or into an escape), which could end it.
      const start = context.random.pick(starts);
      const room = text.slice(start).search(/["\\]/);
      const cut = start + context.random.int(0, Math.min(3, room));
      return { file: fileName(context.random, context.index, 'truncated'), text: text.slice(0, cut), secret: parts.secured, expectedCode: 'ARTICLE_UNREADABLE' };
    },
  },
  ...(['title', 'sourceUrl', 'publishedDateTime'] as const).map((field) => ({
    name: `missing-${field}`,
    make: (context: BadContext): BadResult => {
      const parts = withField(badBase(context), field, undefined);
      return { file: fileName(context.random, context.index, `missing-${field}`), text: articleText(context.random, parts), secret: parts.secured, expectedCode: 'ARTICLE_INVALID' };
    },
  })),
  {
    name: 'bad-date',
    make: (context) => {
      const value = context.random.pick(['yesterday', '2019-02-30T10:00:00Z', '2024-13-01', '12/23/2019', '"not a date"', '2019-12-23T25:00:00Z', '2019-12-23T10:00:00+25:00', '[2019]']);
      const field = context.random.pick(['publishedDateTime', 'updatedDateTime']);
      const parts = withField(badBase(context), field, `${field}: ${value}`);
      return { file: fileName(context.random, context.index, 'bad-date'), text: articleText(context.random, parts), secret: parts.secured, expectedCode: 'ARTICLE_INVALID' };
    },
  },
  {
    name: 'images-not-a-list',
    make: (context) => {
      const parts = withField(badBase(context), 'images', 'images: "not a list"');
      return { file: fileName(context.random, context.index, 'images-string'), text: articleText(context.random, parts), secret: parts.secured, expectedCode: 'ARTICLE_INVALID' };
    },
  },
  ...(['ftp://skipped.example.net/file.md', 'javascript:alert(1)//skipped.example.net', 'mailto:desk@skipped.example.net', '/relative/skipped.example.net/', 'https://'] as const).map(
    (url, i) => ({
      name: `bad-sourceUrl-${i}`,
      make: (context: BadContext): BadResult => {
        const parts = withField(badBase(context), 'sourceUrl', `sourceUrl: ${yamlQuote(url)}`);
        return { file: fileName(context.random, context.index, 'bad-url'), text: articleText(context.random, parts), secret: parts.secured, expectedCode: 'ARTICLE_INVALID' };
      },
    }),
  ),
  {
    name: 'bad-image-url',
    make: (context) => {
      const parts = withField(badBase(context), 'images', `images:\n  - url: ${yamlQuote(context.random.pick(['/img/relative.jpg', 'data:image/png;base64,AAAA', 'javascript:alert(1)']))}`);
      return { file: fileName(context.random, context.index, 'bad-image'), text: articleText(context.random, parts), secret: parts.secured, expectedCode: 'ARTICLE_INVALID' };
    },
  },
  {
    name: 'bad-field-types',
    make: (context) => {
      const [key, line] = context.random.pick([
        ['id', 'id: "not a uri"'],
        ['topics', 'topics:\n  - "🚀"'],
        ['topics', 'topics:\n  nested: mapping'],
        ['provider', 'provider:\n  name: Someone\n  domain: "not a domain!"'],
        ['published', 'published: maybe'],
        ['quality', 'quality: lots'],
        ['images', 'images:\n  - url: https://img.example.com/x.jpg\n    width: -5'],
        ['related', 'related:\n  - title: "no url"'],
      ] as const);
      const parts = withField(badBase(context), key, line);
      return { file: fileName(context.random, context.index, 'bad-type'), text: articleText(context.random, parts), secret: parts.secured, expectedCode: 'ARTICLE_INVALID' };
    },
  },
  {
    name: 'bad-title-type-next-to-secured',
    make: (context) => {
      const base = badBase(context);
      const secretTitle = `SKIPPED-TITLE-${context.seed}-${context.index}-${context.random.chars(TOKEN, 8)}`;
      const parts = withField(
        withField(base, 'title', context.random.chance(0.5) ? `title:\n  - ${yamlQuote(secretTitle)}\n  - 42` : `title:\n  text: ${yamlQuote(secretTitle)}`),
        'secured',
        `secured:\n  - ${yamlQuote(base.secured)}\n  - nested: [${yamlQuote(base.secured)}]`,
      );
      return {
        file: fileName(context.random, context.index, 'bad-title-type'),
        text: articleText(context.random, parts),
        secret: base.secured,
        title: secretTitle,
        expectedCode: 'ARTICLE_INVALID',
      };
    },
  },
  {
    name: 'secured-on-broken-line',
    make: (context) => {
      const parts = badBase(context);
      const value = parts.secured;
      const line = context.random.pick([
        `secured: "${value}`,
        `secured: '${value}`,
        `secured: [${value}`,
        `secured: {${value}`,
        `secured: ${value}: x: y`,
        `secured: "${value}" trailing`,
        `secured: - ${value}`,
        `secured: @${value}`,
        `secured: ${value}\nsecured: ${value}`,
        `secured: ${value}\n  bad: indentation`,
        `secured: |\n${value}`,
      ]);
      return { file: fileName(context.random, context.index, 'secured-broken'), text: securedLast(context.random, parts, line), secret: value, expectedCode: 'ARTICLE_UNREADABLE' };
    },
  },
  {
    // js-yaml names the alias or tag it cannot resolve in its error message.
    name: 'secured-as-alias-or-tag',
    make: (context) => {
      const parts = badBase(context);
      const value = parts.secured.split(';')[0]!;
      const line = context.random.pick([`secured: *${value}`, `secured: !${value} x`, `secured: !!${value} x`, `secured: !<${value}> x`]);
      return { file: fileName(context.random, context.index, 'secured-alias'), text: securedLast(context.random, parts, line), secret: value, expectedCode: 'ARTICLE_UNREADABLE' };
    },
  },
  {
    name: 'raw-control-character-in-yaml',
    make: (context) => {
      const base = badBase(context);
      // js-yaml refuses C0 controls anywhere, and DEL, C1 controls and U+FFFE in plain scalars
      // (it lets the last three through in quoted ones, and the schema then cleans them).
      const line = context.random.chance(0.5)
        ? `excerpt: "raw ${context.random.pick(['\u0001', '\u0008', '\u001B', '\u000B'])} control"`
        : `excerpt: raw ${context.random.pick(['\u0001', '\u001F', '\u007F', '\u0086', '\uFFFE'])} control`;
      const parts = withField(base, 'excerpt', line);
      return { file: fileName(context.random, context.index, 'raw-control'), text: articleText(context.random, parts), secret: parts.secured, expectedCode: 'ARTICLE_UNREADABLE' };
    },
  },
  {
    name: 'front-matter-not-a-mapping',
    make: (context) => {
      const secret = securedValue(context.random, context.taken);
      const text = context.random.pick([`---\n- ${secret}\n- two\n---\nbody\n`, `---\njust a scalar ${secret}\n---\nbody\n`]);
      return { file: fileName(context.random, context.index, 'not-mapping'), text, secret, expectedCode: 'ARTICLE_UNREADABLE' };
    },
  },
  {
    name: 'empty',
    make: (context) => ({
      file: fileName(context.random, context.index, 'empty'),
      text: context.random.pick(['', '   \n\n\t\n', '\uFEFF', '\uFEFF\r\n']),
      expectedCode: 'ARTICLE_UNREADABLE',
    }),
  },
  {
    name: 'no-front-matter',
    make: (context) => ({
      file: fileName(context.random, context.index, 'no-front-matter'),
      text: context.random.pick(['---\n---\n', `Just a body, ${words(context.random, 3, 6)}.\n`, '---\n\n---\nbody only\n']),
      expectedCode: 'ARTICLE_UNREADABLE',
    }),
  },
  {
    name: 'binary',
    make: (context) => {
      const parts = badBase(context);
      const text = articleText(context.random, parts);
      if (context.random.chance(0.3)) {
        // UTF-16LE with a byte-order mark: every ASCII character is followed by a NUL byte.
        return { file: fileName(context.random, context.index, 'utf16'), bytes: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]), secret: parts.secured, expectedCode: 'ARTICLE_UNREADABLE' };
      }
      return { file: fileName(context.random, context.index, 'binary'), text: `${text}\u0000\u0000binary tail\n`, secret: parts.secured, expectedCode: 'ARTICLE_UNREADABLE' };
    },
  },
  {
    name: 'invalid-utf8',
    make: (context) => {
      const parts = badBase(context);
      const text = Buffer.from(articleText(context.random, parts), 'utf8');
      // 0xff 0xfe (never valid in UTF-8), then an overlong NUL, a lone continuation byte, an
      // encoded surrogate or a cut-off sequence.
      const junk = Buffer.from([0xff, 0xfe, ...context.random.pick([[], [0xc0, 0x80], [0x80], [0xed, 0xa0, 0x80], [0xe4, 0xbd]])]);
      const at = context.random.chance(0.5) ? text.length : context.random.int(0, text.length);
      return { file: fileName(context.random, context.index, 'not-utf8'), bytes: Buffer.concat([text.subarray(0, at), junk, text.subarray(at)]), secret: parts.secured, expectedCode: 'ARTICLE_UNREADABLE' };
    },
  },
  {
    name: 'huge',
    make: (context) => {
      const parts = badBase(context);
      const filler = `${words(context.random, 8, 12)} ${context.random.chars(TOKEN, 4)}\n\n`;
      const body = filler.repeat(Math.ceil((FUZZ_MAX_FILE_BYTES + 6000) / filler.length));
      return { file: fileName(context.random, context.index, 'huge'), text: articleText(context.random, { ...parts, body }), secret: parts.secured, expectedCode: 'ARTICLE_UNREADABLE' };
    },
  },
  {
    name: 'not-markdown',
    make: (context) => {
      const parts = badBase(context);
      const extension = context.random.pick(['.txt', '.markdown', '.md.bak', '.html', '', '.md~', '.mdx']);
      return { file: fileName(context.random, context.index, 'not-markdown', extension), text: articleText(context.random, parts), secret: parts.secured, expectedCode: 'ARTICLE_UNREADABLE' };
    },
  },
  {
    name: 'duplicate-id',
    make: (context) => {
      // A valid article claiming a published article's sourceUrl or id, published after every
      // good file (at the build's instant), so the good one keeps the id.
      const original = context.random.pick(context.goods);
      const parts = badBase(context);
      const fields = new Map(parts.fields);
      fields.delete('id');
      fields.set('publishedDateTime', `publishedDateTime: ${FUZZ_CLOCK.toISOString()}`);
      if (original.id !== original.sourceUrl) fields.set('id', `id: ${yamlQuote(original.id!)}`);
      fields.set('sourceUrl', `sourceUrl: ${yamlQuote(original.sourceUrl!)}`);
      return {
        file: `zz-duplicates/${pad(context.index)}-duplicate.md`,
        text: articleText(context.random, { ...parts, fields }),
        secret: parts.secured,
        title: parts.title,
        id: original.id,
        expectedCode: 'DUPLICATE_ID',
      };
    },
  },
];

/** The names of the ways a valid article is broken; with at least this many broken files, each occurs. */
export const BAD_MUTATION_NAMES: readonly string[] = BAD_MUTATIONS.map((mutation) => mutation.name);

// ---------------------------------------------------------------------------------------------

/**
 * `count` files: about `goodShare` valid articles, `draftShare` drafts, the rest broken. Broken
 * files cycle through every mutation in BAD_MUTATION_NAMES.
 */
export function generateCorpus({ seed, count, goodShare = 0.7, draftShare = 0.1 }: CorpusOptions): FuzzFile[] {
  const kindRandom = new Random(streamSeed(seed, 0xffffffff, 1));
  const kinds: FuzzKind[] = Array.from({ length: count }, () => {
    const roll = kindRandom.float();
    return roll < goodShare ? 'good' : roll < goodShare + draftShare ? 'draft' : 'bad';
  });
  const taken = new Set<string>();
  const files: (FuzzFile | undefined)[] = new Array(count);
  const goods: FuzzFile[] = [];

  // Valid articles and drafts first, so a duplicate can copy any valid article's id.
  kinds.forEach((kind, index) => {
    if (kind === 'bad') return;
    const random = new Random(streamSeed(seed, index, 2));
    if (kind === 'good') {
      const parts = articleParts(random, taken, { seed, index });
      const file: FuzzFile = {
        file: fileName(random, index, 'article'),
        bytes: encode(random, articleText(random, parts)),
        kind,
        secured: parts.secured,
        title: parts.title,
        id: parts.id,
        sourceUrl: parts.sourceUrl,
      };
      goods.push(file);
      files[index] = file;
    } else {
      const marker = `DRAFT-${seed}-${index}-${random.chars(TOKEN, 4)}`;
      const title = `${marker} ${words(random, 2, 6)}`;
      const parts = articleParts(random, taken, { seed, index, host: DRAFT_HOST, title, marker, draft: true });
      // The marker in the excerpt and the body too: none of a draft may be published.
      const fields = new Map(parts.fields);
      fields.set('excerpt', `excerpt: ${yamlQuote(`${marker} ${hostileLine(random, 3, 8, 2)}`)}`);
      files[index] = {
        file: fileName(random, index, 'draft'),
        bytes: encode(random, articleText(random, { fields, body: `${marker}\n\n${parts.body}` })),
        kind,
        secured: parts.secured,
        title,
        id: parts.id,
        sourceUrl: parts.sourceUrl,
      };
    }
  });

  let badIndex = 0;
  kinds.forEach((kind, index) => {
    if (kind !== 'bad') return;
    const random = new Random(streamSeed(seed, index, 3));
    let mutation = BAD_MUTATIONS[badIndex++ % BAD_MUTATIONS.length]!;
    if (mutation.name === 'duplicate-id' && goods.length === 0) mutation = BAD_MUTATIONS[0]!;
    const result = mutation.make({ random, seed, index, taken, goods });
    const bytes = result.bytes ?? Buffer.from(result.text ?? '', 'utf8');
    const secret = result.secret;
    files[index] = {
      file: result.file,
      bytes,
      kind,
      // Only when the bytes really hold it (a truncated file may have lost it).
      secured: secret !== undefined && containsText(bytes, secret) ? secret : undefined,
      title: result.title ?? titleIn(result.text),
      id: result.id,
      mutation: mutation.name,
      expectedCode: result.expectedCode,
    };
  });
  return files.filter((file): file is FuzzFile => file !== undefined);
}

/** Whether the bytes hold the text in UTF-8 or UTF-16LE. */
function containsText(bytes: Buffer, text: string): boolean {
  return bytes.includes(Buffer.from(text, 'utf8')) || bytes.includes(Buffer.from(text, 'utf16le'));
}

function titleIn(text: string | undefined): string | undefined {
  const match = text === undefined ? null : /^title: "(SKIPPED-[^"]*)"$/m.exec(text);
  return match?.[1];
}

/** Writes the corpus below `dir` (sub-folders created). */
export async function writeCorpus(dir: string, files: readonly FuzzFile[]): Promise<void> {
  const folders = new Set(files.map((file) => path.dirname(path.join(dir, file.file))));
  for (const folder of folders) await mkdir(folder, { recursive: true });
  for (let i = 0; i < files.length; i += 64) {
    await Promise.all(files.slice(i, i + 64).map((file) => writeFile(path.join(dir, file.file), file.bytes)));
  }
}
