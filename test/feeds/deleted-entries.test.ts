/**
 * trackDeletedEntries and parseEntryState: RFC 6721 deletion notices from what earlier builds
 * published. Pure: the state goes in and comes out; `now` is passed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { heapGrowth } from '../helpers/heap.js';
import { EMPTY_ENTRY_STATE, parseEntryState, serializeEntryState, trackDeletedEntries, type EntryState } from '../../src/feeds/deleted-entries.js';

const DAY = 86_400_000;
const T0 = new Date('2025-01-01T00:00:00Z');
const at = (days: number) => new Date(T0.getTime() + days * DAY);
const RETENTION_DAYS = 30;

const A = 'https://news.example.com/a';
const B = 'https://news.example.com/b';

/** Entry ids published by a build, each with the feeds it is in. */
const published = (entries: Record<string, string[]>) => new Map(Object.entries(entries));

/** Runs builds in order, each seeing the state of the one before; returns the last result. */
function builds(...steps: [Date, Map<string, string[]>][]) {
  let state: EntryState = EMPTY_ENTRY_STATE;
  let result: ReturnType<typeof trackDeletedEntries> | undefined;
  for (const [now, current] of steps) {
    result = trackDeletedEntries(state, current, now, RETENTION_DAYS);
    state = result.state;
  }
  assert.ok(result);
  return result;
}

const tombstonesAsData = (tombstones: ReadonlyMap<string, readonly { id: string; deletedAt: Date }[]>) =>
  Object.fromEntries([...tombstones].map(([feed, list]) => [feed, list.map((t) => [t.id, t.deletedAt.toISOString()])]));

