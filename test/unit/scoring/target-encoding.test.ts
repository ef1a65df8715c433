import { describe, expect, it } from 'vitest';
import { logit } from '../../../src/core/scoring/stats.ts';
import { targetEncode } from '../../../src/core/scoring/target-encoding.ts';

function data(n: number) {
  const codes = new Uint16Array(n);
  const y = new Uint8Array(n);
  const fold = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    codes[i] = i % 3;
    y[i] = (i * 7) % 5 < 2 ? 1 : 0;
    fold[i] = i % 5;
  }
  return { codes, nCodes: 3, y, w: new Float64Array(n).fill(1), fold, nFolds: 5, smoothing: 10 };
}

describe('target encoding', () => {
  it('never lets a training row see its own outcome', () => {
    const base = data(200);
    const before = targetEncode(base).values;
    for (const i of [0, 17, 101, 199]) {
      const flipped = { ...base, y: Uint8Array.from(base.y) };
      flipped.y[i] = 1 - flipped.y[i]!;
      const after = targetEncode(flipped).values;
      expect(after[i]).toBe(before[i]);
      // Only rows in other folds (which may use row i) can move.
      for (let j = 0; j < 200; j++) if (base.fold[j] === base.fold[i]) expect(after[j]).toBe(before[j]);
    }
  });

  it('shrinks a small segment toward the overall rate and leaves a large one near its own', () => {
    const n = 1010;
    const codes = new Uint16Array(n);
    const y = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      codes[i] = i < 10 ? 1 : 0;
      y[i] = i < 10 ? 1 : i % 2; // small segment: 10/10 lost; big one: 50%
    }
    const enc = targetEncode({ codes, nCodes: 2, y, w: new Float64Array(n).fill(1), fold: new Uint8Array(n), nFolds: 1, smoothing: 10 });
    const overall = (10 + 500) / n;
    const smallRate = 1 / (1 + Math.exp(-(enc.table[1]! + logit(overall))));
    expect(smallRate).toBeLessThan(0.8); // raw rate is 100%
    expect(smallRate).toBeGreaterThan(overall);
    const bigRate = 1 / (1 + Math.exp(-(enc.table[0]! + logit(overall))));
    expect(bigRate).toBeCloseTo(0.5, 2);
  });
});
