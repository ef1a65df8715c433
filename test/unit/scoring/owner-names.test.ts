import { describe, expect, it } from 'vitest';
import { segmentInsights } from '../../../src/core/metrics/insights.ts';
import { pipelineMetrics, winRateBySegment } from '../../../src/core/metrics/pipeline.ts';
import { compileScorer } from '../../../src/core/scoring/scorer.ts';
import { describeCode } from '../../../src/core/scoring/sentences.ts';
import { trainModel } from '../../../src/core/scoring/train.ts';
import { aDeal, day, syntheticClosed, testConfig } from './builders.ts';

const asOf = day('2024-06-01');
const sfId = (i: number): string => `005Hs00000${String(i).padStart(5, '0')}AAA`;
const NAMES = [
  'Ada Lovelace',
  'Grace Hopper',
  'Alan Turing',
  'Edsger Dijkstra',
  'Barbara Liskov',
  'Ken Thompson',
  'Frances Allen',
  'Niklaus Wirth',
  'Radia Perlman',
  'Donald Knuth',
];

/** Closed deals owned by ten Salesforce users; Ada's (a third of them) lose 90%, the others' 40%. */
function withOwnerSignal() {
  return syntheticClosed({ n: 1500, seed: 61 }).map((d, i) => {
    const k = i % 3 === 0 ? 0 : i % 10;
    const lost = k === 0 ? i % 10 !== 0 : i % 5 < 2;
    return {
      ...d,
      owner: { id: sfId(k), name: NAMES[k]! },
      stage: { label: lost ? 'Closed Lost' : 'Closed Won', status: lost ? ('lost' as const) : ('won' as const), order: null },
    };
  });
}

describe('owners as people read them', () => {
  it('labels the win rate by segment with owner names, keeping the CRM id as the key', () => {
    const rows = winRateBySegment(withOwnerSignal()).filter((r) => r.field === 'owner');
    expect(rows.map((r) => r.value).sort()).toEqual([...NAMES].sort());
    expect(rows.find((r) => r.value === 'Ada Lovelace')!.key).toBe(sfId(0));
    expect(rows.some((r) => /005Hs/.test(r.value))).toBe(false);
    const m = pipelineMetrics({ deals: withOwnerSignal(), asOf, config: testConfig() });
    expect(m.winRateBySegment.filter((r) => r.field === 'owner').map((r) => `${r.label}: ${r.value}`)).toContain('Owner: Ada Lovelace');
  });

  it('keeps two owners of one name apart by their ids', () => {
    const deals = [
      ...Array.from({ length: 4 }, () => aDeal({ owner: { id: sfId(1), name: 'Sam Lee' }, stage: { status: 'won' } })),
      ...Array.from({ length: 4 }, () => aDeal({ owner: { id: sfId(2), name: 'Sam Lee' }, stage: { status: 'lost' } })),
    ];
    expect(
      winRateBySegment(deals)
        .filter((r) => r.field === 'owner')
        .map((r) => r.value)
        .sort(),
    ).toEqual([`Sam Lee (${sfId(1)})`, `Sam Lee (${sfId(2)})`]);
  });

  it('names owners in insights', () => {
    const text = segmentInsights(withOwnerSignal())
      .map((i) => i.text)
      .join('\n');
    expect(text).toMatch(/Deals with owner Ada Lovelace \(/);
    expect(text).not.toMatch(/owner 005Hs/);
  });

  it('names the owner in drivers, and says how many owners "other" pools', () => {
    const model = trainModel({ deals: withOwnerSignal() }, { config: testConfig({ maxLevels: 3 }), tenantId: 't1', trainedAt: asOf });
    const owner = model.features.find((f) => f.id === 'owner')!;
    expect(owner.levels).toHaveLength(3);
    expect(owner.pooled).toBe(7);
    expect(describeCode(owner, 1, null)).toBe('other (7 owners with fewer deals, pooled)');
    expect(describeCode(owner, 2, null)).toBe('Ada Lovelace');
    const s = compileScorer(model, { config: testConfig({ maxLevels: 3 }) }).score(
      aDeal({ owner: { id: sfId(0), name: 'Ada Lovelace' } }),
      asOf,
    );
    expect(s.drivers.find((d) => d.feature === 'owner')!.sentence).toMatch(
      /^Owner Ada Lovelace: deals like this win \d+% vs \d+% overall$/,
    );
  });
});
