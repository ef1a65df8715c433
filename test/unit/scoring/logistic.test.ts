import { describe, expect, it } from 'vitest';
import { fitLogistic } from '../../../src/core/scoring/logistic.ts';
import { rng } from '../../../src/core/scoring/stats.ts';

describe('logistic regression solver', () => {
  it('recovers the group log-odds exactly for one binary feature without penalty', () => {
    // x=0: 30 of 100 positive; x=1: 60 of 80 positive.
    const n = 180;
    const X = new Float64Array(n);
    const y = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      X[i] = i < 100 ? 0 : 1;
      y[i] = i < 100 ? (i < 30 ? 1 : 0) : i < 160 ? 1 : 0;
    }
    const fit = fitLogistic({ X, n, p: 1, y, w: new Float64Array(n).fill(1), l2: 0 });
    expect(fit.converged).toBe(true);
    expect(fit.intercept).toBeCloseTo(Math.log(30 / 70), 8);
    expect(fit.weights[0]).toBeCloseTo(Math.log(60 / 20) - Math.log(30 / 70), 8);
  });

  it('lands on the same optimum with a sampled Hessian as with the full one', () => {
    const r = rng(9);
    const n = 3000;
    const p = 4;
    const X = new Float64Array(n * p);
    const y = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      let z = -0.3;
      for (let j = 0; j < p; j++) {
        X[i * p + j] = r() * 2 - 1;
        z += (j - 1.5) * X[i * p + j]!;
      }
      y[i] = r() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    }
    const w = new Float64Array(n).fill(1);
    const full = fitLogistic({ X, n, p, y, w, l2: 1, hessianRows: n });
    const sampled = fitLogistic({ X, n, p, y, w, l2: 1, hessianRows: 200 });
    expect(sampled.intercept).toBeCloseTo(full.intercept, 5);
    for (let j = 0; j < p; j++) expect(sampled.weights[j]).toBeCloseTo(full.weights[j]!, 5);
    // And the penalty shrinks: a stronger L2 gives smaller weights.
    const strong = fitLogistic({ X, n, p, y, w, l2: 500 });
    expect(Math.abs(strong.weights[0]!)).toBeLessThan(Math.abs(full.weights[0]!));
  });
});
