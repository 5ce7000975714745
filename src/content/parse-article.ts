import matter from 'gray-matter';
import yaml from 'js-yaml';
import type { z } from 'zod';
import { FrontMatterSchema, type Article, type FrontMatter } from './article-schema.js';
import { parseFrontMatterYaml, splitFrontMatter } from './front-matter.js';
import { formatIssuePath, type Issue, type Problem } from './problems.js';

export type ParseResult = { readonly ok: true; readonly article: Article } | { readonly ok: false; readonly problem: Problem };

/**
 * gray-matter options, resolved once. Passing any options object also turns off gray-matter's
 * process-wide cache, which otherwise keeps every file's text for the life of the process and
 * shares `data` objects between calls.
 *
 * YAML is read with js-yaml's FAILSAFE schema: every scalar is a string, and FrontMatterSchema
 * alone decides types. (The default schema turns `2019-02-30` into 2 March, `007` into 7 and
 * `NO` into false without a word.)
 */
const MATTER_OPTIONS = {
  engines: {
    yaml: (source: string): object => {
      refuseTabIndentedKey(source);
      return yaml.safeLoad(source, { schema: yaml.FAILSAFE_SCHEMA }) as object;
    },
    // gray-matter's own engines for `---js` / `---javascript` (eval: a content file would run code
    // in the build) and `---json` are merged in unless replaced. parseArticle refuses every
    // language but YAML before gray-matter sees the file; these make sure of it.
    javascript: refusedLanguage,
    json: refusedLanguage,
  },
};

/** A line a tab starts, holding a mapping key (`\tname: Tabby`, `\t  width: 800`). */
const TAB_INDENTED_KEY = /^\t[ \t]*[^\s#:'"-][^\n:]*:(?:[ \t]|\r?$)/m;
const TAB_INDENT_REASON = 'a tab indents this line; YAML is indented with spaces only';

/**
 * YAML allows no tab in indentation, but js-yaml 3 reads a line a tab starts as if it were not
 * indented at all: `provider:` then `\tname: Tabby` gave an empty provider and a top-level `name`
 * (ignored), so the article was published without its provider and without a word. Such a line
 * is reported with its line number instead. `source` starts with the opening line's newline, so
 * its 0-based line is the file's line - 1, as in js-yaml's own marks.
 */
function refuseTabIndentedKey(source: string): void {
  const match = TAB_INDENTED_KEY.exec(source);
  if (match === null) return;
  let line = 0;
  for (let at = source.indexOf('\n'); at !== -1 && at < match.index; at = source.indexOf('\n', at + 1)) line++;
  throw new yaml.YAMLException(TAB_INDENT_REASON, { line, column: 0, toString: () => `at line ${line + 1}, column 1` });
}

function refusedLanguage(): never {
  throw new Error('only YAML front matter is read');
}

/** What follows the opening `---` on its line: gray-matter's front matter language (`---js`). */
function frontMatterLanguage(source: string): string {
  if (!source.startsWith('---')) return '';
  const lineEnd = source.search(/\r?\n/);
  return source.slice(3, lineEnd === -1 ? source.length : lineEnd).trim().toLowerCase();
}

const YAML_LANGUAGES: ReadonlySet<string> = new Set(['', 'yaml', 'yml']);

/** An opening `---` line ended by a CR alone: the line endings of classic Mac OS (before OS X). */
const CR_ONLY_OPENING_LINE = /^---[^\r\n]*\r(?!\n)/;

/**
 * Parses one article file. Never throws: a file that cannot be used comes back as a `Problem`
 * naming the field and the reason, and never carrying any of the file's values.
 */
export function parseArticle(text: string, file: string): ParseResult {
  const source = text.replace(/^\uFEFF/, '');
  if (source.trim() === '') return unreadable(file, { path: '', reason: 'empty_file', message: 'the file is empty' });

  let parsed: { data: unknown; content: string };
  // The usual file takes the fast path (front-matter.ts: same results, a fifth of the time);
  // anything it does not handle goes through gray-matter and js-yaml.
  const split = splitFrontMatter(source);
  const fast = split && parseFrontMatterYaml(split.yaml);
  if (split && fast) {
    parsed = { data: fast, content: split.body };
  } else {
    // gray-matter and frontMatterLanguage split lines at LF (CRLF works): with CR alone the whole
    // file was one opening line, reported as front matter in some language other than YAML.
    if (CR_ONLY_OPENING_LINE.test(source)) {
      return unreadable(file, { path: '', reason: 'cr_line_endings', message: 'its lines end with CR alone (old Mac line endings): save it with LF or CRLF line endings' });
    }
    // The fast path takes only a first line of `---` alone; gray-matter reads a language after it.
    if (!YAML_LANGUAGES.has(frontMatterLanguage(source))) {
      // The language is not quoted: it is the file's text.
      return unreadable(file, { path: '', reason: 'unsupported_front_matter', message: 'the front matter must be YAML: its first line is --- alone (or ---yaml)' });
    }
    // gray-matter takes everything after an opening line with no closing one as YAML: a body
    // whose first line held a colon (`Note: …`) became a field, and the body was lost unseen.
    if (source.startsWith('---') && source[3] !== '-' && source.indexOf('\n---', 3) === -1) {
      return unreadable(file, { path: '', reason: 'unclosed_front_matter', message: 'the front matter has no closing --- line' });
    }
    try {
      parsed = matter(source, MATTER_OPTIONS);
    } catch (error) {
      return unreadable(file, yamlIssue(error));
    }
  }

  const { data } = parsed;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return unreadable(file, { path: '', reason: 'invalid_front_matter', message: 'the front matter must be a YAML mapping of fields' });
  }
  if (Object.keys(data).length === 0) {
    return unreadable(file, { path: '', reason: 'missing_front_matter', message: 'the file has no YAML front matter between --- lines' });
  }

  const result = FrontMatterSchema.safeParse(data);
  if (!result.success) {
    return { ok: false, problem: { code: 'ARTICLE_INVALID', file, issues: result.error.issues.map((issue) => toIssue(issue, data)) } };
  }
  return { ok: true, article: toArticle(result.data, file, parsed.content.replace(/\r\n?/g, '\n')) };
}

