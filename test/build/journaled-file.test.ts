import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { readJournaled, stageJournal, stageSnapshot } from '../../src/build/journaled-file.js';
import { ReversibleWrites } from '../../src/build/reversible-writes.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/** Applies what `stage` stages in the folder of `file`, as a build does. */
function applied<T>(file: string, stage: (writes: ReversibleWrites, name: string) => T): T {
  const writes = new ReversibleWrites(path.dirname(file));
  const result = stage(writes, path.basename(file));
  writes.apply();
  writes.settle();
  return result;
}

const writeSnapshot = (file: string, header: Record<string, unknown>, rows: string[]) => applied(file, (writes, name) => stageSnapshot(writes, name, header, rows));
const appendJournal = (file: string, generation: string, rows: string[]) => applied(file, (writes, name) => stageJournal(writes, name, generation, rows));

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
