import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScoreTrace } from '../../../src/core/scoring/risk-change.ts';
import type { StoredScore } from '../../../src/store/repos/scores.ts';
import { insertScores } from '../../helpers/scores.ts';
import { createTestStore, type TestStore } from '../../helpers/store.ts';

/** The risk change ledger's trace on the score history (migration 0013). PGlite, and Postgres when TEST_DATABASE_URL is set. */
const day = (iso: string): Date => new Date(`${iso}T00:00:00Z`);
const trace = (v: number, c: Record<string, number>, x: ScoreTrace['x']): ScoreTrace => ({ v, b: -0.4, c, x });
const score = (externalId: string, at: string, s: number, t: ScoreTrace | null): StoredScore => ({
  source: 'csv',
  externalId,
  modelId: null,
  scoredAt: day(at),
  score: s,
  category: 'medium',
  winProbability: 1 - s / 100,
  modelStatus: 'ok',
  inputHash: 'h',
  detail: {},
  trace: t,
});

let t: TestStore;
beforeAll(async () => {
  t = await createTestStore();
  await t.store.tenants.ensure('t1');
  await t.store.tenants.ensure('t2');
}, 20_000);
afterAll(() => t?.drop());

describe('scores.trace', () => {
  it('keeps every scoring’s trace, and the scoring at or before a moment is the nearest one', async () => {
    const a = trace(3, { days_to_close: 0.1, 'extras.tier': -0.2 }, { days_to_close: 30, 'extras.tier': 'Gold' });
    const b = trace(4, { days_to_close: 0.7 }, { days_to_close: 44, 'extras.tier': null });
    await insertScores(t.store, 't1', [
      score('d1', '2026-11-20', 30, null),
      score('d1', '2026-11-26', 35, a),
      score('d1', '2026-12-03', 61, b),
    ]);
    // Another tenant's row for the same deal id is never read.
    await insertScores(t.store, 't2', [score('d1', '2026-11-27', 99, b)]);
    const history = await t.store.scores.history('t1', 'csv', 'd1');
    expect(history.map((h) => [h.score, h.trace])).toEqual([
      [61, b],
      [35, a],
      [30, null],
    ]);
    expect((await t.store.scores.atOrBefore('t1', 'csv', 'd1', day('2026-11-27')))?.trace).toEqual(a);
    expect((await t.store.scores.atOrBefore('t1', 'csv', 'd1', day('2026-11-26')))?.score).toBe(35);
    expect((await t.store.scores.atOrBefore('t1', 'csv', 'd1', day('2026-11-21')))?.trace).toBeNull();
    expect(await t.store.scores.atOrBefore('t1', 'csv', 'd1', day('2026-11-01'))).toBeNull();
  });

  it('is written by syncState.saveScores, the sync’s one writer of scores', async () => {
    const tr = trace(2, { stage: 0.3 }, { stage: 'Proposal' });
    const { trace: _, ...rest } = score('d4', '2026-12-02', 57, tr);
    await t.store.syncState.saveScores('t1', [
      {
        ...rest,
        trace: tr,
        risk: {
          fields: {
            score: 57,
            category: 'Medium',
            winProbability: 0.43,
            drivers: '',
            action: '',
            scoredAt: day('2026-12-02'),
            modelStatus: 'ok',
          },
          tasks: [],
          summary: { name: null, ownerId: null, ownerName: null, amount: null, firstAction: null, drivers: [], url: null },
        },
        valuesHash: 'v',
        alertDueAt: null,
      },
    ]);
    expect((await t.store.scores.history('t1', 'csv', 'd4'))[0]?.trace).toEqual(tr);
  });

  it('is purged with its history row (scoreHistoryDays)', async () => {
    await insertScores(t.store, 't1', [score('d2', '2025-01-01', 40, trace(1, {}, {})), score('d2', '2026-12-01', 41, trace(1, {}, {}))]);
    await t.store.scores.purgeOlderThan('t1', day('2026-01-01'));
    expect((await t.store.scores.history('t1', 'csv', 'd2')).map((h) => h.score)).toEqual([41]);
  });

  it('refuses a malformed stored trace naming the row and column', async () => {
    await t.store.db
      .insertInto('scores')
      .values({
        tenant_id: 't1',
        source: 'csv',
        external_id: 'd3',
        model_id: null,
        scored_at: day('2026-12-01'),
        score: 1,
        category: 'low',
        win_probability: 0.99,
        model_status: 'ok',
        input_hash: 'h',
        detail: '{}',
        trace: JSON.stringify({ v: 'x' }),
      })
      .execute();
    await expect(t.store.scores.history('t1', 'csv', 'd3')).rejects.toThrow(/scores row t1\/csv\/d3@2026-12-01T00:00:00.000Z .*trace/);
  });
});
