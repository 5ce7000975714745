import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIsoDateTime } from '../../src/content/iso-date.js';

/** The parsed instant as epoch milliseconds, failing the test when the text was rejected. */
function millis(text: string): number {
  const date = parseIsoDateTime(text);
  assert.ok(date instanceof Date, `expected ${JSON.stringify(text)} to parse`);
  return date.getTime();
}

describe('parseIsoDateTime', () => {
  describe('accepts', () => {
    it('a UTC time with Z', () => {
      assert.equal(millis('2019-12-23T12:33:00Z'), Date.UTC(2019, 11, 23, 12, 33, 0));
    });

    it('a lower-case z', () => {
      assert.equal(millis('2019-12-23T12:33:00z'), Date.UTC(2019, 11, 23, 12, 33, 0));
    });

    it('an offset with a colon (+05:30 is 5½ hours ahead of UTC)', () => {
      assert.equal(millis('2019-12-23T12:33:00+05:30'), Date.UTC(2019, 11, 23, 7, 3, 0));
    });

    it('an offset without a colon (+0530)', () => {
      assert.equal(millis('2019-12-23T12:33:00+0530'), Date.UTC(2019, 11, 23, 7, 3, 0));
    });

    it('an offset in whole hours (+05)', () => {
      assert.equal(millis('2019-12-23T12:33:00+05'), Date.UTC(2019, 11, 23, 7, 33, 0));
    });

    it('a negative offset (-08:00 is 8 hours behind UTC)', () => {
      assert.equal(millis('2019-12-23T12:33:00-08:00'), Date.UTC(2019, 11, 23, 20, 33, 0));
    });

    it('a negative offset that moves the instant into the next day', () => {
      assert.equal(millis('2019-12-31T20:00:00-05:00'), Date.UTC(2020, 0, 1, 1, 0, 0));
    });

    it('a space instead of T between date and time', () => {
      assert.equal(millis('2019-12-23 12:33:00Z'), Date.UTC(2019, 11, 23, 12, 33, 0));
    });

    it('fractional seconds, kept to the millisecond', () => {
      assert.equal(millis('2019-12-23T12:33:00.123Z'), Date.UTC(2019, 11, 23, 12, 33, 0, 123));
    });

    it('a single fractional digit as tenths of a second', () => {
      assert.equal(millis('2019-12-23T12:33:00.5Z'), Date.UTC(2019, 11, 23, 12, 33, 0, 500));
    });

    it('nanosecond fractions, truncated to the millisecond', () => {
      assert.equal(millis('2019-12-23T12:33:00.999999999Z'), Date.UTC(2019, 11, 23, 12, 33, 0, 999));
    });

    it('a time without seconds', () => {
      assert.equal(millis('2019-12-23T12:33Z'), Date.UTC(2019, 11, 23, 12, 33, 0));
    });

    it('a bare date as midnight UTC', () => {
      assert.equal(millis('2019-12-23'), Date.UTC(2019, 11, 23));
    });

    it('a date-time without an offset as UTC', () => {
      assert.equal(millis('2019-12-23T12:33:00'), Date.UTC(2019, 11, 23, 12, 33, 0));
    });

    it('29 February in a leap year', () => {
      assert.equal(millis('2024-02-29T00:00:00Z'), Date.UTC(2024, 1, 29));
    });

    it('surrounding white space', () => {
      assert.equal(millis('  2019-12-23T12:33:00Z\n'), Date.UTC(2019, 11, 23, 12, 33, 0));
    });

    it('the same instant written with different offsets', () => {
      assert.equal(millis('2019-12-23T14:33:00+02:00'), millis('2019-12-23T12:33:00Z'));
    });
  });

  describe('rejects', () => {
    const rejected: ReadonlyArray<[string, string]> = [
      ['30 February', '2019-02-30'],
      ['29 February in a common year', '2019-02-29T00:00:00Z'],
      ['31 April', '2019-04-31'],
      ['hour 25', '2019-12-23T25:00:00Z'],
      ['hour 24', '2019-12-23T24:00:00Z'],
      ['minute 60', '2019-12-23T12:60:00Z'],
      ['second 60', '2019-12-23T12:33:60Z'],
      ['month 13', '2019-13-01'],
      ['month 0', '2019-00-10'],
      ['day 0', '2019-12-00'],
      ['an offset of +24:00', '2019-12-23T12:33:00+24:00'],
      ['an offset with 60 minutes', '2019-12-23T12:33:00+05:60'],
      ['an offset with one minute digit', '2019-12-23T12:33:00+05:3'],
      ['garbage', 'garbage'],
      ['an empty string', ''],
      ['an RFC 822 date', 'Mon, 23 Dec 2019 12:33:00 GMT'],
      ['a date without leading zeros', '2019-1-2'],
      ['a date followed by other text', '2019-12-23T12:33:00Z tomorrow'],
    ];
    for (const [what, text] of rejected) {
      it(`${what} (${JSON.stringify(text)})`, () => {
        assert.equal(parseIsoDateTime(text), undefined);
      });
    }
  });
});

describe('parseIsoDateTime: years before 100', () => {
  it('keeps year 50 as year 50 (Date.UTC alone would make it 1950)', () => {
    assert.equal(parseIsoDateTime('0050-01-01')?.getUTCFullYear(), 50);
  });
});
