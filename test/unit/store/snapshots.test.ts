import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deal } from '../../../src/core/deal.ts';
import { evenly } from '../../../src/core/scoring/rows.ts';
import { aDeal } from '../../helpers/builders.ts';
import { createTestStore, type TestStore } from '../../helpers/store.ts';

const day = (n: number): Date => new Date(Date.UTC(2026, 0, n));

describe('snapshots for training', () => {
  let t: TestStore;
  const closedAt = day(30);
  const long = aDeal({ tenantId: 't1', externalId: 'LONG', stage: { status: 'lost' }, createdAt: day(1), closedAt });
  beforeAll(async () => {
    t = await createTestStore();
    for (const id of ['t1', 't2']) await t.store.tenants.ensure(id);
    const short = aDeal({ tenantId: 't1', externalId: 'SHORT', stage: { status: 'won' }, createdAt: day(1), closedAt: day(20) });
    const old = aDeal({ tenantId: 't1', externalId: 'OLD', stage: { status: 'won' }, createdAt: day(1), closedAt: day(5) });
    const open = aDeal({ tenantId: 't1', externalId: 'OPEN', createdAt: day(1) });
    await t.store.deals.upsertMany(
      't1',
      [long, short, old, open].map((deal) => ({ deal })),
      day(40),
    );
    await t.store.deals.upsertMany('t2', [{ deal: { ...long, tenantId: 't2' } }], day(40));
    const asOpen = (d: Deal, n: number): Deal => ({
      ...d,
      stage: { label: 'Discovery', status: 'open', order: 1 },
      closedAt: null,
      amount: 1000 + n,
    });
    // LONG: open snapshots on days 1-11, one already showing the close (day 12), two after it.
    for (let n = 1; n <= 11; n++) await t.store.snapshots.insertMany('t1', [asOpen(long, n)], day(n));
    await t.store.snapshots.insertMany('t1', [long], day(12));
    for (const n of [31, 32]) await t.store.snapshots.insertMany('t1', [asOpen(long, n)], day(n));
    for (const n of [2, 3, 4]) await t.store.snapshots.insertMany('t1', [asOpen(short, n), asOpen(old, n), asOpen(open, n)], day(n));
    for (let n = 1; n <= 6; n++) await t.store.snapshots.insertMany('t2', [asOpen({ ...long, tenantId: 't2' }, n)], day(n));
  });
  afterAll(async () => t?.drop());

  it('reads, per closed deal, the open snapshots before its close spread evenly as training would pick them', async () => {
    const got = await t.store.snapshots.forClosedDeals('t1', { perDeal: 4 });
    const days = (id: string) => got.filter((s) => s.externalId === id).map((s) => s.takenAt.getUTCDate());
    expect(days('LONG')).toEqual(evenly([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 4));
    expect(days('LONG')).toEqual([2, 5, 7, 10]);
    expect(days('SHORT')).toEqual([2, 3, 4]);
    expect(days('OPEN')).toEqual([]);
    expect(got.find((s) => s.externalId === 'LONG')!.deal).toMatchObject({ externalId: 'LONG', amount: 1002, stage: { status: 'open' } });
  });

  it('breaks ties on the snapshot time by insertion order, in what it picks and how it returns them', async () => {
    const tie = aDeal({ tenantId: 't3', externalId: 'TIE', stage: { status: 'won' }, createdAt: day(1), closedAt: day(20) });
    await t.store.tenants.ensure('t3');
    await t.store.deals.upsertMany('t3', [{ deal: tie }], day(40));
    for (const n of [1, 2, 3, 4, 5, 6])
      await t.store.snapshots.insertMany(
        't3',
        [{ ...tie, stage: { label: null, status: 'open', order: null }, closedAt: null, amount: n }],
        day(2 + Math.floor((n - 1) / 2)),
      );
    const got = await t.store.snapshots.forClosedDeals('t3', { perDeal: 4 });
    expect(got.map((s) => s.deal.amount)).toEqual(evenly([1, 2, 3, 4, 5, 6], 4));
  });

  it('keeps to deals closed since a cut-off, and to the tenant', async () => {
    const got = await t.store.snapshots.forClosedDeals('t1', { closedSince: day(10), perDeal: 12 });
    expect([...new Set(got.map((s) => s.externalId))].sort()).toEqual(['LONG', 'SHORT']);
    expect(got.filter((s) => s.externalId === 'LONG')).toHaveLength(11);
    expect((await t.store.snapshots.forClosedDeals('t2', { perDeal: 4 })).map((s) => s.takenAt.getUTCDate())).toEqual(
      evenly([1, 2, 3, 4, 5, 6], 4),
    );
  });
});
