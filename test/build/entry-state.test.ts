import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { readEntryState, writeEntryState } from '../../src/build/entry-state.js';
import type { EntryRecord } from '../../src/feeds/deleted-entries.js';
import { heapGrowth } from '../helpers/heap.js';

const MB = 1024 * 1024;
const folders: string[] = [];
after(() => folders.forEach((folder) => rmSync(folder, { recursive: true, force: true })));

function stateDir(): string {
  const folder = mkdtempSync(path.join(tmpdir(), 'entry-state-'));
  folders.push(folder);
  return folder;
}

describe('readEntryState', () => {
  it('keeps no part of the file it read: the state alone stays in memory', () => {
    const dir = stateDir();
    // A small state in a large file: what stays after a collection is the state, or the text with it.
    const padding = 64 * MB;
    writeFileSync(path.join(dir, 'entries.json'), `{"version":1,"generation":"0123456789abcdef","entries":{\n"https://example.com/a":{"feeds":["ai"]}\n}}${' '.repeat(padding)}`);
    const { grown, made: read } = heapGrowth(() => readEntryState(dir));
    assert.deepEqual([...read.state.entries.keys()], ['https://example.com/a']);
    assert.ok(grown < padding / 4, `the heap grew by ${(grown / MB).toFixed(1)} MB reading a ${padding / MB} MB file that holds one id`);
  });

  it('continues the snapshot it read: a later write appends the changed ids to its journal', () => {
    const dir = stateDir();
    const entries = new Map<string, EntryRecord>([
      ['https://example.com/a', { feeds: ['ai'] }],
      ['https://example.com/b', { feeds: ['ai', 'all'] }],
    ]);
    writeEntryState(dir, { version: 1, entries });
    const snapshot = readFileSync(path.join(dir, 'entries.json'), 'utf8');

    const read = readEntryState(dir);
    // As a rebuild changes it: in place (content-model.ts).
    (read.state.entries as Map<string, EntryRecord>).set('https://example.com/c', { feeds: ['space'] });
    writeEntryState(dir, read.state, ['https://example.com/c']);

    assert.equal(readFileSync(path.join(dir, 'entries.json'), 'utf8'), snapshot, 'the snapshot was not written again');
    const journal = readFileSync(path.join(dir, 'entries.json.journal'), 'utf8').split('\n');
    assert.deepEqual(JSON.parse(journal[0]!), { generation: JSON.parse(snapshot.split('\n')[0]!.replace(/"entries":\{$/, '"entries":{}}')).generation });
    assert.deepEqual(JSON.parse(journal[1]!), ['https://example.com/c', { feeds: ['space'] }]);
    assert.deepEqual([...readEntryState(dir).state.entries.keys()].sort(), ['https://example.com/a', 'https://example.com/b', 'https://example.com/c']);
  });
});
