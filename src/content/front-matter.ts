/**
 * A fast path for the common shape of article file: it gives exactly what gray-matter 4.0.3 with
 * js-yaml 3's FAILSAFE schema gives, or `undefined` ("not mine"), after which the caller uses
 * gray-matter and js-yaml as before. Correctness over coverage: anything outside a conservative
 * subset is `undefined`, never a guess.
 *
 * Intended use:
 *
 * ```ts
 * const split = splitFrontMatter(source);          // source: BOM already stripped
 * const data = split && parseFrontMatterYaml(split.yaml);
 * if (data) { use data and split.body } else { matter(source, MATTER_OPTIONS) as today }
 * ```
 *
 * Checked against gray-matter and js-yaml (never against itself) in test/content/front-matter.test.ts.
 */

export interface FrontMatterSplit {
  /** The text gray-matter hands its YAML engine (`file.matter`): starts with the opening line's `\n`, ends before the closing line's `\n`. */
  readonly yaml: string;
  /** gray-matter's `content`: the text after the closing `---` line. */
  readonly body: string;
}

const HYPHEN = 0x2d;
const LF = 0x0a;
const SPACE = 0x20;

/**
 * Splits a file that opens with exactly `---\n` and has a closing line that is exactly `---`
 * (followed by `\n` or the end of the text), the way gray-matter 4.0.3 does:
 *
 * - gray-matter closes the block at the first `\n---` after the opening `---`, whatever follows
 *   it (`----`, `---x`, `--- `, `---\r`): those, and a block with no closing line (gray-matter then
 *   takes the whole rest as YAML and the body as ''), are `undefined` here.
 * - `yaml` keeps the newline that ends the opening line (so js-yaml's line numbers are the
 *   file's) and drops the one before the closing `---`.
 * - `body` is the text after the closing `---` with one line break removed (`\n\nText` → `\nText`).
 *
 * Also `undefined`: anything not starting with `---\n` (a BOM, CRLF, `---yaml` language suffix,
 * `----`, no front matter). An empty block (`---\n---\n`) is split as gray-matter does, but
 * gray-matter then never calls its engine (data is `{}`): parseFrontMatterYaml gives `undefined`
 * for a block without a key, so the caller falls back for it.
 */
export function splitFrontMatter(text: string): FrontMatterSplit | undefined {
  if (text.charCodeAt(0) !== HYPHEN || text.charCodeAt(1) !== HYPHEN || text.charCodeAt(2) !== HYPHEN || text.charCodeAt(3) !== LF) return undefined;
  const close = text.indexOf('\n---', 3);
  if (close === -1) return undefined;
  const after = close + 4;
  if (after === text.length) return { yaml: text.slice(3, close), body: '' };
  if (text.charCodeAt(after) !== LF) return undefined;
  return { yaml: text.slice(3, close), body: text.slice(after + 1) };
}

/**
 * Characters refused anywhere in the YAML (a superset of what js-yaml refuses, plus what it treats
 * specially or only allows in some places): C0 controls including tab and CR, DEL, C1 controls
 * (NEL too), U+2028/9, U+FEFF, the non-characters U+FFFE/F and, with the `u` flag, lone surrogates
 * (a well-formed pair is one code point and does not match).
 */
const REFUSED_CHARACTERS = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u2028\u2029\uFEFF\uFFFE\uFFFF\uD800-\uDFFF]/u;

const hasOwn = Object.prototype.hasOwnProperty;

/** js-yaml's one-character escapes in double-quoted scalars (its simpleEscapeSequence), by char code. */
const SIMPLE_ESCAPES: readonly (string | undefined)[] = (() => {
  const table: (string | undefined)[] = new Array(128).fill(undefined);
  const pairs: readonly [string, string][] = [
    ['0', '\x00'], ['a', '\x07'], ['b', '\x08'], ['t', '\x09'], ['n', '\x0A'], ['v', '\x0B'], ['f', '\x0C'], ['r', '\x0D'], ['e', '\x1B'],
    [' ', ' '], ['"', '"'], ['/', '/'], ['\\', '\\'], ['N', '\x85'], ['_', '\xA0'], ['L', '\u2028'], ['P', '\u2029'],
  ];
  for (const [escape, value] of pairs) table[escape.charCodeAt(0)] = value;
  return table;
})();

