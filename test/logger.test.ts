import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../src/logger.js';

/** The lines a logger at `level` writes. */
function collected() {
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', write: (line) => lines.push(line), clock: () => new Date('2026-12-07T00:00:00Z') });
  return { logger, lines };
}

describe('createLogger', () => {
  it('writes one JSON object per line, with the level, time, message and fields, and an error as its parts', () => {
    const { logger, lines } = collected();
    logger.warn('skipped', { file: 'content/a.md', error: Object.assign(new Error('bad'), { code: 'ARTICLE_INVALID' }) });
    assert.equal(lines.length, 1);
    assert.ok(lines[0]!.endsWith('\n'));
    const line = JSON.parse(lines[0]!) as { level: string; time: string; msg: string; file: string; error: { name: string; code: string; message: string } };
    assert.deepEqual([line.level, line.time, line.msg, line.file], ['warn', '2026-12-07T00:00:00.000Z', 'skipped', 'content/a.md']);
    assert.deepEqual([line.error.name, line.error.code, line.error.message], ['Error', 'ARTICLE_INVALID', 'bad']);
  });

  it('writes the characters a terminal or log viewer acts on as \\u escapes: the same value, inert on a screen', () => {
    const { logger, lines } = collected();
    // A file name that reverses what follows it (U+202E), a C1 CSI that clears a terminal
    // (U+009B 2J), DEL, an isolate, and the separators some log viewers break lines at.
    const file = 'content/\u202Egnp.md\u202C \u009B2J \u007F \u2067x\u2069 \u2028next\u2029 \u061C \u200E\u200F';
    logger.info('file read', { file });
    const raw = lines[0]!;
    assert.doesNotMatch(raw, /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u, 'none of them raw in the line');
    assert.match(raw, /\\u202e/);
    assert.match(raw, /\\u009b2J/);
    assert.equal((JSON.parse(raw) as { file: string }).file, file, 'the parsed line gives the name back exactly');
    assert.equal(raw.split('\n').length, 2, 'one line');
  });

  it('leaves other text as it is (accents, CJK, emoji)', () => {
    const { logger, lines } = collected();
    logger.info('Zürich 人工智能 🚀');
    assert.match(lines[0]!, /"msg":"Zürich 人工智能 🚀"/);
  });
});
