import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { roundRatios } from '../../bench/report.js';

describe('roundRatios: the spread behind a combined serving ratio', () => {
  it('divides each round by the same round of the reference', () => {
    assert.equal(roundRatios([900, 500, 1200], [1000, 1000, 1000]), '0.90, 0.50, 1.20');
  });

  it('says nothing when a series is missing or the rounds do not pair up', () => {
    assert.equal(roundRatios(undefined, [1000]), '');
    assert.equal(roundRatios([1000], undefined), '');
    assert.equal(roundRatios([1000, 900], [1000]), '');
    assert.equal(roundRatios([], []), '');
  });

  it('marks a round whose reference answered nothing', () => {
    assert.equal(roundRatios([10, 20], [0, 40]), 'n/a, 0.50');
  });
});
