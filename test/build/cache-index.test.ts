/**
 * The build cache's index file (STATE_DIR/cache/index.json): a save that replaces an index this
 * process loaded copies the lines whose items did not change, and must write the very bytes a
 * save that copies nothing writes. Made here from thousands of synthetic files (no article is
 * parsed), so that an index has many lines.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { SharedValues, type ScannedFile } from '../../src/build/build-cache.js';
import { loadIndex, saveIndex, type IndexContents } from '../../src/build/cache-index.js';
import { entryAt, indexContents, INDEX_FILES, nameOf, scannedFile } from '../helpers/index-contents.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const STAMP = { code: 'code-stamp', config: 'config-stamp' };

async function indexFile(): Promise<string> {
  return path.join(await makeTempDir('cache-index-'), 'index.json');
}

/** Loads `file` and reads its rest, as a build that needs the outcomes, entries and documents does. */
function loadWhole(file: string) {
  const loaded = loadIndex(file, STAMP, new SharedValues());
  assert.ok(loaded, `${file} loads`);
  const rest = loaded.rest.read();
  return { loaded, rest };
}

/** What a build of a loaded index saves, with `files` (the loaded ones unless told): its entries and documents, and its lines to copy. */
function contentsOf({ loaded, rest }: ReturnType<typeof loadWhole>, files: readonly ScannedFile[] = loaded.files): IndexContents {
  return { files, entries: [...rest.entries], documents: [...rest.documents], lastBuild: undefined, saved: loaded.savedLines };
}

/** What a full save (one that copies nothing) of `contents` writes, read back. */
async function fullSaveBytes(contents: IndexContents): Promise<Buffer> {
  const file = await indexFile();
  const saved = saveIndex(file, STAMP, { ...contents, saved: undefined } as IndexContents);
  assert.equal(saved.copiedBytes, 0);
  return readFileSync(file);
}

