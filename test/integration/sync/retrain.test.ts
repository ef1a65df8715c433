import { afterEach, describe, expect, it } from 'vitest';
import { modelHealth } from '../../../src/worker/index.ts';
import { HOUR } from './helpers/context.ts';
import { type Harness, harness } from './helpers/harness.ts';

describe('retraining during sync', () => {
  let h: Harness;
  afterEach(async () => h.close());

  const closed = (n: number, from = 0) =>
    Array.from({ length: n }, (_, i) => ({
      Id: `C${from + i}`,
      Status: (i % 2 ? 'won' : 'lost') as 'won' | 'lost',
      ClosedDate: '2026-11-20T00:00:00Z',
    }));

  it('trains when the tenant has no model, then only when due: a day later or after enough new closed deals', {
    timeout: 60_000,
  }, async () => {
    h = await harness({ config: (c) => Object.assign(c.retrain, { minNewClosed: 5, minNewClosedShare: 1 }) });
    const { crm } = await h.tenant('t1');
    crm.put({ Id: 'O1' }, ...closed(10));
    await h.sync();
    expect(h.trained).toHaveLength(1);
    expect((await h.ctx.store.tenantSync.get('t1'))!.lastTrain).toMatchObject({ reason: 'no_model', accepted: true });

    h.clock.advance(HOUR);
    crm.put(...closed(3, 100));
    await h.sync();
    expect(h.trained).toHaveLength(1); // 3 new closed deals < 5

    h.clock.advance(HOUR);
    crm.put(...closed(2, 200));
    await h.sync();
    expect(h.trained).toHaveLength(2);
    expect((await h.ctx.store.tenantSync.get('t1'))!.lastTrain).toMatchObject({ reason: 'new_closed' });

    h.clock.advance(25 * HOUR);
    await h.sync();
    expect(h.trained).toHaveLength(3);
    expect((await h.ctx.store.tenantSync.get('t1'))!.lastTrain).toMatchObject({ reason: 'age' });
  });

  it('keeps the active model when the new one backtests worse, and does not retry it every hour', async () => {
    h = await harness({
      candidates: [
        { auc: 0.8, logLoss: 0.5 },
        { auc: 0.7, logLoss: 0.6 },
      ],
    });
    const { crm } = await h.tenant('t1');
    crm.put({ Id: 'O1', Risk: 40 });
    await h.sync();
    const first = await h.ctx.store.models.active('t1');
    h.clock.advance(25 * HOUR);
    const r = await h.sync();
    expect(h.trained).toHaveLength(2);
    expect((await h.ctx.store.models.active('t1'))!.id).toBe(first!.id);
    expect((await h.ctx.store.tenantSync.get('t1'))!.lastTrain).toMatchObject({
      accepted: false,
      why: expect.stringMatching(/AUC 0\.700 is below the active model's 0\.800/),
    });
    expect(r.runs[0]!.counts).toMatchObject({ scored: 1, written: 0 }); // a day-old score is refreshed; same values: no write
    h.clock.advance(HOUR);
    await h.sync();
    expect(h.trained).toHaveLength(2);
  });

  it('rescores every open deal with a new model and keeps the last three versions', async () => {
    h = await harness();
    const { crm } = await h.tenant('t1');
    crm.put({ Id: 'O1' }, { Id: 'O2' });
    await h.sync();
    for (let i = 0; i < 4; i++) {
      h.clock.advance(25 * HOUR);
      const r = await h.sync();
      expect(r.runs[0]!.counts.scored).toBe(2);
    }
    const models = await h.ctx.store.models.list('t1');
    expect(models.map((m) => m.version)).toEqual([5, 4, 3]);
    expect(models.filter((m) => m.active).map((m) => m.version)).toEqual([5]);
    const latest = await h.ctx.store.scores.latest('t1');
    expect(latest.every((s) => s.modelId === models[0]!.id)).toBe(true);
  });

  it('writes the model status with every score', async () => {
    h = await harness({ candidates: [{ status: 'no_signal', auc: 0.51, logLoss: 0.69 }] });
    const { crm } = await h.tenant('t1');
    crm.put({ Id: 'O1', Risk: 80 });
    await h.sync();
    const stored = (await h.ctx.store.outbox.list('t1', { kind: 'fields' }))[0]!.payload as { fields: { modelStatus: string } };
    expect(stored.fields.modelStatus).toBe('no_signal');
    expect((await h.ctx.store.scores.latest('t1'))[0]!.modelStatus).toBe('no_signal');
  });

  it('retrains when deals that closed since training drift from what the model predicted', async () => {
    h = await harness({
      config: (c) =>
        Object.assign(c.retrain, {
          minNewClosed: 1000,
          minNewClosedShare: 1,
          drift: { minClosed: 4, maxCalibrationGap: 0.2, maxAucDrop: 1 },
        }),
    });
    const { crm } = await h.tenant('t1');
    // Four open deals the model calls safe (risk 10), and enough history that four more closed
    // deals are not by themselves a reason to retrain...
    crm.put(...['D1', 'D2', 'D3', 'D4'].map((Id) => ({ Id, Risk: 10 })), ...closed(10));
    await h.sync();
    expect(h.trained).toHaveLength(1);
    // ...all lost: predicted loss 10%, observed 100%.
    h.clock.advance(HOUR);
    crm.put(...['D1', 'D2', 'D3', 'D4'].map((Id) => ({ Id, Status: 'lost' as const, ClosedDate: '2026-11-24T10:30:00Z' })));
    await h.sync();
    expect(h.trained).toHaveLength(2);
    const health = await modelHealth(h.ctx, 't1');
    expect(health.drift).toMatchObject({ n: 4, drifted: true, predictedLossRate: 0.1, observedLossRate: 1 });
    expect(health.lastTrain).toMatchObject({ reason: 'drift', accepted: true });
  });
});