/**
 * Every Article has the same keys in the same order (absent ones undefined), so the engine gives
 * them one shape: code reading 100k articles stays monomorphic and fast.
 */
function toArticle(data: FrontMatter, file: string, body: string): Article {
  return {
    id: data.id,
    category: data.category,
    title: data.title,
    excerpt: data.excerpt,
    publishedDateTime: data.publishedDateTime,
    updatedDateTime: data.updatedDateTime,
    sourceUrl: data.sourceUrl,
    ampUrl: data.ampUrl,
    cdnAmpUrl: data.cdnAmpUrl,
    type: data.type,
    quality: data.quality,
    heat: data.heat,
    published: data.published,
    provider: data.provider,
    topics: data.topics,
    images: data.images,
    related: data.related,
    file,
    body,
  };
}

function unreadable(file: string, issue: Issue): ParseResult {
  return { ok: false, problem: { code: 'ARTICLE_UNREADABLE', file, issues: [issue] } };
}

/** A zod issue as an Issue; a missing or empty value is always reason `required`. */
function toIssue(issue: z.core.$ZodIssue, data: object): Issue {
  const path = formatIssuePath(issue.path);
  const value = issue.path.reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined), data);
  if (value === undefined || value === null) return { path, reason: 'required', message: 'is required' };
  const params = 'params' in issue ? (issue.params as { reason?: string } | undefined) : undefined;
  return { path, reason: params?.reason ?? issue.code, message: issue.message };
}

/**
 * js-yaml's `message` quotes the offending lines, which could hold a `secured` value, so only the
 * reason and the position are kept. gray-matter hands the engine the text after `---` including
 * that line's newline, so js-yaml's 0-based line + 1 is the file's 1-based line.
 */
function yamlIssue(error: unknown): Issue {
  if (error instanceof yaml.YAMLException) {
    const { reason, mark } = error as yaml.YAMLException & { reason?: string; mark?: { line: number; column: number } };
    const where = mark ? ` at line ${mark.line + 1}, column ${mark.column + 1}` : '';
    return { path: '', reason: 'invalid_yaml', message: `invalid YAML front matter${where}: ${withoutQuotedText(reason)}` };
  }
  return { path: '', reason: 'invalid_yaml', message: 'invalid front matter' };
}

/**
 * js-yaml's reasons that quote nothing of the file, word for word as its loader throws them. Some
 * of its reasons end with text of the file (`tag name cannot contain such characters: <tag>`,
 * `unidentified alias "…"`, `unknown tag !<…>`), which could be a `secured` value: a reason is
 * shown only if it is one of these; any other is `syntax error`, with its line and column.
 */
const QUOTELESS_YAML_REASONS: ReadonlySet<string> = new Set([
  'TAG directive accepts exactly two arguments',
  'YAML directive accepts exactly one argument',
  'a line break is expected',
  TAB_INDENT_REASON,
  'a whitespace character is expected after the key-value separator within a block mapping',
  'abnormal merge sequence size',
  'alias node should not have any properties',
  'bad explicit indentation width of a block scalar; it cannot be less than one',
  'bad indentation of a mapping entry',
  'bad indentation of a sequence entry',
  'can not read a block mapping entry; a multiline key may not be an implicit key',
  'can not read an implicit mapping pair; a colon is missed',
  'cannot merge mappings; the provided source object is unacceptable',
  'directive name must not be less than one character in length',
  'directives end mark is expected',
  'duplicated mapping key',
  'duplication of %YAML directive',
  'duplication of a tag property',
  'duplication of an anchor property',
  'end of the stream or a document separator is expected',
  'expected hexadecimal character',
  'expected valid JSON character',
  'ill-formed argument of the YAML directive',
  'ill-formed tag handle (first argument) of the TAG directive',
  'ill-formed tag prefix (second argument) of the TAG directive',
  'incomplete explicit mapping pair; a key node is missed; or followed by a non-tabulated empty line',
  'missed comma between flow collection entries',
  'name of an alias node must contain at least one character',
  'name of an anchor node must contain at least one character',
  'named tag handle cannot contain such characters',
  'nested arrays are not supported inside keys',
  'null byte is not allowed in input',
  'repeat of a chomping mode identifier',
  'repeat of an indentation width identifier',
  'tag suffix cannot contain exclamation marks',
  'tag suffix cannot contain flow indicator characters',
  'the stream contains non-printable characters',
  'unacceptable YAML version of the document',
  'unexpected end of the document within a double quoted scalar',
  'unexpected end of the document within a single quoted scalar',
  'unexpected end of the stream within a double quoted scalar',
  'unexpected end of the stream within a flow collection',
  'unexpected end of the stream within a single quoted scalar',
  'unexpected end of the stream within a verbatim tag',
  'unknown escape sequence',
]);

function withoutQuotedText(reason: string | undefined): string {
  return reason !== undefined && QUOTELESS_YAML_REASONS.has(reason) ? reason : 'syntax error';
}