/**
 * First characters a plain scalar may not start with here: js-yaml's indicators (`, [ ] { } # & *
 * ! | > ' " % @` and backquote) and, conservatively, `- ? :` (plain only when followed by a
 * non-space) and space.
 */
const PLAIN_START_REFUSED: readonly boolean[] = (() => {
  const table: boolean[] = new Array(128).fill(false);
  for (const c of '-?:,[]{}#&*!|>\'"%@` ') table[c.charCodeAt(0)] = true;
  return table;
})();

/** Characters of a key: A–Z a–z 0–9 _ (first) and also - (after the first). */
const KEY_CHAR: readonly number[] = (() => {
  const table: number[] = new Array(128).fill(0);
  for (let c = 0x30; c <= 0x39; c++) table[c] = 1;
  for (let c = 0x41; c <= 0x5a; c++) table[c] = 1;
  for (let c = 0x61; c <= 0x7a; c++) table[c] = 1;
  table[0x5f] = 1;
  table[HYPHEN] = 2; // not first
  return table;
})();

type Container = Record<string, unknown> | unknown[];

/** Deeper nesting is left to js-yaml (which recurses per level). Front matter is a few levels deep. */
const MAX_DEPTH = 64;

/**
 * Parses a conservative subset of YAML block syntax, giving a result deep-equal to
 * `yaml.safeLoad(source, { schema: yaml.FAILSAFE_SCHEMA })` (js-yaml 3), or `undefined` when the
 * input is outside the subset or js-yaml would throw or give something other than a mapping.
 *
 * The subset: a block mapping at column 0; keys matching /^[A-Za-z0-9_][A-Za-z0-9_-]*$/ (never
 * `__proto__`, never twice in one mapping) followed by `: value` or by `:` and a nested block on
 * the next lines (a mapping indented deeper, or a `- ` sequence indented deeper or at the key's
 * column); sequence items `- scalar` or `- key: …` (a mapping whose further keys sit at the first
 * key's column), nested to any depth; one-line scalars: plain (not starting with an indicator or
 * `- ? :`, no `: `, ` #` or trailing `:`; trailing spaces trimmed), double-quoted (js-yaml's
 * escapes, except `\U` above U+10FFFF and line continuations) and single-quoted (`''` → `'`), with
 * only spaces after the closing quote. Blank lines and full-line comments anywhere.
 *
 * `undefined` for everything else: flow collections, anchors, aliases, tags, block scalars,
 * multi-line scalars, a key with no value, an indentation that is not exactly an open level's,
 * document markers, directives, explicit keys, trailing comments, tabs, CR, control characters,
 * and the other characters in REFUSED_CHARACTERS (even inside comments), nesting deeper than
 * MAX_DEPTH.
 */
