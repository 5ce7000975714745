/**
 * writeText on a real file, read back with node:fs; its writes counted through the build's fs
 * seam.
 */
import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildFs, type BuildFs } from '../../src/build/build-fs.js';
import { writeText } from '../../src/build/write-all.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/** The byte lengths of the writes made while `run` runs. */
function countingWrites(run: () => void): number[] {
  const seam = buildFs as { -readonly [K in keyof BuildFs]: BuildFs[K] };
  const original = seam.writeSync;
  const lengths: number[] = [];
  seam.writeSync = ((fd: number, bytes: Uint8Array, offset?: number | null) => {
    const written = (original as (fd: number, bytes: Uint8Array, offset?: number | null) => number)(fd, bytes, offset);
    lengths.push(written);
    return written;
  }) as BuildFs['writeSync'];
  try {
    run();
  } finally {
    seam.writeSync = original;
  }
  return lengths;
}

/** Writes `pieces` to a new `file` with writeText; the byte lengths of its writes. */
function writeTextTo(file: string, pieces: Iterable<string>): number[] {
  const fd = openSync(file, 'w');
  return countingWrites(() => {
    try {
      writeText(fd, pieces);
    } finally {
      closeSync(fd);
    }
  });
}

describe('writeText', () => {
  it('writes its pieces as UTF-8, a megabyte or so at a time, never the whole text in one write', async () => {
    const dir = await makeTempDir('write-text-');
    const file = path.join(dir, 'state.json');
    // 4.3 MB of lines (3.7 million characters) with two-, three- and four-byte characters.
    const pieces = Array.from({ length: 120_000 }, (_, index) => `"café ${index}":["€ ${index}","😀"],\n`);
    const lengths = writeTextTo(file, pieces);
    const expected = pieces.join('');
    assert.equal(readFileSync(file, 'utf8'), expected);
    const total = Buffer.byteLength(expected);
    assert.equal(lengths.reduce((sum, length) => sum + length, 0), total);
    assert.ok(lengths.length >= 2, `${lengths.length} writes for ${total} bytes`);
    assert.ok(Math.max(...lengths) < total / 1.5, `largest write ${Math.max(...lengths)} of ${total} bytes`);
  });

  it('writes nothing for no pieces, and a lone empty piece as an empty file', async () => {
    const dir = await makeTempDir('write-text-');
    for (const pieces of [[], ['']]) {
      const file = path.join(dir, `${pieces.length}.txt`);
      const lengths = writeTextTo(file, pieces);
      assert.equal(readFileSync(file, 'utf8'), '');
      assert.deepEqual(lengths, []);
    }
  });
});
