import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Connector } from '../../../connectors/types.ts';
import type { AppContext } from '../../../src/context.ts';
import { openStore, type Store } from '../../../src/store/index.ts';
import { startWorker, type Worker } from '../../../src/worker/index.ts';
import { onPostgres, TEST_KEY } from '../../helpers/store.ts';
import { testContext } from './helpers/context.ts';
import { type Harness, harness } from './helpers/harness.ts';

const slow = (c: Connector, ms: number): Connector => ({
  ...c,
  source: c.source,
  mapping: c.mapping,
  async *fetchChanges(o) {
    await new Promise((r) => setTimeout(r, ms));
    yield* c.fetchChanges(o);
  },
});

// Leases are claimed with one Postgres statement that two connections race on; PGlite is a
// single in-process connection, so this needs a real server (CI's second pass sets TEST_DATABASE_URL).
describe.skipIf(!onPostgres())('two workers on one Postgres (needs TEST_DATABASE_URL)', () => {
  let h: Harness;
  let store2: Store;
  let ctx2: AppContext;
  const workers: Worker[] = [];
  beforeEach(async () => {
    h = await harness();
    store2 = await openStore({ url: h.t.url!, encryptionKey: TEST_KEY, poolSize: 4 });
    ctx2 = testContext(store2, h.clock);
  });
  afterEach(async () => {
    for (const w of workers.splice(0)) await w.stop();
    await store2.close();
    await h.close();
  });
  const worker = (ctx: AppContext, holder: string, delayMs = 0) => {
    const w = startWorker(ctx, {
      config: h.config,
      scorer: h.deps.scorer,
      holder,
      connectorFor: async (c, conn) => slow(await h.deps.connectorFor(c, conn), delayMs),
    });
    workers.push(w);
    return w;
  };

  it('never sync the same tenant at the same time', async () => {
    const { crm } = await h.tenant('t1');
    crm.put({ Id: 'A' }, { Id: 'B' });
    await h.ctx.store.tenantSync.claimSlot('t1', h.clock.now()); // keep the start-up catch-up out of the way
    const [a, b] = [worker(h.ctx, 'w1', 400), worker(ctx2, 'w2', 400)];
    const results = await Promise.all([a.runNow('t1'), b.runNow('t1')]);
    expect(results.map((r) => r.status).sort()).toEqual(['busy', 'done']);
    expect(crm.read().calls.fetch).toBe(1);
    expect(crm.read().writes.map((w) => w.id)).toEqual(['A', 'B']);
  });

  it('share the tenants of an hourly slot, each tenant run exactly once', async () => {
    const ids = ['t1', 't2', 't3', 't4', 't5', 't6'];
    const crms = await Promise.all(ids.map((id) => h.tenant(id)));
    for (const { crm } of crms) crm.put({ Id: 'A' });
    const [a, b] = [worker(h.ctx, 'w1', 100), worker(ctx2, 'w2', 100)];
    await Promise.all([a.ready, b.ready]);
    const runs = (await Promise.all(ids.map((id) => h.ctx.store.syncRuns.list(id)))).map((r) => r.length);
    expect(runs).toEqual([1, 1, 1, 1, 1, 1]);
    expect(crms.map(({ crm }) => crm.read().writes.length)).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('take over a tenant once the lease of a dead worker expires, closing its abandoned run', async () => {
    const { crm, connection } = await h.tenant('t1');
    crm.put({ Id: 'A' });
    await h.ctx.store.tenantSync.claimSlot('t1', h.clock.now());
    // A worker claimed the tenant, started a run, and died.
    await store2.tenantSync.claimLease('t1', 'dead-worker', 800);
    await store2.syncRuns.start('t1', { connectionId: connection.id, trigger: 'schedule', holder: 'dead-worker' }, h.clock.now());
    const w = worker(h.ctx, 'w1');
    expect((await w.runNow('t1')).status).toBe('busy');
    await new Promise((r) => setTimeout(r, 900));
    expect((await w.runNow('t1')).status).toBe('done');
    const runs = await h.ctx.store.syncRuns.list('t1');
    expect(runs.map((r) => [r.holder, r.status])).toEqual([
      ['w1', 'succeeded'],
      ['dead-worker', 'failed'],
    ]);
    expect(runs[1]!.errors[0]).toMatchObject({ code: 'worker_lost' });
  });
});
