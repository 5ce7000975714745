/**
 * ISO 8601 / RFC 3339 date-times as written by people: `2019-12-23T12:33:00Z`,
 * `2025-06-01T08:00:00+05:30`, `+0530`, `+05`, a space instead of `T`, fractional seconds, or a
 * bare date. A value without an offset is read as UTC (the README says so). Unlike `Date.parse`,
 * impossible values (`2019-02-30`, `25:00`) are rejected instead of rolled over.
 */
const ISO_8601_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/** Days in each month of a common year; February has 29 in a leap year (isLeapYear). */
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/** The proleptic Gregorian calendar's rule, which JavaScript's Date follows for every year. */
function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1]!;
}

/**
 * Three or four of these per article, on every parse: the fields are read straight from the
 * match and the instant computed with one Date.UTC call (no intermediate arrays or Date objects).
 */
export function parseIsoDateTime(text: string): Date | undefined {
  const match = ISO_8601_DATE_TIME.exec(text.trim());
  if (match === null) return undefined;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  const hour = match[4] === undefined ? 0 : Number(match[4]);
  const minute = match[5] === undefined ? 0 : Number(match[5]);
  const second = match[6] === undefined ? 0 : Number(match[6]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 60) return undefined;
  const offsetMinutes = parseOffsetMinutes(match[8]);
  if (offsetMinutes === undefined) return undefined;
  // A leap second (`2016-12-31T23:59:60Z`, or `15:59:60-08:00` the same second) has no Date of
  // its own: it is read as the last millisecond of the second before it.
  const leapSecond = second === 60;
  const milliseconds = leapSecond ? 999 : match[7] === undefined ? 0 : Math.floor(Number(`0.${match[7]}`) * 1000);
  let utc = Date.UTC(year, month - 1, day, hour, minute, leapSecond ? 59 : second, milliseconds);
  if (year < 100) {
    // Date.UTC maps years 0–99 to 1900–1999, so such a year is set on its own, with its month and
    // day again: 29 February 0000 (a leap year) was computed in 1900, which is not one.
    const date = new Date(utc);
    date.setUTCFullYear(year, month - 1, day);
    utc = date.getTime();
  }
  const instant = new Date(utc - offsetMinutes * 60_000);
  return leapSecond && !isLastSecondOfUtcMonth(instant) ? undefined : instant;
}

/** Leap seconds are inserted at the end of a UTC month (RFC 3339 §5.7), in practice June or December. */
function isLastSecondOfUtcMonth(instant: Date): boolean {
  return instant.getUTCHours() === 23 && instant.getUTCMinutes() === 59 && new Date(instant.getTime() + 1000).getUTCDate() === 1;
}

function parseOffsetMinutes(offset: string | undefined): number | undefined {
  if (offset === undefined || offset === 'Z' || offset === 'z') return 0;
  const digits = offset.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2)) : 0;
  if (hours > 23 || minutes > 59) return undefined;
  return (offset.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
}
