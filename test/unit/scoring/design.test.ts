import { describe, expect, it } from 'vitest';
import { buildDesign, codeFeatures, crossCandidates, planColumns } from '../../../src/core/scoring/design.ts';
import { candidateFeatures } from '../../../src/core/scoring/features.ts';
import { buildRows, foldsFor } from '../../../src/core/scoring/rows.ts';
import { targetEncode } from '../../../src/core/scoring/target-encoding.ts';
import { syntheticClosed, testConfig } from './builders.ts';

describe('design matrix read through lookups', () => {
  it('gives every row the value a dense out-of-fold encoding gives it, with and without weight', () => {
    const cfg = testConfig({ amountLinear: true });
    const closed = syntheticClosed({ n: 600, seed: 21, lossProb: (d) => (d.leadSource === 'Partner' ? 0.7 : 0.35) });
    const rows = buildRows(closed, [], cfg.momentsPerDeal);
    const coded = codeFeatures(candidateFeatures(closed), rows.views, rows.w, () => 60, cfg);
    const plans = planColumns(coded, rows.views, cfg, crossCandidates(coded, rows.views.length, cfg));
    expect(plans.some((p) => p.features.length === 2)).toBe(true);
    expect(plans.some((p) => p.kind === 'linear')).toBe(true);
    const fold = foldsFor(rows, cfg.folds);
    // Rows of every fifth deal weigh nothing (held out): they read the full table, not their fold's.
    const w = rows.w.map((x, i) => (rows.dealOf[i]! % 5 === 0 ? 0 : x));
    const design = buildDesign(plans, rows, w, fold, cfg);
    const dense = plans.map((p, j) =>
      p.kind === 'encoded'
        ? targetEncode({ codes: p.codes!, nCodes: p.nCodes!, y: rows.y, w, fold, nFolds: cfg.folds, smoothing: cfg.smoothing }).values
        : design.linear[j]!.values,
    );
    const x = new Float64Array(plans.length + 2);
    for (let i = 0; i < rows.views.length; i++) {
      design.fill(i, x, 2);
      for (let j = 0; j < plans.length; j++) expect(x[2 + j], `row ${i}, ${plans[j]!.id}`).toBe(dense[j]![i]);
    }
    const lin = plans.findIndex((p) => p.kind === 'linear');
    expect(Math.abs(design.linear[lin]!.values.reduce((a, b) => a + b, 0) / rows.views.length)).toBeLessThan(0.2);
  });
});
