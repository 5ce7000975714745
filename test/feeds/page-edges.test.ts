/**
 * The page-edge book as stored (STATE_DIR/pages.json): written and read back, and every way a
 * stored file can be unusable leading to pages cut afresh, never to edges out of order.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePageEdges, serializePageEdges, type PageEdgeBook } from '../../src/feeds/page-edges.js';

const SETTINGS = { maxItems: 50, maxBytes: 1_048_576 };

function book(entries: Record<string, [number, string][]>): PageEdgeBook {
  return { byPath: new Map(Object.entries(entries).map(([feed, rows]) => [feed, rows.map(([time, id]) => ({ time, id }))])), changed: false };
}

const stored = book({
  ai: [
    [1000, 'https://a.example/1'],
    // The same second: the newer page's edge is the id that sorts first (feeds list it first).
    [2000, 'https://a.example/0'],
    [2000, 'https://a.example/"quoted"'],
  ],
  'providers/news.example.com': [[1500, 'tag:x,2024:1']],
  'categories/日本': [[10, 'z']],
});

describe('page edges on disk', () => {
  it('reads back what it wrote, as JSON', () => {
    const text = serializePageEdges(stored, SETTINGS);
    assert.doesNotThrow(() => JSON.parse(text));
    const parsed = parsePageEdges(text, SETTINGS);
    assert.equal(parsed.kind, 'read');
    assert.deepEqual([...parsed.book.byPath], [...stored.byPath]);
    assert.equal(parsed.book.changed, false);
  });

  it('is not used under other settings (maxItems or maxBytes changed)', () => {
    const text = serializePageEdges(stored, SETTINGS);
    for (const settings of [{ ...SETTINGS, maxItems: 20 }, { ...SETTINGS, maxBytes: 5_000_000 }]) {
      const parsed = parsePageEdges(text, settings);
      assert.equal(parsed.kind, 'other settings');
      assert.equal(parsed.book.byPath.size, 0);
      assert.equal(parsed.book.changed, true, 'written again under the new settings');
    }
  });

  it('is unreadable when cut short, not JSON, or of another version', () => {
    const text = serializePageEdges(stored, SETTINGS);
    for (const damaged of [text.slice(0, text.length / 2), 'garbage', '{"version":2,"maxItems":50,"maxBytes":1048576,"feeds":{}}', 'null']) {
      const parsed = parsePageEdges(damaged, SETTINGS);
      assert.equal(parsed.kind, 'unreadable', damaged);
      assert.equal(parsed.book.byPath.size, 0);
    }
  });

  it('leaves out a feed whose edges are out of order or malformed, and keeps the others', () => {
    const text = JSON.stringify({
      version: 1,
      ...SETTINGS,
      feeds: {
        ok: [[1, 'a'], [2, 'a']],
        backwards: [[2, 'a'], [1, 'a']],
        repeated: [[1, 'a'], [1, 'a']],
        sameTimeWrongOrder: [[1, 'a'], [1, 'b']],
        notNumber: [['1', 'a']],
        notList: 'x',
      },
    });
    const parsed = parsePageEdges(text, SETTINGS);
    assert.equal(parsed.kind, 'read');
    assert.deepEqual([...parsed.book.byPath.keys()], ['ok']);
    assert.equal(parsed.book.changed, true);
  });
});
