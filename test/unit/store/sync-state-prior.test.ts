import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestStore, type TestStore } from '../../helpers/store.ts';

const now = new Date('2026-11-24T10:00:00Z');

describe("a tenant's prior deal states", () => {
  let t: TestStore;
  beforeEach(async () => {
    t = await createTestStore();
    await t.store.tenants.ensure('t1');
  });
  afterEach(async () => t.drop());

  it('are read for 70,000 open deals at once, past the 65,535 parameters of one statement', { timeout: 60_000 }, async () => {
    for (const [id, score] of [
      ['D1', 81],
      ['D69999', 12],
    ] as const) {
      await t.store.db
        .insertInto('deal_sync_state')
        .values({
          tenant_id: 't1',
          source: 'salesforce',
          external_id: id,
          scored_hash: 'h',
          scored_at: now,
          model_id: null,
          score,
          category: score > 80 ? 'Critical' : 'Low',
          model_status: 'ok',
          risk: JSON.stringify({}),
          values_hash: 'v',
          written_hash: null,
          written_at: null,
          alert_due_at: null,
          last_alert_at: null,
        })
        .execute();
    }
    const ids = Array.from({ length: 70_000 }, (_, i) => `D${i}`);
    const prior = await t.store.syncState.prior('t1', 'salesforce', ids);
    expect([...prior.entries()].sort()).toEqual([
      ['D1', { category: 'Critical', score: 81, lastAlertAt: null }],
      ['D69999', { category: 'Low', score: 12, lastAlertAt: null }],
    ]);
  });
});