describe('trackDeletedEntries', () => {
  it('announces nothing on a first build (no earlier state)', () => {
    const { tombstones } = trackDeletedEntries(EMPTY_ENTRY_STATE, published({ [A]: ['all', 'ai'] }), T0, RETENTION_DAYS);
    assert.equal(tombstones.size, 0);
  });

  it('remembers every published id with the feeds it is in', () => {
    const { state } = trackDeletedEntries(EMPTY_ENTRY_STATE, published({ [A]: ['all', 'ai'], [B]: ['all'] }), T0, RETENTION_DAYS);
    // Feeds in the order the build lists them (all first), which is deterministic.
    assert.deepEqual(state, { version: 1, entries: new Map([[A, { feeds: ['all', 'ai'] }], [B, { feeds: ['all'] }]]) });
  });

  it('announces an id that was published and is gone, in each of its former feeds, deleted now', () => {
    const { tombstones } = builds([T0, published({ [A]: ['all', 'ai'], [B]: ['all'] })], [at(1), published({ [B]: ['all'] })]);
    assert.deepEqual(tombstonesAsData(tombstones), {
      ai: [[A, at(1).toISOString()]],
      all: [[A, at(1).toISOString()]],
    });
  });

  it('records when the id was first missed in the state', () => {
    const { state } = builds([T0, published({ [A]: ['ai'] })], [at(1), published({})]);
    assert.deepEqual(state.entries.get(A), { feeds: ['ai'], deletedAt: at(1).toISOString() });
  });

  it('keeps the first-seen deletion time on later builds, so the output stays the same', () => {
    const { tombstones } = builds([T0, published({ [A]: ['ai'] })], [at(1), published({})], [at(2), published({})], [at(3), published({})]);
    assert.deepEqual(tombstonesAsData(tombstones), { ai: [[A, at(1).toISOString()]] });
  });

  it('still announces the deletion one day before the retention ends', () => {
    const { tombstones } = builds([T0, published({ [A]: ['ai'] })], [at(1), published({})], [at(1 + RETENTION_DAYS - 1), published({})]);
    assert.deepEqual(tombstonesAsData(tombstones), { ai: [[A, at(1).toISOString()]] });
  });

  it('forgets the id, in state and tombstones, once retentionDays have passed', () => {
    const { state, tombstones } = builds(
      [T0, published({ [A]: ['ai'] })],
      [at(1), published({})],
      [at(1 + RETENTION_DAYS + 1), published({})],
    );
    assert.equal(tombstones.size, 0);
    assert.equal(state.entries.size, 0);
  });

  it('announces nothing with a retention of 0 days', () => {
    let state = trackDeletedEntries(EMPTY_ENTRY_STATE, published({ [A]: ['ai'] }), T0, 0).state;
    const result = trackDeletedEntries(state, published({}), at(1), 0);
    state = result.state;
    assert.equal(result.tombstones.size, 0);
    assert.equal(state.entries.size, 0);
  });

  it('no longer announces an id that comes back', () => {
    const { state, tombstones } = builds([T0, published({ [A]: ['ai'] })], [at(1), published({})], [at(2), published({ [A]: ['ai'] })]);
    assert.equal(tombstones.size, 0);
    assert.deepEqual(state.entries.get(A), { feeds: ['ai'] });
  });

  it('announces a comeback that is deleted again from its new deletion time', () => {
    const { tombstones } = builds(
      [T0, published({ [A]: ['ai'] })],
      [at(1), published({})],
      [at(2), published({ [A]: ['ai'] })],
      [at(3), published({})],
    );
    assert.deepEqual(tombstonesAsData(tombstones), { ai: [[A, at(3).toISOString()]] });
  });

  it('keeps only ids, feed paths and deletion times in the state', () => {
    const { state } = builds([T0, published({ [A]: ['all', 'ai'], [B]: ['all'] })], [at(1), published({ [B]: ['all'] })]);
    assert.deepEqual(Object.keys(state).sort(), ['entries', 'version']);
    for (const record of state.entries.values()) {
      assert.ok(Object.keys(record).every((key) => key === 'feeds' || key === 'deletedAt'), JSON.stringify(record));
    }
  });

  it('reports the number of entries announced as deleted', () => {
    const { deleted } = builds([T0, published({ [A]: ['ai'], [B]: ['all'] })], [at(1), published({ [B]: ['all'] })], [at(2), published({})]);
    assert.equal(deleted, 2);
  });

  it('says the state changed only when what it records changed', () => {
    const first = trackDeletedEntries(EMPTY_ENTRY_STATE, published({ [A]: ['ai'] }), T0, RETENTION_DAYS);
    assert.equal(first.changed, true);
    assert.equal(trackDeletedEntries(first.state, published({ [A]: ['ai'] }), at(1), RETENTION_DAYS).changed, false);
    assert.equal(trackDeletedEntries(first.state, published({ [A]: ['ai', 'all'] }), at(1), RETENTION_DAYS).changed, true);
    const gone = trackDeletedEntries(first.state, published({}), at(1), RETENTION_DAYS);
    assert.equal(gone.changed, true);
    assert.equal(trackDeletedEntries(gone.state, published({}), at(2), RETENTION_DAYS).changed, false);
  });

  it('lists a feed\'s tombstones newest deletion first', () => {
    const { tombstones } = builds(
      [T0, published({ [A]: ['ai'], [B]: ['ai'] })],
      [at(1), published({ [B]: ['ai'] })],
      [at(2), published({})],
    );
    assert.deepEqual(tombstonesAsData(tombstones), { ai: [[B, at(2).toISOString()], [A, at(1).toISOString()]] });
  });
});

