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

describe('parseIsoDateTime: leap seconds (RFC 3339 §5.7)', () => {
  it('reads 2016-12-31T23:59:60Z as the last millisecond before 2017', () => {
    assert.equal(parseIsoDateTime('2016-12-31T23:59:60Z')?.toISOString(), '2016-12-31T23:59:59.999Z');
  });

  it('reads the same leap second written with an offset (15:59:60-08:00)', () => {
    assert.equal(parseIsoDateTime('2016-12-31T15:59:60-08:00')?.toISOString(), '2016-12-31T23:59:59.999Z');
  });

  it('rejects second 60 at the end of a day that is not the end of a month', () => {
    assert.equal(parseIsoDateTime('2016-12-30T23:59:60Z'), undefined);
  });
});

describe('parseIsoDateTime: years before 100', () => {
  it('keeps year 50 as year 50 (Date.UTC alone would make it 1950)', () => {
    assert.equal(parseIsoDateTime('0050-01-01')?.getUTCFullYear(), 50);
  });
});

/**
 * The calendar of days-in-month and leap years, checked against JavaScript's own Date: a day
 * exists when Date does not roll it over into the next month, and its instant is the one Date
 * computes. Days 28-31 of every month of years around the leap-year rule's edges.
 */
describe('parseIsoDateTime: the calendar agrees with Date', () => {
  const years = [0, 1, 4, 50, 99, 100, 400, 1600, 1700, 1896, 1899, 1900, 1904, 1999, 2000, 2023, 2024, 2100, 2400, 9999];
  const pad = (value: number, width: number) => String(value).padStart(width, '0');
  it('accepts exactly the days that exist, at the instant Date gives them', () => {
    let checked = 0;
    for (const year of years) {
      for (let month = 1; month <= 12; month++) {
        for (let day = 28; day <= 31; day++) {
          const reference = new Date(Date.UTC(2000, month - 1, day, 13, 14, 15));
          reference.setUTCFullYear(year, month - 1, day);
          const exists = reference.getUTCMonth() === month - 1 && reference.getUTCDate() === day;
          const text = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T13:14:15Z`;
          const parsed = parseIsoDateTime(text);
          assert.equal(parsed !== undefined, exists, `${text}: exists ${exists}`);
          if (parsed !== undefined) assert.equal(parsed.getTime(), reference.getTime(), text);
          checked++;
        }
      }
    }
    assert.equal(checked, years.length * 12 * 4);
  });

  it('29 February 0000 (a leap year) keeps its day and time with an offset', () => {
    const parsed = parseIsoDateTime('0000-02-29T23:30:00-01:00');
    assert.equal(parsed?.toISOString(), '0000-03-01T00:30:00.000Z');
  });
});
