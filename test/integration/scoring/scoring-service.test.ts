import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deserializeModel } from '../../../src/core/scoring/model.ts';
import { createScoringService, type ScoringService } from '../../../src/scoring/service.ts';
import { loadSyncConfig } from '../../../src/sync/config.ts';
import { trainAndGate } from '../../../src/sync/train-and-gate.ts';
import { createTestStore, type TestStore } from '../../helpers/store.ts';
import { aDeal, addDays, day, syntheticClosed, testConfig } from '../../unit/scoring/builders.ts';

const asOf = day('2024-06-01');
const T = 'acme';

describe('scoring service over the store', () => {
  let ts: TestStore;
  let svc: ScoringService;

  beforeAll(async () => {
    ts = await createTestStore();
    await ts.store.tenants.ensure(T);
    await ts.store.tenants.ensure('other');
    svc = createScoringService({ store: ts.store, config: testConfig() });
  });
  afterAll(async () => ts?.drop());

  it('scores with the CRM probability before any closed deal exists', async () => {
    await ts.store.deals.upsertMany(T, [{ deal: aDeal({ tenantId: T, externalId: 'open-1', crmProbability: 0.7 }) }], asOf);
    const handle = await svc.load(T, asOf);
    expect(handle.id).toBeNull();
    expect(handle.status).toBe('prior_only');
    expect(handle.scoreMany([aDeal({ tenantId: T, crmProbability: 0.7 })], asOf)[0]!.winProbability).toBeCloseTo(0.7, 12);
  });

  it('trains, activates, scores open deals and stores drivers and actions with their text', async () => {
    const closed = syntheticClosed({ n: 1000, seed: 31, lossProb: (d) => (d.leadSource === 'Partner' ? 0.9 : 0.3) }).map((d) => ({
      ...d,
      tenantId: T,
    }));
    await ts.store.deals.upsertMany(
      T,
      closed.map((deal) => ({ deal })),
      asOf,
    );
    await ts.store.deals.upsertMany(
      T,
      [{ deal: aDeal({ tenantId: T, externalId: 'open-2', leadSource: 'Partner', amount: 50_000, createdAt: addDays(asOf, -20) }) }],
      asOf,
    );
    const { saved: stored, candidate: trained } = await trainAndGate({ store: ts.store, scorer: svc }, T, asOf, {
      reason: 'manual',
      retrain: loadSyncConfig().retrain,
    });
    expect(stored!.version).toBe(1);
    expect(trained.backtest!.status).toBe('ok');
    expect((await ts.store.models.active(T))!.status).toBe('ok');

    const { scores } = await svc.scoreOpenDeals(T, asOf);
    expect(scores.map((s) => s.externalId).sort()).toEqual(['open-1', 'open-2']);
    const latest = await ts.store.scores.latest(T, { externalIds: ['open-2'] });
    const detail = latest[0]!.detail as { drivers: Array<{ sentence: string }>; actions: Array<{ rationale: string }> };
    expect(detail.drivers[0]!.sentence).toMatch(/win \d+% vs \d+% overall/);
    expect(detail.actions.length).toBeGreaterThan(0);
    expect(detail.actions.every((a) => typeof a.rationale === 'string')).toBe(true);
    expect(await ts.store.scores.latest('other')).toEqual([]);
  });

  it('stores scores as the sync does: history and current state, so the next sync writes them back without rescoring', async () => {
    const stored = (await ts.store.scores.latest(T, { externalIds: ['open-2'] }))[0]!;
    const state = await ts.store.syncState.get(T, stored.source, 'open-2');
    expect(state).toMatchObject({ score: stored.score, category: stored.category, modelStatus: stored.modelStatus });
    expect((state!.risk as { fields: { score: number } }).fields.score).toBe(stored.score);
    const due = await ts.store.syncState.dealsToScore(T, stored.source, {
      modelId: stored.modelId,
      staleBefore: new Date(asOf.getTime() - 3_600_000),
      afterId: null,
      limit: 10,
    });
    expect(due.deals).toEqual([]);
    expect((await ts.store.syncState.unwritten(T, stored.source, null, 10)).rows.map((r) => r.externalId).sort()).toEqual([
      'open-1',
      'open-2',
    ]);
  });

  it('feeds stored scores into pipeline metrics', async () => {
    const m = await svc.metrics(T, {}, asOf);
    expect(m.openDeals).toBe(2);
    expect(m.scoredDeals).toBe(2);
    expect(m.expectedValue).toBeGreaterThan(0);
  });

  it("validates a tenant's playbook override, naming the key path, and then follows it", async () => {
    await expect(
      svc.playbook.save(
        T,
        { version: 1, rules: [{ id: 'x', action: 'y', title: 'T', priority: 'asap', rationale: 'r', when: { minScore: 0 } }] },
        'admin',
      ),
    ).rejects.toThrow(/rules\.0\.priority/);
    await svc.playbook.save(
      T,
      {
        version: 1,
        rules: [
          { id: 'all', action: 'call_now', title: 'Call now', priority: 'immediate', rationale: 'Risk {score}', when: { minScore: 0 } },
        ],
      },
      'admin',
    );
    expect((await svc.playbook.get(T)).overridden).toBe(true);
    const s = await svc.scoreDeal(T, aDeal({ tenantId: T }), asOf);
    expect(s.actions.map((a) => a.action)).toEqual(['call_now']);
    await svc.playbook.save(T, null, 'admin');
    expect((await svc.playbook.get(T)).overridden).toBe(false);
  });

  it('gives the sync engine a backtested candidate without storing it', async () => {
    const c = await svc.train(T, asOf);
    expect(c.figures.status).toBe('ok');
    expect(c.figures.auc).toBeGreaterThan(0.6);
    expect(c.closedDeals).toBe(1000);
    expect((await ts.store.models.list(T)).length).toBe(1);
  });

  it('learns from the latest maxTrainingDeals closed deals and still counts them all', async () => {
    const capped = createScoringService({ store: ts.store, config: testConfig({ maxTrainingDeals: 600 }) });
    const c = await capped.train(T, asOf);
    const model = deserializeModel(c.payload, 'candidate');
    expect(model.training.deals).toBe(600);
    expect(model.notes.join(' ')).toMatch(/latest 600 of 1,000 closed deals/);
    // Retraining waits for deals it has not seen: every closed deal counts, used or not.
    expect(c.closedDeals).toBe(1000);
    const cutoff = await ts.store.deals.nthLatestClose(T, 600);
    const newest = (await ts.store.deals.list(T, { status: ['won', 'lost'] })).filter((d) => d.closedAt! >= cutoff!);
    expect(newest).toHaveLength(600);
  });

  it('holds to maxTrainingDeals when many deals closed at the cut-off instant (a bulk close)', async () => {
    const T2 = 'bulk-close';
    await ts.store.tenants.ensure(T2);
    const cutoff = day('2024-03-01');
    const deals = syntheticClosed({ n: 250, seed: 5, lossProb: (d) => (d.leadSource === 'Partner' ? 0.8 : 0.3) }).map((d, i) => ({
      ...d,
      tenantId: T2,
      createdAt: addDays(cutoff, -60),
      // 100 closed by one mass update at the cut-off, 150 on later days.
      closedAt: i < 100 ? cutoff : addDays(cutoff, 1 + (i % 60)),
    }));
    await ts.store.deals.upsertMany(
      T2,
      deals.map((deal) => ({ deal })),
      asOf,
    );
    const c = await createScoringService({ store: ts.store, config: testConfig({ maxTrainingDeals: 200 }) }).train(T2, asOf);
    expect(deserializeModel(c.payload, 'candidate').training.deals).toBe(200);
    expect(c.closedDeals).toBe(250);
  });
});