export function parseFrontMatterYaml(source: string): Record<string, unknown> | undefined {
  if (REFUSED_CHARACTERS.test(source)) return undefined;

  const root: Record<string, unknown> = {};
  // The open block collections, innermost last: their column, object and kind.
  const indents: number[] = [0];
  const containers: Container[] = [root];
  const sequences: boolean[] = [false];
  let depth = 1;

  // A key read as `key:` with nothing after it, waiting for its nested block.
  let pendingKey: string | undefined;
  let pendingMap: Record<string, unknown> = root;
  let pendingIndent = 0;

  let sawContent = false;
  const length = source.length;
  // The next backslash at or after the current line (searching once per line would be quadratic).
  let nextBackslash = -2;
  let pos = 0;

  while (pos <= length) {
    let end = source.indexOf('\n', pos);
    if (end === -1) end = length;
    const lineStart = pos;
    pos = end + 1;

    let p = lineStart;
    while (p < end && source.charCodeAt(p) === SPACE) p++;
    if (p === end) continue; // blank line
    let c = source.charCodeAt(p);
    if (c === 0x23 /* # */) continue; // full-line comment
    sawContent = true;
    const indent = p - lineStart;
    const isItem = c === HYPHEN && source.charCodeAt(p + 1) === SPACE;

    if (pendingKey !== undefined) {
      // The line opens the pending key's block: deeper, or a sequence at the key's own column.
      if (!(indent > pendingIndent || (indent === pendingIndent && isItem))) return undefined;
      if (depth >= MAX_DEPTH) return undefined;
      const container: Container = isItem ? [] : {};
      pendingMap[pendingKey] = container;
      pendingKey = undefined;
      indents[depth] = indent;
      containers[depth] = container;
      sequences[depth] = isItem;
      depth++;
    } else {
      while (depth > 0 && indents[depth - 1]! > indent) depth--;
      if (depth === 0 || indents[depth - 1] !== indent) return undefined;
      if (!isItem && sequences[depth - 1]) {
        // A key after a sequence at the same column: the sequence was its mapping's value.
        depth--;
        if (depth === 0 || indents[depth - 1] !== indent || sequences[depth - 1]) return undefined;
      } else if (isItem && !sequences[depth - 1]) {
        return undefined;
      }
    }

    let keyStart = p;
    let colon = -1;
    if (isItem) {
      const sequence = containers[depth - 1] as unknown[];
      let q = p + 1;
      while (q < end && source.charCodeAt(q) === SPACE) q++;
      if (q === end) return undefined; // `-` with nothing after it (null, or a nested block)
      c = source.charCodeAt(q);
      if (c === HYPHEN || c === 0x23 /* # */) return undefined;
      colon = keyColon(source, q, end);
      if (colon === -1) {
        if (nextBackslash !== -1 && nextBackslash < q) nextBackslash = source.indexOf('\\', q);
        const value = scalar(source, q, end, nextBackslash);
        if (value === undefined) return undefined;
        sequence.push(value);
        continue;
      }
      // `- key: …`: a mapping whose keys sit at this column.
      if (depth >= MAX_DEPTH) return undefined;
      const map: Record<string, unknown> = {};
      sequence.push(map);
      indents[depth] = q - lineStart;
      containers[depth] = map;
      sequences[depth] = false;
      depth++;
      keyStart = q;
    }

    if (!isItem) colon = keyColon(source, keyStart, end);
    if (colon === -1) return undefined;
    const key = keyAt(source, keyStart, colon);
    const map = containers[depth - 1] as Record<string, unknown>;
    if (key === '__proto__' || hasOwn.call(map, key)) return undefined;

    let v = colon + 1;
    while (v < end && source.charCodeAt(v) === SPACE) v++;
    if (v === end) {
      pendingKey = key;
      pendingMap = map;
      pendingIndent = keyStart - lineStart;
      continue;
    }
    if (nextBackslash !== -1 && nextBackslash < v) nextBackslash = source.indexOf('\\', v);
    const value = scalar(source, v, end, nextBackslash);
    if (value === undefined) return undefined;
    map[key] = value;
  }

  if (pendingKey !== undefined || !sawContent) return undefined;
  return root;
}

/**
 * Recently seen keys, by a hash of their characters: front matter uses the same few dozen keys
 * over and over, and reusing the (internalized) string saves a slice and a string-table lookup
 * per key. The strings are copies, never slices of a file's text (which they would keep alive).
 */
const KEY_CACHE_MASK = 255;
const keyCache: string[] = new Array<string>(KEY_CACHE_MASK + 1).fill('');
/** keyColon's hash of the key it found. */
let keyHash = 0;

/** The key at `source[start, end)` (just checked by keyColon, which set keyHash). */
function keyAt(source: string, start: number, end: number): string {
  const slot = keyHash & KEY_CACHE_MASK;
  const cached = keyCache[slot]!;
  if (cached.length === end - start) {
    let i = 0;
    while (i < cached.length && cached.charCodeAt(i) === source.charCodeAt(start + i)) i++;
    if (i === cached.length) return cached;
  }
  const key = source.slice(start, end);
  // A flat, internalized copy: the name of a property of a fresh object.
  keyCache[slot] = Object.keys({ [key]: 0 })[0]!;
  return key;
}

/**
 * When `source[start, end)` begins with a key followed by `:` and a space or the end of the line,
 * the index of that colon; otherwise -1.
 */
