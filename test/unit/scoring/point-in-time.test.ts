import { describe, expect, it } from 'vitest';
import { compilePlaybook } from '../../../src/core/actions/evaluate.ts';
import type { Deal } from '../../../src/core/deal.ts';
import type { DealSnapshot } from '../../../src/core/scoring/rows.ts';
import { compileScorer } from '../../../src/core/scoring/scorer.ts';
import { rng } from '../../../src/core/scoring/stats.ts';
import { trainModel } from '../../../src/core/scoring/train.ts';
import { loadPlaybook } from '../../../src/scoring/config.ts';
import { aDeal, addDays, day, testConfig } from './builders.ts';

const cfg = testConfig();
const asOf = day('2024-06-01');

/** Closed deals whose outcome followed how stale they were while open (seen only in snapshots). */
function history(n: number) {
  const r = rng(5);
  const deals: Deal[] = [];
  const snapshots: DealSnapshot[] = [];
  for (let i = 0; i < n; i++) {
    const createdAt = addDays(day('2023-01-01'), Math.floor(r() * 300));
    const stale = r() < 0.5;
    const lost = r() < (stale ? 0.8 : 0.25);
    const open = aDeal({ externalId: `h${i}`, createdAt, leadSource: r() < 0.5 ? 'Inbound' : 'Outbound' });
    for (const at of [20, 40]) {
      const takenAt = addDays(createdAt, at);
      snapshots.push({ externalId: open.externalId, takenAt, deal: { ...open, lastActivityAt: addDays(takenAt, stale ? -45 : -2) } });
    }
    // The closed record's own activity date is post-hoc (the close itself) and says nothing.
    const closedAt = addDays(createdAt, 45 + Math.floor(r() * 60));
    deals.push({ ...open, stage: { label: null, status: lost ? 'lost' : 'won', order: null }, closedAt, lastActivityAt: closedAt });
  }
  return { deals, snapshots };
}

describe('point-in-time training', () => {
  const h = history(1200);

  it('ranks a stalled deal riskier than its active twin, and says why', () => {
    const model = trainModel(h, { config: cfg, tenantId: 't1', trainedAt: asOf });
    expect(model.training.rowSource).toBe('snapshots');
    const scorer = compileScorer(model, { config: cfg, actions: compilePlaybook(loadPlaybook()) });
    const twin = { createdAt: addDays(asOf, -30), leadSource: 'Inbound' };
    const stalled = scorer.score(aDeal({ ...twin, lastActivityAt: addDays(asOf, -50) }), asOf);
    const active = scorer.score(aDeal({ ...twin, lastActivityAt: addDays(asOf, -1) }), asOf);
    expect(stalled.riskScore).toBeGreaterThan(active.riskScore + 25);
    const d = stalled.drivers[0]!;
    expect(d.feature).toBe('days_since_activity');
    expect(d.sentence).toMatch(/^No activity for 50 days; deals like this win \d+% vs \d+% overall$/);
    expect(stalled.actions.map((a) => a.action)).toContain('reengage_decision_maker');
  });

  it('ignores process fields of closed records when there are no snapshots', () => {
    const model = trainModel({ deals: h.deals }, { config: cfg, tenantId: 't1', trainedAt: asOf });
    expect(model.training.rowSource).toBe('moments');
    expect(model.features.map((f) => f.id)).not.toContain('days_since_activity');
    expect(model.notes.join(' ')).toMatch(/No snapshots yet/);
  });

  it('replays closed deals only at ages they had reached while open', () => {
    const model = trainModel({ deals: h.deals }, { config: cfg, tenantId: 't1', trainedAt: asOf });
    // Ages are creation plus quantiles of the cycle; a deal contributes only ages below its own cycle.
    const rows = model.training.rows;
    expect(rows).toBeGreaterThan(h.deals.length);
    expect(rows).toBeLessThan(h.deals.length * cfg.momentsPerDeal);
  });
});
