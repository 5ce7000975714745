/**
 * The page-edge book as stored (STATE_DIR/pages.json): written and read back, and every way a
 * stored file can be unusable leading to pages cut afresh, never to edges out of order.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { digestsAdded, parsePageEdges, sameEdges, serializePageEdges, type PageEdgeBook } from '../../src/feeds/page-edges.js';

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

describe('page edges on disk: page digests', () => {
  const stamped = { ...SETTINGS, stamp: 'code.config' };
  const withDigests: PageEdgeBook = {
    byPath: new Map([['ai', [{ time: 1000, id: 'a', digest: 'd1' }, { time: 2000, id: 'b' }]]]),
    changed: false,
  };

  it('reads back the digests under the same stamp', () => {
    const parsed = parsePageEdges(serializePageEdges(withDigests, stamped), stamped);
    assert.equal(parsed.kind, 'read');
    assert.deepEqual(parsed.book.byPath.get('ai'), [{ time: 1000, id: 'a', digest: 'd1' }, { time: 2000, id: 'b' }]);
  });

  it('drops the digests, keeping the edges, under another stamp or when either side has none', () => {
    for (const [written, read] of [
      [stamped, { ...SETTINGS, stamp: 'other.config' }],
      [SETTINGS, stamped],
      [stamped, SETTINGS],
    ] as const) {
      const parsed = parsePageEdges(serializePageEdges(withDigests, written), read);
      assert.equal(parsed.kind, 'read');
      assert.deepEqual(parsed.book.byPath.get('ai'), [{ time: 1000, id: 'a' }, { time: 2000, id: 'b' }]);
      assert.equal(parsed.book.changed, false);
    }
  });

  it('takes a row whose third element is not text as an edge without a digest', () => {
    const text = JSON.stringify({ version: 1, ...stamped, feeds: { ai: [[1, 'a', 7], [2, 'a', 'd']] } });
    assert.deepEqual(parsePageEdges(text, stamped).book.byPath.get('ai'), [{ time: 1, id: 'a' }, { time: 2, id: 'a', digest: 'd' }]);
  });
});

describe('digestsAdded', () => {
  it('is true only when an edge gets a digest it did not have', () => {
    const plain = [{ time: 1, id: 'a' }];
    assert.equal(digestsAdded(plain, [{ time: 1, id: 'a', digest: 'x' }]), true);
    assert.equal(digestsAdded([{ time: 1, id: 'a', digest: 'x' }], [{ time: 1, id: 'a', digest: 'y' }]), false);
    assert.equal(digestsAdded(plain, plain), false);
  });
});

describe('sameEdges', () => {
  it('compares time and id, edge by edge, whether the edges are the same objects or copies', () => {
    const edges = [{ time: 1, id: 'a' }, { time: 2, id: 'b', digest: 'x' }];
    assert.equal(sameEdges(edges, edges), true);
    assert.equal(sameEdges(edges, [edges[0]!, { time: 2, id: 'b' }]), true, 'a digest is not part of an edge');
    assert.equal(sameEdges(edges, [{ time: 1, id: 'a' }, { time: 2, id: 'c' }]), false);
    assert.equal(sameEdges(edges, [edges[0]!, { time: 3, id: 'b' }]), false);
    assert.equal(sameEdges(edges, [{ time: 0, id: 'a' }, edges[1]!]), false);
    assert.equal(sameEdges(edges, edges.slice(0, 1)), false);
    assert.equal(sameEdges([], []), true);
  });
});
