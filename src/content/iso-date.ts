/**
 * ISO 8601 / RFC 3339 date-times as written by people: `2019-12-23T12:33:00Z`,
 * `2025-06-01T08:00:00+05:30`, `+0530`, `+05`, a space instead of `T`, fractional seconds, or a
 * bare date. A value without an offset is read as UTC (the README says so). Unlike `Date.parse`,
 * impossible values (`2019-02-30`, `25:00`) are rejected instead of rolled over.
 */
const ISO_8601_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/;

export function parseIsoDateTime(text: string): Date | undefined {
  const match = ISO_8601_DATE_TIME.exec(text.trim());
  if (!match) return undefined;
  const [, year, month, day, hour = '0', minute = '0', second = '0', fraction = '0', offset] = match;
  const parts = [year, month, day, hour, minute, second].map(Number) as [number, number, number, number, number, number];
  const [y, mo, d, h, mi, s] = parts;
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return undefined;
  const milliseconds = Math.floor(Number(`0.${fraction}`) * 1000);
  // Date.UTC maps years 0–99 to 1900–1999, so the year is set on its own.
  const local = new Date(Date.UTC(2000, mo - 1, d, h, mi, s, milliseconds));
  local.setUTCFullYear(y, mo - 1, d);
  // 30 February rolls over to March: a changed day or month means the date does not exist.
  if (local.getUTCDate() !== d || local.getUTCMonth() !== mo - 1) return undefined;
  const utc = local.getTime();
  const offsetMinutes = parseOffsetMinutes(offset);
  if (offsetMinutes === undefined) return undefined;
  return new Date(utc - offsetMinutes * 60_000);
}

function parseOffsetMinutes(offset: string | undefined): number | undefined {
  if (offset === undefined || offset === 'Z' || offset === 'z') return 0;
  const digits = offset.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2)) : 0;
  if (hours > 23 || minutes > 59) return undefined;
  return (offset.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
}
