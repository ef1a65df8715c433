import { describe, expect, it } from 'vitest';
import type { Deal } from '../../../src/core/deal.ts';
import { serializeModel } from '../../../src/core/scoring/model.ts';
import { buildSimilarIndex, similarIndexBuilder } from '../../../src/core/scoring/similar.ts';
import { trainModel } from '../../../src/core/scoring/train.ts';
import { trainingDealCompactor } from '../../../src/core/scoring/training-deal.ts';
import { addDays, day, syntheticClosed, testConfig } from './builders.ts';

const cfg = testConfig();
/** Closed deals as the store returns them: each with its own copies of strings and Dates, and a stage history. */
const closed: Deal[] = syntheticClosed({ n: 1500, seed: 11, lossProb: (d) => (d.leadSource === 'Partner' ? 0.75 : 0.35) }).map((d, i) => {
  const created = new Date(d.createdAt!.getTime());
  return {
    ...d,
    account: { ...d.account, industry: `${d.account.industry}` },
    name: `Deal ${i}`,
    nextStep: 'Call back',
    modifiedAt: new Date(d.closedAt!.getTime()),
    extras: { tier: i % 3 === 0 ? 'gold' : 'silver', seats: i % 40 },
    stageHistory: [
      { stage: 'Discovery', status: 'open', order: 1, enteredAt: new Date(created.getTime()) },
      { stage: 'Proposal', status: 'open', order: 3, enteredAt: addDays(created, 5 + (i % 9)) },
      { stage: d.stage.label!, status: d.stage.status, order: 6, enteredAt: new Date(d.closedAt!.getTime()) },
    ],
  };
});

describe('training deals', () => {
  const compact = trainingDealCompactor();
  const lean = closed.map(compact);

  it('train the same model as the deals as read', () => {
    const opts = { config: cfg, tenantId: 't1', trainedAt: day('2024-06-01') };
    const full = serializeModel(trainModel({ deals: closed }, opts));
    expect(full.kind).toBe('logistic');
    expect(serializeModel(trainModel({ deals: lean }, opts))).toEqual(full);
  });

  it('drop what no feature reads and share repeated instants', () => {
    expect(lean[0]).toMatchObject({ name: null, nextStep: null, modifiedAt: null, account: { id: null, name: null } });
    // The owner's name stays: drivers and segments name owners, not their CRM ids.
    expect(lean[0]!.owner).toEqual(closed[0]!.owner);
    expect(lean[0]!.extras).toEqual(closed[0]!.extras);
    for (const d of lean.slice(0, 50)) {
      // Creation and close are the first and last stage-history entries: one Date each.
      expect(d.stageHistory[0]!.enteredAt).toBe(d.createdAt);
      expect(d.stageHistory[2]!.enteredAt).toBe(d.closedAt);
      expect(d.createdAt).toEqual(closed.find((c) => c.externalId === d.externalId)!.createdAt);
    }
  });
});

describe('similar won deals read a page at a time', () => {
  it('find the same references as an index built from every deal at once', () => {
    const asOf = day('2024-06-01');
    const whole = buildSimilarIndex(closed, cfg.segmentBy);
    const b = similarIndexBuilder(cfg.segmentBy);
    for (let i = 0; i < closed.length; i += 100) b.add(closed.slice(i, i + 100));
    const paged = b.build();
    const probes = closed
      .filter((d) => d.stage.status === 'won')
      .slice(0, 40)
      .map((d) => ({ ...d, stage: { label: null, status: 'open' as const, order: null }, createdAt: addDays(asOf, -30) }));
    for (const p of probes) expect(paged.find(p, asOf)).toEqual(whole.find(p, asOf));
    expect(probes.some((p) => whole.find(p, asOf).length === 3)).toBe(true);
  });
});