function keyColon(source: string, start: number, end: number): number {
  let c = source.charCodeAt(start);
  if (c >= 128 || KEY_CHAR[c] !== 1) return -1;
  let hash = c;
  let k = start + 1;
  while (k < end) {
    c = source.charCodeAt(k);
    if (c >= 128 || KEY_CHAR[c] === 0) break;
    hash = (hash * 31 + c) | 0;
    k++;
  }
  keyHash = hash;
  if (k === end || c !== 0x3a /* : */) return -1;
  return k + 1 === end || source.charCodeAt(k + 1) === SPACE ? k : -1;
}

/**
 * The one-line scalar at `source[start, end)` (start: its first character, end: the line's end),
 * or undefined. `backslash` is the first `\` at or after `start` (or -1).
 */
function scalar(source: string, start: number, end: number, backslash: number): string | undefined {
  const c = source.charCodeAt(start);
  if (c === 0x22 /* " */) return doubleQuoted(source, start + 1, end, backslash);
  if (c === 0x27 /* ' */) return singleQuoted(source, start + 1, end);
  if (c < 128 && PLAIN_START_REFUSED[c]) return undefined;
  let e = end;
  while (source.charCodeAt(e - 1) === SPACE) e--;
  const value = source.slice(start, e);
  if (value.charCodeAt(value.length - 1) === 0x3a /* : */ || value.includes(': ') || value.includes(' #')) return undefined;
  return value;
}

/** Only spaces in `source[from, end)`. */
function onlySpaces(source: string, from: number, end: number): boolean {
  for (let k = from; k < end; k++) if (source.charCodeAt(k) !== SPACE) return false;
  return true;
}

function singleQuoted(source: string, start: number, end: number): string | undefined {
  let out = '';
  let from = start;
  for (;;) {
    const quote = source.indexOf("'", from);
    if (quote === -1 || quote >= end) return undefined;
    if (source.charCodeAt(quote + 1) === 0x27 && quote + 1 < end) {
      out += source.slice(from, quote + 1);
      from = quote + 2;
      continue;
    }
    out += source.slice(from, quote);
    return onlySpaces(source, quote + 1, end) ? out : undefined;
  }
}

function doubleQuoted(source: string, start: number, end: number, backslash: number): string | undefined {
  const quote = source.indexOf('"', start);
  if (quote === -1 || quote >= end) return undefined;
  if (backslash === -1 || backslash > quote) {
    return onlySpaces(source, quote + 1, end) ? source.slice(start, quote) : undefined;
  }
  // With escapes: walk the characters.
  let out = '';
  let from = start;
  let k = start;
  while (k < end) {
    const c = source.charCodeAt(k);
    if (c === 0x22 /* " */) {
      out += source.slice(from, k);
      return onlySpaces(source, k + 1, end) ? out : undefined;
    }
    if (c !== 0x5c /* \ */) {
      k++;
      continue;
    }
    out += source.slice(from, k);
    const e = k + 1 < end ? source.charCodeAt(k + 1) : -1; // a `\` ending the line continues it: refused
    if (e === -1) return undefined;
    const simple = e < 128 ? SIMPLE_ESCAPES[e] : undefined;
    if (simple !== undefined) {
      out += simple;
      k += 2;
    } else {
      const digits = e === 0x78 /* x */ ? 2 : e === 0x75 /* u */ ? 4 : e === 0x55 /* U */ ? 8 : 0;
      if (digits === 0 || k + 2 + digits > end) return undefined;
      let code = 0;
      for (let d = k + 2; d < k + 2 + digits; d++) {
        const h = hexValue(source.charCodeAt(d));
        if (h === -1) return undefined;
        code = code * 16 + h;
      }
      if (code <= 0xffff) out += String.fromCharCode(code);
      else if (code <= 0x10ffff) out += String.fromCharCode(((code - 0x10000) >> 10) + 0xd800, ((code - 0x10000) & 0x3ff) + 0xdc00);
      else return undefined;
      k += 2 + digits;
    }
    from = k;
  }
  return undefined; // no closing quote on this line
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}
