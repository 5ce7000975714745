import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { entryDigest } from '../../src/build/entry-store.js';

describe('entryDigest', () => {
  it('is the first 16 hex digits of the sha1 of the bytes, as cache indexes already saved hold them', () => {
    for (const text of ['', '<item><title>a</title></item>', 'é'.repeat(5000)]) {
      const bytes = Buffer.from(text, 'utf8');
      assert.equal(entryDigest(bytes), createHash('sha1').update(bytes).digest('hex').slice(0, 16));
    }
  });
});
