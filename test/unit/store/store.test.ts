import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aDeal } from '../../helpers/builders.ts';
import { insertScores } from '../../helpers/scores.ts';
import { createTestStore, type TestStore } from '../../helpers/store.ts';

const now = new Date('2026-11-24T10:00:00Z');

describe('store', () => {
  let t: TestStore;
  beforeEach(async () => {
    t = await createTestStore();
    await t.store.tenants.ensure('t1');
    await t.store.tenants.ensure('t2');
  });
  afterEach(async () => t.drop());

  it("keeps one tenant from reading another tenant's deals", async () => {
    await t.store.deals.upsertMany('t1', [{ deal: aDeal({ externalId: 'X1', tenantId: 't1' }) }], now);
    await t.store.deals.upsertMany('t2', [{ deal: aDeal({ externalId: 'X1', tenantId: 't2', name: 'theirs' }) }], now);
    const mine = await t.store.deals.list('t1');
    expect(mine.map((d) => [d.tenantId, d.externalId, d.name])).toEqual([['t1', 'X1', expect.not.stringMatching('theirs')]]);
    expect(await t.store.deals.get('t1', 'csv', 'X1')).toMatchObject({ tenantId: 't1' });
    expect(await t.store.deals.list('t3')).toEqual([]);
  });

  it("pages through a tenant's deals by keyset: every match once, in order, across sources", async () => {
    const deals = [
      ...['A3', 'A1', 'A2', 'A5', 'A4'].map((id) => aDeal({ externalId: id, tenantId: 't1', stage: { status: 'won' } })),
      aDeal({ externalId: 'L1', tenantId: 't1', stage: { status: 'lost' } }),
      aDeal({ externalId: 'H1', tenantId: 't1', source: 'hubspot', stage: { status: 'won' } }),
    ];
    await t.store.deals.upsertMany(
      't1',
      deals.map((deal) => ({ deal })),
      now,
    );
    await t.store.deals.upsertMany('t2', [{ deal: aDeal({ externalId: 'A0', tenantId: 't2', stage: { status: 'won' } }) }], now);
    const pages: string[][] = [];
    for await (const page of t.store.deals.pages('t1', { status: 'won' }, 2)) pages.push(page.map((d) => `${d.source}:${d.externalId}`));
    expect(pages).toEqual([
      ['csv:A1', 'csv:A2'],
      ['csv:A3', 'csv:A4'],
      ['csv:A5', 'hubspot:H1'],
    ]);
    const all = (await t.store.deals.list('t1', { status: 'won' })).map((d) => `${d.source}:${d.externalId}`);
    expect(pages.flat()).toEqual(all);
  });

  it('refuses to store a deal under another tenant', async () => {
    await expect(t.store.deals.upsertMany('t1', [{ deal: aDeal({ tenantId: 't2' }) }], now)).rejects.toThrow(/belongs to tenant t2/);
  });

  it('round-trips a deal with its dates and reports only real changes', async () => {
    const deal = aDeal({
      externalId: 'R1',
      expectedCloseDate: new Date('2026-12-31T00:00:00Z'),
      modifiedAt: new Date('2026-11-01T00:00:00Z'),
    });
    const first = await t.store.deals.upsertMany('t1', [{ deal }], now);
    expect(first).toMatchObject({ inserted: 1, changedIds: ['R1'] });
    const back = await t.store.deals.get('t1', 'csv', 'R1');
    expect(back).toEqual(deal);

    // Our own write-back bumps the CRM's modification stamp: an echo, not a change.
    const echo = { ...deal, modifiedAt: new Date('2026-11-02T00:00:00Z') };
    expect(await t.store.deals.upsertMany('t1', [{ deal: echo }], now)).toMatchObject({ unchanged: 1, changedIds: [] });

    const edited = { ...deal, amount: 12_000 };
    expect(await t.store.deals.upsertMany('t1', [{ deal: edited }], now)).toMatchObject({ updated: 1, changedIds: ['R1'] });
  });

  it('takes deleted deals out of the pipeline', async () => {
    await t.store.deals.upsertMany('t1', [{ deal: aDeal({ externalId: 'K' }) }, { deal: aDeal({ externalId: 'G' }) }], now);
    expect(await t.store.deals.markDeleted('t1', 'csv', ['G'], now)).toBe(1);
    expect((await t.store.deals.list('t1')).map((d) => d.externalId)).toEqual(['K']);
    expect(await t.store.deals.countByStatus('t1')).toEqual({ open: 1, won: 0, lost: 0 });
  });

  it('brings back a deleted deal restored in the CRM, even with unchanged inputs', async () => {
    const deal = aDeal({ externalId: 'Z' });
    await t.store.deals.upsertMany('t1', [{ deal }], now);
    await t.store.deals.markDeleted('t1', 'csv', ['Z'], now);
    expect(await t.store.deals.upsertMany('t1', [{ deal }], now)).toMatchObject({ changedIds: ['Z'] });
    expect((await t.store.deals.list('t1')).map((d) => d.externalId)).toEqual(['Z']);
  });

  it('seals CRM tokens at rest and scopes connections to their tenant', async () => {
    const c = await t.store.connections.create(
      't1',
      { crm: 'salesforce', credentials: { accessToken: 'SECRET-ACCESS', refreshToken: 'SECRET-REFRESH' } },
      now,
    );
    const raw = await t.store.db.selectFrom('connections').select('credentials').where('id', '=', c.id).executeTakeFirstOrThrow();
    expect(raw.credentials).not.toContain('SECRET');
    expect(await t.store.connections.loadCredentials('t1', c.id)).toMatchObject({
      accessToken: 'SECRET-ACCESS',
      refreshToken: 'SECRET-REFRESH',
    });
    expect(await t.store.connections.get('t2', c.id)).toBeNull();
    expect(await t.store.connections.loadCredentials('t2', c.id)).toBeNull();
  });

  it('keeps one active model per tenant and rolls back to an earlier version', async () => {
    const m1 = await t.store.models.save('t1', { status: 'ok', trainedAt: now, payload: { w: [1] }, report: {} }, true);
    const m2 = await t.store.models.save('t1', { status: 'ok', trainedAt: now, payload: { w: [2] }, report: {} }, true);
    expect([m1.version, m2.version]).toEqual([1, 2]);
    expect((await t.store.models.active('t1'))?.id).toBe(m2.id);
    await t.store.models.activate('t1', m1.id);
    expect((await t.store.models.active('t1'))?.payload).toEqual({ w: [1] });
    await expect(t.store.models.activate('t2', m1.id)).rejects.toThrow(/not found/);
  });

  it('returns the latest score per deal', async () => {
    await t.store.deals.upsertMany('t1', [{ deal: aDeal({ externalId: 'S1' }) }], now);
    const s = {
      source: 'csv',
      externalId: 'S1',
      modelId: null,
      category: 'Low',
      winProbability: 0.8,
      modelStatus: 'ok',
      inputHash: 'h',
      detail: {},
    };
    await insertScores(t.store, 't1', [
      { ...s, scoredAt: new Date('2026-11-01T00:00:00Z'), score: 20 },
      { ...s, scoredAt: new Date('2026-11-02T00:00:00Z'), score: 60, category: 'High' },
    ]);
    expect((await t.store.scores.latest('t1')).map((x) => [x.externalId, x.score])).toEqual([['S1', 60]]);
    expect(await t.store.scores.latest('t2')).toEqual([]);
  });
});