describe('trackDeletedEntries: an entry that leaves some of its feeds (another topic, provider or category)', () => {
  it('is announced as deleted in each feed it left, from that build, and in no other', () => {
    const { tombstones, deleted, published: count } = builds([T0, published({ [A]: ['all', 'ai', 'providers/x'] })], [at(1), published({ [A]: ['all', 'space', 'providers/x'] })]);
    assert.deepEqual(tombstonesAsData(tombstones), { ai: [[A, at(1).toISOString()]] });
    assert.equal(deleted, 0, 'it is not counted as a deleted entry: it is still published');
    assert.equal(count, 1);
  });

  it('keeps the time it left on later builds, and records the feed and time in the state', () => {
    const { tombstones, state, changed } = builds([T0, published({ [A]: ['all', 'ai'] })], [at(1), published({ [A]: ['all', 'space'] })], [at(2), published({ [A]: ['all', 'space'] })]);
    assert.deepEqual(tombstonesAsData(tombstones), { ai: [[A, at(1).toISOString()]] });
    assert.deepEqual(state.entries.get(A), { feeds: ['all', 'space'], left: { ai: at(1).toISOString() } });
    assert.equal(changed, false, 'a build that changes nothing changes no record');
  });

  it('is no longer announced in a feed it comes back to', () => {
    const { tombstones, state } = builds([T0, published({ [A]: ['all', 'ai'] })], [at(1), published({ [A]: ['all', 'space'] })], [at(2), published({ [A]: ['all', 'ai'] })]);
    assert.deepEqual(tombstonesAsData(tombstones), { space: [[A, at(2).toISOString()]] });
    assert.deepEqual(state.entries.get(A), { feeds: ['all', 'ai'], left: { space: at(2).toISOString() } });
  });

  it('is forgotten in a feed it left once retentionDays have passed, and the expiry is the next one due', () => {
    const before = builds([T0, published({ [A]: ['all', 'ai'] })], [at(1), published({ [A]: ['all', 'space'] })]);
    assert.equal(before.nextExpiry, at(1 + RETENTION_DAYS).getTime());
    const { tombstones, state, changed } = builds([T0, published({ [A]: ['all', 'ai'] })], [at(1), published({ [A]: ['all', 'space'] })], [at(1 + RETENTION_DAYS), published({ [A]: ['all', 'space'] })]);
    assert.equal(tombstones.size, 0);
    assert.deepEqual(state.entries.get(A), { feeds: ['all', 'space'] });
    assert.equal(changed, true);
  });

  it('is announced in the feeds it had left, as in the others, when it is then removed', () => {
    const { tombstones, deleted } = builds([T0, published({ [A]: ['all', 'ai'] })], [at(1), published({ [A]: ['all', 'space'] })], [at(2), published({})]);
    assert.deepEqual(tombstonesAsData(tombstones), { ai: [[A, at(1).toISOString()]], all: [[A, at(2).toISOString()]], space: [[A, at(2).toISOString()]] });
    assert.equal(deleted, 1);
  });

  it('is announced since its deletion in the feeds it does not come back to, when it comes back elsewhere', () => {
    const { tombstones } = builds([T0, published({ [A]: ['all', 'ai'] })], [at(1), published({})], [at(2), published({ [A]: ['all', 'space'] })]);
    assert.deepEqual(tombstonesAsData(tombstones), { ai: [[A, at(1).toISOString()]] });
  });

  it('announces nothing with a retention of 0 days', () => {
    let state: EntryState = EMPTY_ENTRY_STATE;
    state = trackDeletedEntries(state, published({ [A]: ['all', 'ai'] }), T0, 0).state;
    const { tombstones } = trackDeletedEntries(state, published({ [A]: ['all', 'space'] }), at(1), 0);
    assert.equal(tombstones.size, 0);
  });

  it('survives being stored and read back', () => {
    const { state } = builds([T0, published({ [A]: ['all', 'ai'] })], [at(1), published({ [A]: ['all', 'space'] })]);
    assert.deepEqual(parseEntryState(serializeEntryState(state)).entries.get(A), { feeds: ['all', 'space'], left: { ai: at(1).toISOString() } });
    assert.deepEqual(parseEntryState('{"version":1,"entries":{"a":{"feeds":["all"],"left":{"ai":1,"space":"2025-01-02T00:00:00.000Z"}},"b":{"feeds":["all"],"left":["ai"]}}}').entries, new Map([
      ['a', { feeds: ['all'], left: { space: '2025-01-02T00:00:00.000Z' } }],
      ['b', { feeds: ['all'] }],
    ]));
  });
});

