import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { EntryReader, EntryStoreCorrupt, SegmentWriter, entryDigest, type EntryLocation } from '../../src/build/entry-store.js';
import { heapGrowth } from '../helpers/heap.js';
import { makeTempDir } from '../helpers/temp-dir.js';

describe('entryDigest', () => {
  it('is the first 16 hex digits of the sha1 of the bytes, as cache indexes already saved hold them', () => {
    for (const text of ['', '<item><title>a</title></item>', 'é'.repeat(5000)]) {
      const bytes = Buffer.from(text, 'utf8');
      assert.equal(entryDigest(bytes), createHash('sha1').update(bytes).digest('hex').slice(0, 16));
    }
  });
});

describe('EntryReader: which entries it checks when it reads them', () => {
  const fragments = (title: string) => ({ rss: `<item><title>${title}</title></item>`, atom: `<entry><title>${title}</title></entry>`, json: `{"title":"${title}"}`, html: `<article>${title}</article>` });

  /** Two entries in a segment of their own, and a function that changes a byte of one of them on disk. */
  async function segmentOfTwo() {
    const dir = await makeTempDir('entry-store-');
    const writer = new SegmentWriter(dir);
    const [first, second] = [writer.append(fragments('first')), writer.append(fragments('second'))];
    writer.close();
    const damage = (location: EntryLocation) => {
      const file = path.join(dir, location.segment);
      const bytes = readFileSync(file);
      bytes[location.offset + 1]! ^= 0x20;
      writeFileSync(file, bytes);
    };
    return { dir, first: first!, second: second!, damage };
  }

  it('checks an entry of a segment another process wrote, once, and an entry checked elsewhere not again', async () => {
    const { dir, first, second, damage } = await segmentOfTwo();
    const reader = new EntryReader(dir);
    try {
      reader.trust(first);
      assert.equal(reader.isChecked(first), true);
      assert.equal(reader.isChecked(second), false, 'trusting one entry trusts no other of its segment');
      damage(second);
      assert.throws(() => reader.read(second), EntryStoreCorrupt);
    } finally {
      reader.close();
    }
  });

  it('needs no check for any entry of a segment this process wrote', async () => {
    const { dir, first, second } = await segmentOfTwo();
    const other = await segmentOfTwo();
    const reader = new EntryReader(dir);
    try {
      reader.wrote(first);
      assert.equal(reader.isChecked(second), true, 'the segment is this process’s own');
      assert.equal(reader.isChecked(other.first), false, 'another segment is not');
      assert.equal(reader.read(second).rss.toString('utf8'), '<item><title>second</title></item>');
    } finally {
      reader.close();
    }
  });

  it('keeps what it wrote by segment: 100 000 entries of one segment take no memory of their own', () => {
    const reader = new EntryReader('/nonexistent');
    const locations: EntryLocation[] = Array.from({ length: 100_000 }, (_, index) => ({ segment: 'entries-own.bin', offset: index * 100, lengths: [25, 25, 25, 25], digest: '0123456789abcdef' }));
    const { grown } = heapGrowth(() => locations.forEach((location) => reader.wrote(location)));
    assert.ok(grown < 512 * 1024, `the reader grew by ${(grown / 1024).toFixed(0)} KB`);
    assert.ok(locations.every((location) => reader.isChecked(location)));
  });
});
