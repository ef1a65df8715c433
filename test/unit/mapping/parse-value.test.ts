import { describe, expect, it } from 'vitest';
import { parseDate, parseNumber } from '../../../src/mapping/parse-value.ts';

describe('parseNumber', () => {
  it.each([
    ['$12,500.00', '.', 12500],
    ['€ 1.234,50', ',', 1234.5],
    ['(500)', '.', -500],
    ['1,000 USD', '.', 1000],
    [' 42 ', '.', 42],
    [3.5, '.', 3.5],
  ] as const)('reads %s', (raw, decimal, want) => {
    expect(parseNumber(raw, decimal)).toBe(want);
  });

  it.each(['lots', '12k', '', '1.2.3'])('refuses "%s" rather than guessing', (raw) => {
    expect(() => parseNumber(raw)).toThrow(/not a number/);
  });
});

describe('parseDate', () => {
  it('reads Salesforce datetimes with a +0000 offset', () => {
    expect(parseDate('2026-05-01T07:25:37.000+0000').toISOString()).toBe('2026-05-01T07:25:37.000Z');
    expect(parseDate('2026-05-01T09:25:37+02:00').toISOString()).toBe('2026-05-01T07:25:37.000Z');
  });

  it('reads plain dates as UTC midnight and HubSpot epoch milliseconds', () => {
    expect(parseDate('2026-03-08').toISOString()).toBe('2026-03-08T00:00:00.000Z');
    expect(parseDate('1767225600000').toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });

  it('uses the mapping formats for local spellings', () => {
    expect(parseDate('03/08/2026', ['MM/dd/yyyy']).toISOString()).toBe('2026-03-08T00:00:00.000Z');
    expect(parseDate('8.3.2026', ['d.M.yyyy']).toISOString()).toBe('2026-03-08T00:00:00.000Z');
  });

  it('rejects impossible dates instead of rolling them over', () => {
    expect(() => parseDate('2024-13-40')).toThrow(/no such date/);
    expect(() => parseDate('02/30/2026', ['MM/dd/yyyy'])).toThrow(/no such date/);
    expect(() => parseDate('soon', ['MM/dd/yyyy'])).toThrow(/not a date in MM\/dd\/yyyy/);
  });
});
