/**
 * STATE_DIR/pages.json: the page edges written whole and read back, and what a reader is told
 * when they cannot be used (a damaged file, other page settings).
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { readPageEdges, writePageEdges } from '../../src/build/page-state.js';
import { collectingLogger } from '../helpers/logger.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const SETTINGS = { maxItems: 50, maxBytes: 1_048_576 };
const book = () => ({ byPath: new Map([['ai', [{ time: 1, id: 'b' }, { time: 2, id: 'a' }]]]), changed: true });

describe('page state on disk', () => {
  it('reads back the edges it wrote, into a state folder it makes, and marks the book saved', async () => {
    const stateDir = path.join(await makeTempDir('page-state-'), 'state');
    const written = book();
    writePageEdges(stateDir, written, SETTINGS);
    assert.equal(written.changed, false);
    const { logger, entries } = collectingLogger();
    const read = readPageEdges(stateDir, SETTINGS, logger);
    assert.deepEqual([...read.byPath], [...written.byPath]);
    assert.equal(read.changed, false);
    assert.deepEqual(entries, []);
  });

  it('reads none, quietly, when there is no file (a first build)', async () => {
    const { logger, entries } = collectingLogger();
    const read = readPageEdges(await makeTempDir('page-state-none-'), SETTINGS, logger);
    assert.equal(read.byPath.size, 0);
    assert.equal(read.changed, false);
    assert.deepEqual(entries, []);
  });

  it('says which settings the edges were recorded with when they changed, and reads none', async () => {
    const stateDir = await makeTempDir('page-state-settings-');
    writePageEdges(stateDir, book(), SETTINGS);
    const { logger, entries } = collectingLogger();
    const read = readPageEdges(stateDir, { ...SETTINGS, maxItems: 20 }, logger);
    assert.equal(read.byPath.size, 0);
    assert.equal(read.changed, true);
    assert.equal(entries.length, 1);
    assert.match(entries[0]!.msg, /pages\.json was recorded with FEED_MAX_ITEMS=50 and FEED_MAX_BYTES=1048576/);
  });

  it('warns naming the file when it is damaged, and reads none', async () => {
    const stateDir = await makeTempDir('page-state-damaged-');
    writePageEdges(stateDir, book(), SETTINGS);
    const file = path.join(stateDir, 'pages.json');
    await writeFile(file, (await readFile(file, 'utf8')).slice(0, 30));
    const { logger, entries } = collectingLogger();
    assert.equal(readPageEdges(stateDir, SETTINGS, logger).byPath.size, 0);
    assert.equal(entries[0]?.level, 'warn');
    assert.ok(entries[0]?.msg.startsWith(`${file} is unreadable`), entries[0]?.msg);
  });
});