describe('cache index: a save copies the lines of the index it replaces', () => {
  it('copies every line whose items did not change, and writes the bytes a full save writes', async () => {
    const file = await indexFile();
    saveIndex(file, STAMP, indexContents());
    const { loaded, rest } = loadWhole(file);

    // One file edited, one added near the start, one removed near the end; an entry gone and one
    // added; a document's fingerprint changed and a document added.
    const files: ScannedFile[] = [...loaded.files];
    files[12_500] = scannedFile(files[12_500]!.file, 12_500, 'key-12500-edited');
    files.splice(16_000, 1);
    files.splice(100, 0, scannedFile(nameOf(100, '-new'), 100, 'key-new'));
    const entries = [...rest.entries].filter(([key]) => key !== 'key-16000');
    entries.push(['key-12500-edited', entryAt(29_999)], ['key-new', entryAt(30_000)]);
    const documents = [...rest.documents].map(([name, print]): [string, string] => (name === 'feeds/3/archive/43.xml' ? [name, 'print-changed'] : [name, print]));
    documents.push(['feeds/new.xml', 'print-new']);
    const contents: IndexContents = { files, entries, documents, lastBuild: { inputs: 'digest' } as never, saved: loaded.savedLines };

    const expected = await fullSaveBytes(contents);
    const saved = saveIndex(file, STAMP, contents);
    assert.ok(readFileSync(file).equals(expected), 'the same bytes as a full save');
    assert.equal(saved.bytes, expected.length);
    // Each change rewrites the line it falls in (a thousand items of its kind on average, by the
    // items' names; 61 % of the bytes are copied here, the same in every run), and the last line
    // of each kind is written again.
    assert.ok(saved.copiedBytes > 0.5 * saved.bytes, `copied ${saved.copiedBytes} of ${saved.bytes} bytes`);

    // The index written is whole: it loads, and holds what was saved.
    const again = loadWhole(file);
    assert.deepEqual(
      again.loaded.files.map(({ file: name, key }) => `${name} ${key}`),
      files.map(({ file: name, key }) => `${name} ${key}`),
    );
    assert.deepEqual(again.rest.outcomes[101], files[101]!.outcome);
    assert.deepEqual([...again.rest.entries], entries);
    assert.deepEqual([...again.rest.documents], documents);
  });

  it('a save records where its own lines lie: the next save copies from the index it wrote', async () => {
    // The same process, with no load between (a server's saves): each save's own objects are the next one's items.
    const contents = indexContents();
    const file = await indexFile();
    const first = saveIndex(file, STAMP, contents);
    const files = [...contents.files];
    files[7000] = scannedFile(files[7000]!.file, 7000, 'key-7000-edited');
    files.splice(300, 0, scannedFile(nameOf(300, '-new'), 300, 'key-new'));
    const changed: IndexContents = { files, entries: contents.entries, documents: contents.documents, lastBuild: undefined, saved: first.lines };
    const expected = await fullSaveBytes(changed);
    const second = saveIndex(file, STAMP, changed);
    assert.ok(readFileSync(file).equals(expected), 'the same bytes as a full save');
    assert.ok(second.copiedBytes > 0.5 * second.bytes, `copied ${second.copiedBytes} of ${second.bytes} bytes`);
    // And the one after that, from the index the second wrote.
    const third = saveIndex(file, STAMP, { ...changed, saved: second.lines });
    assert.ok(readFileSync(file).equals(expected), 'unchanged contents, unchanged bytes');
    assert.ok(third.copiedBytes > 0.8 * third.bytes, `copied ${third.copiedBytes} of ${third.bytes} bytes`);
  });

  it('a file removed where a line ended joins that line and the next: both are written again, the lines after copied', async () => {
    const file = await indexFile();
    saveIndex(file, STAMP, indexContents());
    // The file that ends the index's second line of file rows.
    const rows = readFileSync(file, 'utf8').split('\n').filter((line) => line.startsWith('["F",'));
    const second = JSON.parse(rows[1]!) as unknown[];
    const ending = second[second.length - 7] as string;
    const whole = loadWhole(file);
    const files = whole.loaded.files.filter((scanned) => scanned.file !== ending);
    assert.equal(files.length, INDEX_FILES - 1);
    const contents = contentsOf(whole, files);
    const expected = await fullSaveBytes(contents);
    const saved = saveIndex(file, STAMP, contents);
    assert.ok(readFileSync(file).equals(expected), 'the same bytes as a full save');
    assert.ok(saved.copiedBytes > 0.5 * saved.bytes, `copied ${saved.copiedBytes} of ${saved.bytes} bytes`);
  });

  it('copies nothing it did not check: an index changed, replaced or removed since its load', async () => {
    for (const change of ['a byte changed', 'replaced by another index', 'removed'] as const) {
      const file = await indexFile();
      saveIndex(file, STAMP, indexContents());
      const whole = loadWhole(file);
      if (change === 'a byte changed') {
        // Inside a file's row, the same length: what the load checked is no longer there.
        const bytes = readFileSync(file);
        const at = bytes.indexOf('article-003000');
        bytes[at + 8] = '7'.charCodeAt(0);
        writeFileSync(file, bytes);
      } else if (change === 'replaced by another index') {
        const other = indexContents();
        saveIndex(file, STAMP, { ...other, documents: other.documents.slice(1) });
      } else {
        rmSync(file);
      }
      const contents = contentsOf(whole);
      const expected = await fullSaveBytes(contents);
      const saved = saveIndex(file, STAMP, contents);
      assert.equal(saved.copiedBytes, 0, change);
      assert.ok(readFileSync(file).equals(expected), `${change}: the bytes of a full save`);
    }
  });

  it('copies only lines that end where a line ends: a save that adds items after the last one writes that line again', async () => {
    const file = await indexFile();
    saveIndex(file, STAMP, indexContents());
    const whole = loadWhole(file);
    const contents = contentsOf(whole, [...whole.loaded.files, scannedFile(nameOf(INDEX_FILES + 1), INDEX_FILES + 1, 'key-last')]);
    const expected = await fullSaveBytes(contents);
    const saved = saveIndex(file, STAMP, contents);
    assert.ok(readFileSync(file).equals(expected), 'the same bytes as a full save');
    assert.ok(saved.copiedBytes > 0.8 * saved.bytes, `copied ${saved.copiedBytes} of ${saved.bytes} bytes`);
  });
});
