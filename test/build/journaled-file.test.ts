import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { appendJournal, readJournaled, writeSnapshot } from '../../src/build/journaled-file.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/** A snapshot of two rows and a journal of one, in a fresh folder. */
async function journaled() {
  const file = path.join(await makeTempDir('journaled-'), 'state.json');
  const generation = writeSnapshot(file, { version: 1 }, ['["a",1]', '["b",1]']);
  appendJournal(file, generation, ['["a",2]']);
  return { file, generation };
}

describe('journaled file: a journal line cut short by a killed process', () => {
  it('reads every row up to the cut line, and ignores that line', async () => {
    const { file } = await journaled();
    appendFileSync(`${file}.journal`, '["b",2');
    assert.deepEqual(readJournaled(file)?.rows, [['a', 1], ['b', 1], ['a', 2]]);
  });

  it('reads the rows appended after it (the next build appends after the cut line)', async () => {
    const { file, generation } = await journaled();
    appendFileSync(`${file}.journal`, `["b",2]\n${'["c",'.repeat(2000)}`);
    appendJournal(file, generation, ['["d",1]', '["a",3]']);
    const read = readJournaled(file);
    assert.deepEqual(read?.rows, [['a', 1], ['b', 1], ['a', 2], ['b', 2], ['d', 1], ['a', 3]]);
    assert.equal(read?.journalRows, 4);
    assert.ok(readFileSync(`${file}.journal`, 'utf8').endsWith('["a",3]\n'));
  });

  it('leaves a journal whose last line is whole as it is', async () => {
    const { file, generation } = await journaled();
    const before = readFileSync(`${file}.journal`, 'utf8');
    appendJournal(file, generation, ['["e",1]']);
    assert.equal(readFileSync(`${file}.journal`, 'utf8'), `${before}["e",1]\n`);
  });
});
