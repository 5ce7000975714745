import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { trackDeletedEntries, type EntryRecord, type EntryState } from '../../src/feeds/deleted-entries.js';
import { exceedsRemovalLimit, removalLimit } from '../../src/feeds/removal-guard.js';

const POLICY = { percent: 10, minimum: 20 };
const NOW = new Date('2025-01-10T00:00:00Z');

/** A state with `live` published ids (id-0 …) and `gone` ids already announced as deleted. */
function state(live: number, gone = 0): EntryState {
  const entries = new Map<string, EntryRecord>();
  for (let index = 0; index < live; index++) entries.set(`id-${index}`, { feeds: ['all'] });
  for (let index = 0; index < gone; index++) entries.set(`gone-${index}`, { feeds: ['all'], deletedAt: '2025-01-01T00:00:00.000Z' });
  return { version: 1, entries };
}

/** The ids id-from … id-(to-1), as a build's current entries. */
function ids(from: number, to: number): Map<string, readonly string[]> {
  const current = new Map<string, readonly string[]>();
  for (let index = from; index < to; index++) current.set(`id-${index}`, ['all']);
  return current;
}

const removal = (previous: EntryState, current: ReadonlyMap<string, readonly string[]>, days = 30) => trackDeletedEntries(previous, current, NOW, days).removal;

describe('trackDeletedEntries: what a build removes', () => {
  it('counts the published entries a build no longer has, and not the ones already announced', () => {
    assert.deepEqual(removal(state(23, 5), new Map()), { before: 23, removed: 23 });
    assert.deepEqual(removal(state(23, 5), ids(3, 23)), { before: 23, removed: 3 });
  });

  it('new entries neither add to nor hide removals', () => {
    const current = ids(50, 100);
    for (let index = 0; index < 500; index++) current.set(`new-${index}`, ['all']);
    assert.deepEqual(removal(state(100), current), { before: 100, removed: 50 });
  });

  it('counts removals also when deletions are not announced (DELETED_ENTRY_DAYS=0)', () => {
    assert.deepEqual(removal(state(40), ids(0, 10), 0), { before: 40, removed: 30 });
  });
});

describe('the removal limit', () => {
  it('is the larger of the percentage and the minimum', () => {
    assert.equal(removalLimit(100, POLICY), 20);
    assert.equal(removalLimit(1000, POLICY), 100);
    assert.equal(removalLimit(50_000, { percent: 1, minimum: 20 }), 500);
    assert.equal(removalLimit(10, { percent: 0, minimum: 0 }), 0);
  });

  it('holds back a build only past it', () => {
    assert.equal(exceedsRemovalLimit({ before: 1000, removed: 100 }, POLICY), false);
    assert.equal(exceedsRemovalLimit({ before: 1000, removed: 101 }, POLICY), true);
    assert.equal(exceedsRemovalLimit({ before: 23, removed: 23 }, POLICY), true);
    assert.equal(exceedsRemovalLimit({ before: 0, removed: 0 }, { percent: 0, minimum: 0 }), false);
  });

  it('never holds back an editor removing a few at a time', () => {
    // 200 articles, 15 removed per build: each build is compared with the one before.
    for (let live = 200; live > 0; live = Math.max(0, live - 15)) {
      assert.equal(exceedsRemovalLimit(removal(state(live), ids(0, Math.max(0, live - 15))), POLICY), false, `at ${live}`);
    }
  });
});
