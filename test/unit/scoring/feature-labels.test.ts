import { describe, expect, it } from 'vitest';
import { winRateBySegment } from '../../../src/core/metrics/pipeline.ts';
import { compileScorer } from '../../../src/core/scoring/scorer.ts';
import { trainModel } from '../../../src/core/scoring/train.ts';
import { aDeal, day, syntheticClosed, testConfig } from './builders.ts';

const asOf = day('2024-06-01');
// Deals a VP is involved in win far more often: extras.vp drives the score.
const closed = syntheticClosed({
  n: 600,
  seed: 5,
  lossProb: (d) => (d.externalId.endsWith('0') || d.externalId.endsWith('5') ? 0.15 : 0.6),
}).map((d) => ({
  ...d,
  extras: { vp: d.externalId.endsWith('0') || d.externalId.endsWith('5') ? 'Yes' : 'No' },
}));
const labels = { 'extras.vp': 'VP involved' };

describe("a mapped extra's label", () => {
  it('names the feature in the model and in the drivers of a deal', () => {
    const config = testConfig({ labels });
    const model = trainModel({ deals: closed }, { config, tenantId: 't1', trainedAt: asOf });
    expect(model.features.find((f) => f.id === 'extras.vp')?.label).toBe('VP involved');
    const open = aDeal({ createdAt: day('2024-05-01'), extras: { vp: 'No' } });
    const drivers = compileScorer(model, { config }).score(open, asOf).drivers;
    const vp = drivers.find((d) => d.feature === 'extras.vp');
    expect(vp?.sentence).toMatch(/^VP involved No: deals like this win/);
  });

  it('is "Vp", made from the key, without one', () => {
    const model = trainModel({ deals: closed }, { config: testConfig(), tenantId: 't1', trainedAt: asOf });
    expect(model.features.find((f) => f.id === 'extras.vp')?.label).toBe('Vp');
  });

  it('names the segment in the win rate by segment chart', () => {
    const rows = winRateBySegment(closed, labels).filter((r) => r.field === 'extras.vp');
    expect(rows.map((r) => r.label)).toEqual(['VP involved', 'VP involved']);
  });
});
