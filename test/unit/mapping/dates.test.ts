import { Settings } from 'luxon';
import { describe, expect, it } from 'vitest';
import { compileDateParser, formatProblem, TWO_DIGIT_YEAR_CUTOFF } from '../../../src/mapping/dates.ts';
import { type MappingInput, parseMapping } from '../../../src/mapping/schema.ts';

const iso = (raw: unknown, formats: string[] = [], timezone?: string): string =>
  compileDateParser({ formats, ...(timezone ? { timezone } : {}) })(raw).toISOString();

const csvMapping = (fields: MappingInput['fields'], extra: Partial<MappingInput> = {}): MappingInput => ({
  source: 'csv',
  object: 'deals',
  id: 'Id',
  ...extra,
  fields: { 'stage.status': { from: 'Status' }, ...fields },
});

function loadError(doc: MappingInput): string {
  try {
    parseMapping(doc, 'my.yaml');
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected the mapping to be refused');
}

describe('dates in real-world spellings', () => {
  it('reads 27-Mar-12 with d-MMM-yy, whatever the case of the month', () => {
    expect(iso('27-Mar-12', ['d-MMM-yy'])).toBe('2012-03-27T00:00:00.000Z');
    expect(iso('27-MAR-12', ['d-MMM-yy'])).toBe('2012-03-27T00:00:00.000Z');
    expect(iso('3-dec-09', ['d-MMM-yy'])).toBe('2009-12-03T00:00:00.000Z');
  });

  it('reads two-digit years up to 60 as 20xx and from 61 as 19xx, as documented', () => {
    expect(Settings.twoDigitCutoffYear).toBe(TWO_DIGIT_YEAR_CUTOFF);
    expect(iso('1-Jan-60', ['d-MMM-yy'])).toBe('2060-01-01T00:00:00.000Z');
    expect(iso('1-Jan-61', ['d-MMM-yy'])).toBe('1961-01-01T00:00:00.000Z');
  });

  it.each([
    ['3/27/2012', 'M/d/yyyy'],
    ['27.03.2012', 'dd.MM.yyyy'],
    ['March 27, 2012', 'MMMM d, yyyy'],
    ['2012-03-27', 'yyyy-MM-dd'],
    ['20120327', 'yyyyMMdd'],
  ])('reads %s with %s', (raw, format) => {
    expect(iso(raw, [format])).toBe('2012-03-27T00:00:00.000Z');
  });

  it('keeps ISO 8601 with offsets, Salesforce +0000 and epoch milliseconds without any format', () => {
    expect(iso('2026-05-01T07:25:37.000+0000')).toBe('2026-05-01T07:25:37.000Z');
    expect(iso('2026-05-01T09:25:37+02:00')).toBe('2026-05-01T07:25:37.000Z');
    expect(iso('2026-05-01 07:25:37 +0000')).toBe('2026-05-01T07:25:37.000Z');
    expect(iso('1767225600000')).toBe('2026-01-01T00:00:00.000Z');
    expect(iso(1767225600000)).toBe('2026-01-01T00:00:00.000Z');
  });

  it('reads an ISO year 0001-0099 as that year, never as 1901-1999', () => {
    // Found by the fuzz suite: a HubSpot closedate of 0099-06-15 landed as 1999-06-15, a valid date.
    expect(iso('0099-06-15')).toBe('0099-06-15T00:00:00.000Z');
    expect(iso('0070-01-01T00:00:00.000Z')).toBe('0070-01-01T00:00:00.000Z');
    expect(iso('0001-03-01T12:30:00+02:00')).toBe('0001-03-01T10:30:00.000Z');
    expect(iso('0000-01-01T00:00:00Z')).toBe('0000-01-01T00:00:00.000Z');
  });

  it('tries the next format when an earlier one matches the shape but not a real day', () => {
    expect(iso('27/03/2012', ['MM/dd/yyyy', 'dd/MM/yyyy'])).toBe('2012-03-27T00:00:00.000Z');
    expect(() => iso('02/30/2026', ['MM/dd/yyyy'])).toThrow('no such date: "02/30/2026" (read as MM/dd/yyyy)');
  });

  it('says which formats were tried when none reads the value', () => {
    expect(() => iso('27 Mar 2012', ['d-MMM-yy', 'M/d/yyyy'])).toThrow(
      'not a date in d-MMM-yy or M/d/yyyy: "27 Mar 2012" (ISO 8601 and epoch milliseconds were tried first)',
    );
    expect(() => iso('soon')).toThrow(/not a date: "soon" \(tried ISO 8601 and epoch milliseconds/);
  });
});

describe('time zones', () => {
  it('reads a wall-clock time without an offset in the field time zone, summer and winter', () => {
    expect(iso('2012-03-27 14:05', [], 'America/New_York')).toBe('2012-03-27T18:05:00.000Z');
    expect(iso('1/15/2024 9:30 AM', ['M/d/yyyy h:mm a'], 'Europe/Paris')).toBe('2024-01-15T08:30:00.000Z');
    expect(iso('7/15/2024 9:30 AM', ['M/d/yyyy h:mm a'], 'Europe/Paris')).toBe('2024-07-15T07:30:00.000Z');
  });

  it('keeps an explicit offset and a calendar day whatever the time zone', () => {
    expect(iso('2012-03-27T14:05:00Z', [], 'America/New_York')).toBe('2012-03-27T14:05:00.000Z');
    expect(iso('2012-03-27', [], 'Asia/Tokyo')).toBe('2012-03-27T00:00:00.000Z');
    expect(iso('27-Mar-12', ['d-MMM-yy'], 'Asia/Tokyo')).toBe('2012-03-27T00:00:00.000Z');
  });
});

describe('Excel serial numbers', () => {
  it('reads serials as text or numbers, with a time of day in the time zone', () => {
    expect(iso('40995', ['excel'])).toBe('2012-03-27T00:00:00.000Z');
    expect(iso(40995, ['excel'])).toBe('2012-03-27T00:00:00.000Z');
    expect(iso('40995.5', ['excel'], 'America/New_York')).toBe('2012-03-27T16:00:00.000Z');
    expect(iso('39533', ['excel1904'])).toBe('2012-03-27T00:00:00.000Z');
  });

  it("handles Excel's fictitious 1900-02-29 (serial 60) and the days around it", () => {
    expect(iso('59', ['excel'])).toBe('1900-02-28T00:00:00.000Z');
    expect(iso('61', ['excel'])).toBe('1900-03-01T00:00:00.000Z');
    expect(iso('1', ['excel'])).toBe('1900-01-01T00:00:00.000Z');
    expect(() => iso('60', ['excel'])).toThrow(/no such date: Excel serial 60 is 1900-02-29/);
  });

  it('still reads epoch milliseconds and ISO dates in a field that lists excel', () => {
    expect(iso(1767225600000, ['excel'])).toBe('2026-01-01T00:00:00.000Z');
    expect(iso('2012-03-27', ['excel'])).toBe('2012-03-27T00:00:00.000Z');
  });
});

describe('format checks when the mapping loads', () => {
  it.each([
    ['yyy-MM-dd', 'unknown token "yyy"'],
    ['DD/MM/YYYY', 'unknown token "DD" (days of the month are d or dd)'],
    ['dd/MM/YYYY', 'unknown token "YYYY" (years are y, yy or yyyy)'],
    ['yyyy-MM-ddTHH:mm', `unknown token "T" (quote letters meant literally: 'T')`],
    ['MM/dd', 'has no year (y, yy or yyyy)'],
    ['MMM yyyy', 'has no day (a month and d or dd, or a day of the year)'],
  ])('refuses %s: %s', (format, problem) => {
    expect(formatProblem(format)).toBe(problem);
  });

  it.each(["yyyy-MM-dd'T'HH:mm", 'd-MMM-yy', 'excel', 'excel1904', 'yyyy-MM-dd HH:mm:ss ZZ', 'EEE, d MMM yyyy'])('accepts %s', (format) => {
    expect(formatProblem(format)).toBeNull();
  });

  it('names the key path of an unknown token', () => {
    const message = loadError(csvMapping({ closedAt: { from: 'Closed', formats: ['d-MMM-yy', 'yyy'] } }));
    expect(message).toContain('my.yaml: fields.closedAt.formats.1: unknown token "yyy"');
  });

  it('names the key path of an unknown time zone, on a field or the whole mapping', () => {
    expect(loadError(csvMapping({ createdAt: { from: 'Created', timezone: 'Europe/Pariss' } }))).toContain(
      'fields.createdAt.timezone: unknown time zone "Europe/Pariss"',
    );
    expect(loadError(csvMapping({}, { timezone: 'Mars/Olympus' }))).toContain('my.yaml: timezone: unknown time zone "Mars/Olympus"');
  });
});

describe('ISO 8601 without luxon (the CRM timestamp path)', () => {
  it('refuses a day or a time that does not exist instead of rolling it over', () => {
    expect(() => iso('2024-02-30')).toThrow('no such date: "2024-02-30"');
    expect(() => iso('2024-01-01T24:00:00Z')).toThrow('no such date');
    expect(() => iso('2024-01-01T10:60Z')).toThrow('no such date');
    expect(iso('2024-02-29T23:59:59.999-0500')).toBe('2024-03-01T04:59:59.999Z');
    expect(iso('2024-02-29 23:59:59,5 +05')).toBe('2024-02-29T18:59:59.500Z');
  });

  it('gives a new Date each time a text repeats', () => {
    const parse = compileDateParser();
    const a = parse('2024-03-01');
    a.setUTCFullYear(1999);
    expect(parse('2024-03-01').toISOString()).toBe('2024-03-01T00:00:00.000Z');
  });
});
