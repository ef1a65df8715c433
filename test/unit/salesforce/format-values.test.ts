import { describe, expect, it } from 'vitest';
import { formatValue, TRUNCATION_NOTE, truncate } from '../../../connectors/salesforce/format-values.ts';

const field = (type: string, extra: Record<string, number> = {}) => ({ name: 'F__c', type, ...extra });

describe('Salesforce value formatting', () => {
  it('writes a probability to a Percent field as 0-100 at the field scale', () => {
    expect(formatValue('winProbability', 0.28347, field('percent', { scale: 2 })).value).toBe(28.35);
    expect(formatValue('winProbability', 0.28347, field('percent', { scale: 0 })).value).toBe(28);
  });

  it('writes a probability to a Number field as 0..1 when it has decimals for it, else 0-100', () => {
    expect(formatValue('winProbability', 0.2834, field('double', { scale: 4 })).value).toBe(0.2834);
    expect(formatValue('winProbability', 0.2834, field('double', { scale: 0 })).value).toBe(28);
  });

  it('writes datetimes as ISO 8601 and scores as whole numbers', () => {
    expect(formatValue('scoredAt', new Date('2026-05-02T10:00:00Z'), field('datetime')).value).toBe('2026-05-02T10:00:00.000Z');
    expect(formatValue('score', 71.6, field('double', { precision: 3, scale: 0 })).value).toBe(72);
  });

  it('cuts text to the field length and says so', () => {
    const r = formatValue('drivers', 'x'.repeat(100), field('string', { length: 40 }));
    expect(String(r.value)).toHaveLength(40);
    expect(String(r.value).endsWith(TRUNCATION_NOTE)).toBe(true);
    expect(r.note).toBe('F__c cut from 100 to 40 characters');
    expect(truncate('short', 40)).toEqual({ text: 'short', cut: false });
  });
});
