import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memoized } from '../src/memoized.js';

describe('memoized', () => {
  it('answers what the function answers, computing each value once while the table has room', () => {
    const calls: string[] = [];
    const upper = memoized((value: string) => {
      calls.push(value);
      return value.toUpperCase();
    }, 4);
    assert.deepEqual(['a', 'b', 'a', 'b', 'a'].map(upper), ['A', 'B', 'A', 'B', 'A']);
    assert.deepEqual(calls, ['a', 'b']);
  });

  it('keeps at most `limit` results: a full table is emptied and filled again', () => {
    const calls: string[] = [];
    const length = memoized((value: string) => {
      calls.push(value);
      return value.length;
    }, 2);
    for (const value of ['a', 'bb', 'ccc', 'a', 'ccc']) length(value);
    // 'ccc' found the table full (a, bb): emptied, then ccc kept; a computed again (room), then ccc found.
    assert.deepEqual(calls, ['a', 'bb', 'ccc', 'a']);
  });

  it('does not keep an undefined result: it is computed again each time', () => {
    let calls = 0;
    const nothing = memoized((_value: string) => {
      calls++;
      return undefined;
    });
    nothing('x');
    nothing('x');
    assert.equal(calls, 2);
  });

  it('keeps a false result (only undefined means none)', () => {
    let calls = 0;
    const isLong = memoized((value: string) => {
      calls++;
      return value.length > 3 ? value : value.length > 1;
    });
    assert.equal(isLong('ab'), true);
    assert.equal(isLong('a'), false);
    assert.equal(isLong('a'), false);
    assert.equal(calls, 2);
  });
});