describe('parseEntryState', () => {
  it('reads back a state it wrote', () => {
    const { state } = builds([T0, published({ [A]: ['ai'], [B]: ['all'] })], [at(1), published({ [B]: ['all'] })]);
    assert.deepEqual(parseEntryState(serializeEntryState(state)), state);
    assert.deepEqual(JSON.parse(serializeEntryState(state)), { version: 1, entries: { [B]: { feeds: ['all'] }, [A]: { feeds: ['ai'], deletedAt: at(1).toISOString() } } });
  });

  it('treats a missing file as no state', () => {
    assert.deepEqual(parseEntryState(undefined), EMPTY_ENTRY_STATE);
  });

  for (const [label, text] of [
    ['text that is not JSON', '{not json'],
    ['an empty file', ''],
    ['JSON null', 'null'],
    ['a JSON array', '[]'],
    ['a JSON string', '"entries"'],
    ['another version', JSON.stringify({ version: 2, entries: { [A]: { feeds: ['ai'] } } })],
    ['no version', JSON.stringify({ entries: { [A]: { feeds: ['ai'] } } })],
    ['no entries', JSON.stringify({ version: 1 })],
    ['entries that are not an object', JSON.stringify({ version: 1, entries: 'x' })],
  ] as const) {
    it(`treats ${label} as no state`, () => {
      assert.deepEqual(parseEntryState(text), EMPTY_ENTRY_STATE);
    });
  }

  it('skips records without a feeds list and keeps the rest', () => {
    const text = JSON.stringify({ version: 1, entries: { [A]: { deletedAt: T0.toISOString() }, [B]: { feeds: ['all'] }, c: null } });
    assert.deepEqual(parseEntryState(text), { version: 1, entries: new Map([[B, { feeds: ['all'] }]]) });
  });

  it('drops feed paths that are not strings and a deletedAt that is not a string', () => {
    const text = JSON.stringify({ version: 1, entries: { [A]: { feeds: ['ai', 3, null, 'all'], deletedAt: 12 } } });
    assert.deepEqual(parseEntryState(text), { version: 1, entries: new Map([[A, { feeds: ['ai', 'all'] }]]) });
  });

  it('lets trackDeletedEntries forget a record whose deletedAt is not a date', () => {
    const previous = parseEntryState(JSON.stringify({ version: 1, entries: { [A]: { feeds: ['ai'], deletedAt: 'yesterday' } } }));
    const { state, tombstones } = trackDeletedEntries(previous, published({}), T0, RETENTION_DAYS);
    assert.equal(tombstones.size, 0);
    assert.equal(state.entries.size, 0);
  });
});

describe('parseEntryState: one array for each set of feeds', () => {
  it('gives records with the same feeds the very same array, and keeps each record its own feeds', () => {
    const state = parseEntryState(
      JSON.stringify({ version: 1, entries: { a: { feeds: ['all', 'ai'] }, b: { feeds: ['all', 'ai'] }, c: { feeds: ['all', 'space'] }, d: { feeds: ['all', 'ai', 'space'], deletedAt: '2025-01-01T00:00:00.000Z' } } }),
    );
    const feeds = (id: string) => state.entries.get(id)!.feeds;
    assert.equal(feeds('a'), feeds('b'));
    assert.deepEqual(feeds('a'), ['all', 'ai']);
    assert.deepEqual(feeds('c'), ['all', 'space']);
    assert.deepEqual(feeds('d'), ['all', 'ai', 'space']);
    assert.notEqual(feeds('a'), feeds('d'));
  });

  it('keeps one copy of each feed path, however many sets of feeds hold it', () => {
    // 20 long paths, in a different set of feeds for each of 10 000 records: a copy of each path
    // in each set would be 30 000 strings of 1 000 characters (30 MB).
    const paths = Array.from({ length: 20 }, (_, index) => `providers/${String(index).padStart(990, 'p')}`);
    const entries: Record<string, { feeds: string[] }> = {};
    for (let record = 0; record < 10_000; record++) entries[`id-${record}`] = { feeds: ['all', ...paths.filter((_, index) => (record >> index) % 2 === 1 || index === record % 20)] };
    const text = JSON.stringify({ version: 1, entries });
    const { grown, made: state } = heapGrowth(() => parseEntryState(text));
    assert.equal(state.entries.size, 10_000);
    assert.deepEqual(state.entries.get('id-5')!.feeds, ['all', paths[0], paths[2], paths[5]]);
    assert.ok(grown < 12 * 1024 * 1024, `parsing the state grew the heap by ${(grown / 1024 / 1024).toFixed(1)} MB`);
  });
});
