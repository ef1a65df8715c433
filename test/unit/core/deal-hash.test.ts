import { describe, expect, it } from 'vitest';
import { dealInputHash } from '../../../src/core/deal-hash.ts';
import { aDeal } from '../../helpers/builders.ts';

describe('deal input hash', () => {
  it('ignores the modification stamp our own write-back bumps', () => {
    const d = aDeal({ modifiedAt: new Date('2026-01-01T00:00:00Z') });
    expect(dealInputHash({ ...d, modifiedAt: new Date('2026-02-01T00:00:00Z') })).toBe(dealInputHash(d));
  });

  it('does not depend on key order (jsonb reorders keys)', () => {
    const d = aDeal({ extras: { a: 1, b: 'x' } });
    const reordered = Object.fromEntries(Object.entries({ ...d, extras: { b: 'x', a: 1 } }).reverse()) as unknown as typeof d;
    expect(dealInputHash(reordered)).toBe(dealInputHash(d));
  });

  it('changes when anything that can move the score changes', () => {
    const d = aDeal();
    const h = dealInputHash(d);
    expect(dealInputHash({ ...d, amount: (d.amount ?? 0) + 1 })).not.toBe(h);
    expect(dealInputHash({ ...d, lastActivityAt: new Date('2026-03-01T00:00:00Z') })).not.toBe(h);
    expect(dealInputHash({ ...d, stage: { ...d.stage, status: 'lost' } })).not.toBe(h);
  });
});
