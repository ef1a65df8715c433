import { afterEach, describe, expect, it } from 'vitest';
import { serveRescoreQueue } from '../../../src/sync/realtime.ts';
import { requestRescore } from '../../../src/sync/requests.ts';
import { HOUR } from './helpers/context.ts';
import { type Harness, harness } from './helpers/harness.ts';

/**
 * Real time through the engine: deals a webhook (or the Salesforce change poll) named are read by
 * id, scored and written back alone, under the tenant's lease, with the same steps and the same
 * one-bad-record rule as the hourly run. The file CRM counts its calls per operation.
 */
describe('real-time rescoring of named deals', () => {
  let h: Harness;
  afterEach(async () => h.close());

  const runs = async (tenantId = 't1') => (await h.ctx.store.syncRuns.list(tenantId)).filter((r) => r.trigger === 'webhook');
  const writesOf = (crm: { read(): { writes: Array<{ id: string; score: number }> } }, id: string) =>
    crm
      .read()
      .writes.filter((w) => w.id === id)
      .map((w) => w.score);

  it('reads, scores and writes back only the named deals, without a full read, and the hourly run does not write them again', {
    timeout: 60_000,
  }, async () => {
    h = await harness();
    const { crm } = await h.tenant('t1');
    crm.put({ Id: 'A', Risk: 40 }, { Id: 'B', Risk: 40 }, { Id: 'C', Risk: 40 });
    await h.sync();
    const before = crm.read().calls;
    h.clock.advance(HOUR / 2);
    crm.put({ Id: 'A', Risk: 80 }, { Id: 'B', Risk: 70 });
    await requestRescore(h.ctx, 't1', 'salesforce', ['A']);

    await serveRescoreQueue(h.deps, h.config);
    const [run] = await runs();
    expect(run).toMatchObject({
      status: 'succeeded',
      counts: expect.objectContaining({ fetched: 1, scored: 1, queued: 1, written: 1 }),
    });
    expect(run!.details).toMatchObject({ realtime: { deals: 1, how: 'read by id' } });
    // One read by id, one write; no change query (a full or incremental read) ran.
    expect(crm.read().calls).toMatchObject({ fetch: before.fetch, byId: 1, write: before.write + 1 });
    expect(writesOf(crm, 'A')).toEqual([40, 80]);
    expect(writesOf(crm, 'B')).toEqual([40]);
    expect(await h.ctx.store.rescoreQueue.tenants()).toEqual([]);
    // A real-time run is not a sync of the connection: its last sync stays the hourly one's.
    expect((await h.ctx.store.connections.list('t1'))[0]!.lastSyncAt).toEqual(new Date('2026-11-24T10:00:00Z'));

    // The hourly run picks B up, and A's change once (now an unchanged record) writes nothing.
    h.clock.advance(HOUR / 2);
    const hourly = (await h.sync()).runs[0]!;
    expect(hourly.counts).toMatchObject({ scored: 1, written: 1 });
    expect(writesOf(crm, 'A')).toEqual([40, 80]);
    expect(writesOf(crm, 'B')).toEqual([40, 70]);
  });

  it('rejects a deal that cannot be mapped by name and writes back the others', { timeout: 60_000 }, async () => {
    h = await harness();
    const { crm } = await h.tenant('t1');
    crm.put({ Id: 'A', Risk: 40 }, { Id: 'B', Risk: 40 });
    await h.sync();
    h.clock.advance(HOUR / 2);
    crm.put({ Id: 'A', Risk: 80 }, { Id: 'B', CreatedDate: 'not a date' });
    await requestRescore(h.ctx, 't1', 'salesforce', ['A', 'B']);
    await serveRescoreQueue(h.deps, h.config);
    const [run] = await runs();
    expect(run).toMatchObject({ status: 'partial', counts: expect.objectContaining({ fetched: 2, rejected: 1, written: 1 }) });
    expect(run!.rejected).toEqual([expect.objectContaining({ step: 'map', recordId: 'B', field: 'createdAt' })]);
    expect(writesOf(crm, 'A')).toEqual([40, 80]);
  });

  it("keeps to the tenant that queued the deals: another tenant's deal of the same id is not read or written", {
    timeout: 60_000,
  }, async () => {
    h = await harness();
    const one = await h.tenant('t1');
    const two = await h.tenant('t2');
    one.crm.put({ Id: 'A', Risk: 40 });
    two.crm.put({ Id: 'A', Risk: 40 });
    await h.sync('t1');
    await h.sync('t2');
    h.clock.advance(HOUR / 2);
    one.crm.put({ Id: 'A', Risk: 90 });
    two.crm.put({ Id: 'A', Risk: 90 });
    const calls = two.crm.read().calls;
    await requestRescore(h.ctx, 't1', 'salesforce', ['A']);
    await serveRescoreQueue(h.deps, h.config);
    expect(writesOf(one.crm, 'A')).toEqual([40, 90]);
    expect(writesOf(two.crm, 'A')).toEqual([40]);
    expect(two.crm.read().calls).toEqual(calls);
    expect(await runs('t2')).toEqual([]);
    expect((await h.ctx.store.syncState.get('t2', 'salesforce', 'A'))!.score).toBe(40);
  });

  it('is idempotent: the same deal named again (a redelivered webhook) reads it but scores and writes nothing', {
    timeout: 60_000,
  }, async () => {
    h = await harness();
    const { crm } = await h.tenant('t1');
    crm.put({ Id: 'A', Risk: 40 });
    await h.sync();
    crm.put({ Id: 'A', Risk: 80 });
    await requestRescore(h.ctx, 't1', 'salesforce', ['A']);
    await serveRescoreQueue(h.deps, h.config);
    await requestRescore(h.ctx, 't1', 'salesforce', ['A']);
    await serveRescoreQueue(h.deps, h.config);
    const [second, first] = await runs();
    expect(first!.counts).toMatchObject({ scored: 1, written: 1 });
    expect(second!.counts).toMatchObject({ fetched: 1, unchanged: 1, scored: 0, queued: 0, written: 0 });
    expect(writesOf(crm, 'A')).toEqual([40, 80]);
  });

  it('leaves a mass update to the regular sync: more deals than realtime.maxDeals run the incremental read', {
    timeout: 60_000,
  }, async () => {
    h = await harness({ config: (c) => Object.assign(c.realtime, { maxDeals: 2 }) });
    const { crm } = await h.tenant('t1');
    crm.put({ Id: 'A', Risk: 40 }, { Id: 'B', Risk: 40 }, { Id: 'C', Risk: 40 });
    await h.sync();
    const before = crm.read().calls;
    crm.put({ Id: 'A', Risk: 80 }, { Id: 'B', Risk: 80 }, { Id: 'C', Risk: 80 });
    await requestRescore(h.ctx, 't1', 'salesforce', ['A', 'B', 'C']);
    await serveRescoreQueue(h.deps, h.config);
    const [run] = await runs();
    expect(run!.details).toMatchObject({ realtime: { deals: 3, how: 'regular sync: 3 deals, more than realtime.maxDeals (2)' } });
    expect(run!.counts).toMatchObject({ written: 3 });
    expect(crm.read().calls.fetch).toBeGreaterThan(before.fetch);
    expect(crm.read().calls.byId ?? 0).toBe(0);
  });

  it('waits while the tenant is busy with its hourly run: the queue stays for the next tick', { timeout: 60_000 }, async () => {
    h = await harness();
    const { crm } = await h.tenant('t1');
    crm.put({ Id: 'A', Risk: 40 });
    await h.sync();
    crm.put({ Id: 'A', Risk: 80 });
    await requestRescore(h.ctx, 't1', 'salesforce', ['A']);
    expect(await h.ctx.store.tenantSync.claimLease('t1', 'another-worker', 60_000)).toBe(true);
    const [busy] = await serveRescoreQueue(h.deps, h.config);
    expect(busy!.status).toBe('busy');
    expect((await h.ctx.store.rescoreQueue.list('t1', 'salesforce')).map((q) => q.externalId)).toEqual(['A']);
    await h.ctx.store.tenantSync.releaseLease('t1', 'another-worker');
    await serveRescoreQueue(h.deps, h.config);
    expect(writesOf(crm, 'A')).toEqual([40, 80]);
  });
});
