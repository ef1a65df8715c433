import { describe, expect, it } from 'vitest';
import { denseRows, fitLogistic } from '../../../src/core/scoring/logistic.ts';
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

  it('fits rows looked up on demand exactly as the same rows held as a dense matrix', () => {
    // Two coded columns read through small tables, as training's target-encoded design does.
    const r = rng(4);
    const n = 500;
    const tables = [Float64Array.from([-1, 0.2, 0.9]), Float64Array.from([0.5, -0.7])];
    const codes = tables.map((t) => Int32Array.from({ length: n }, () => Math.floor(r() * t.length)));
    const X = new Float64Array(n * 2);
    const y = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      X[i * 2] = tables[0]![codes[0]![i]!]!;
      X[i * 2 + 1] = tables[1]![codes[1]![i]!]!;
      y[i] = r() < 1 / (1 + Math.exp(-(1.5 * X[i * 2]! - X[i * 2 + 1]!))) ? 1 : 0;
    }
    const lookedUp = {
      fill(i: number, out: Float64Array, at: number) {
        out[at] = tables[0]![codes[0]![i]!]!;
        out[at + 1] = tables[1]![codes[1]![i]!]!;
      },
    };
    const w = new Float64Array(n).fill(1);
    const dense = fitLogistic({ X, n, p: 2, y, w, l2: 1 });
    expect(fitLogistic({ X: lookedUp, n, p: 2, y, w, l2: 1 })).toEqual(dense);
    expect(fitLogistic({ X: denseRows(X, 2), n, p: 2, y, w, l2: 1 })).toEqual(dense);
    expect(dense.weights[0]).toBeGreaterThan(0.5);
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
