import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { queueDueDigests } from '../../../src/worker/digest.ts';
import { recordDueQuarters } from '../../../src/worker/forecast-quarters.ts';
import { startWorker, type Worker } from '../../../src/worker/index.ts';
import { DAY } from './helpers/context.ts';
import type { FileCrm } from './helpers/file-crm.ts';
import { type Harness, harness } from './helpers/harness.ts';
import { until } from './helpers/until.ts';

// Issue 18: the worker's poll asks the database which tenants' daily checks are due, instead of
// looking at every tenant every 10 seconds. What it sends, and when, is unchanged.
describe("the worker's daily checks, by due time", () => {
  let h: Harness;
  let crm: FileCrm;
  const workers: Worker[] = [];
  beforeEach(async () => {
    h = await harness({
      config: (c) => {
        c.schedule.pollSeconds = 0.05;
      },
    });
    ({ crm } = await h.tenant('t1'));
    crm.put({ Id: 'A', Risk: 40 }, { Id: 'B', Risk: 70 });
  });
  afterEach(async () => {
    for (const w of workers.splice(0)) await w.stop();
    await h.close();
  });

  it("queues a tenant's digest once, at its local time, and looks at no tenant whose time has not come", { timeout: 30_000 }, async () => {
    await h.sync();
    const slack = { slackWebhookUrl: 'https://hooks.slack.com/services/T0/B0/x' };
    await h.ctx.store.tenants.updateSettings('t1', { sync: { digest: { localTime: '09:00', timezone: 'Europe/Paris', ...slack } } });
    for (const id of ['t2', 't3', 't4']) {
      await h.tenant(id);
      await h.ctx.store.tenants.updateSettings(id, { sync: { digest: { localTime: '18:00', timezone: 'UTC', ...slack } } });
    }
    const digests = async (id: string) => (await h.ctx.store.deliveries.list(id, { kind: 'digest' })).length;

    h.clock.set('2026-11-25T07:30:00Z'); // 08:30 in Paris: no digest is due yet
    expect(await queueDueDigests(h.ctx, h.config)).toBe(0);
    expect(await h.ctx.store.tenantSync.due('digest', h.clock.now())).toEqual([]);

    h.clock.set('2026-11-25T08:05:00Z'); // 09:05 in Paris: t1's time; 08:05 UTC is not t2-t4's
    expect(await h.ctx.store.tenantSync.due('digest', h.clock.now())).toEqual(['t1']);
    expect(await queueDueDigests(h.ctx, h.config)).toBe(1);
    expect(await digests('t1')).toBe(1);
    expect(await h.ctx.store.tenantSync.due('digest', h.clock.now())).toEqual([]);

    h.clock.set('2026-11-25T15:00:00Z'); // later the same day: nothing again
    expect(await queueDueDigests(h.ctx, h.config)).toBe(0);
    expect(await digests('t1')).toBe(1);

    h.clock.set('2026-11-26T08:01:00Z'); // the next day in Paris: t1's next digest; t2-t4's 18:00 UTC has passed too
    expect((await h.ctx.store.tenantSync.due('digest', h.clock.now())).sort()).toEqual(['t1', 't2', 't3', 't4']);
    expect(await queueDueDigests(h.ctx, h.config)).toBe(1); // t2-t4 have no deal at risk: nothing to send
    expect(await digests('t1')).toBe(2);
  });

  it('looks again at once when a tenant moves its digest time', async () => {
    h.clock.set('2026-11-25T07:30:00Z');
    await queueDueDigests(h.ctx, h.config); // default 08:00 UTC: due at 08:00
    expect(await h.ctx.store.tenantSync.due('digest', h.clock.now())).toEqual([]);
    await h.ctx.store.tenants.updateSettings('t1', { sync: { digest: { localTime: '07:00' } } });
    expect(await h.ctx.store.tenantSync.due('digest', h.clock.now())).toEqual(['t1']);
  });

  it("records each tenant's closed quarter, looking once a UTC day across every worker", async () => {
    await h.tenant('t2');
    await h.sync();
    h.clock.set('2026-11-25T07:30:00Z'); // Q3 closed on 1 October
    const first = await recordDueQuarters(h.ctx);
    expect(first.map((r) => r.quarter)).toEqual(['2026-Q3', '2026-Q3']);
    expect(await h.ctx.store.forecastQuarters.has('t1', '2026-Q3')).toBe(true);
    expect(await h.ctx.store.tenantSync.due('quarter', h.clock.now())).toEqual([]);
    h.clock.advance(DAY);
    expect((await h.ctx.store.tenantSync.due('quarter', h.clock.now())).sort()).toEqual(['t1', 't2']);
    expect(await recordDueQuarters(h.ctx)).toEqual([]); // looked again; already recorded
  });

  it("runs a dead worker's tenant at its next poll once its lease has expired", async () => {
    await h.ctx.store.tenantSync.claimSlot('t1', h.clock.now()); // keep the start-up catch-up out of the way
    expect(await h.ctx.store.tenantSync.claimLease('t1', 'dead-worker', 1)).toBe(true);
    workers.push(startWorker(h.ctx, { config: h.config, scorer: h.deps.scorer, connectorFor: h.deps.connectorFor, schedule: false }));
    const [run] = await until(async () => {
      const r = await h.ctx.store.syncRuns.list('t1');
      return r[0]?.status === 'succeeded' && r;
    }, 'the recovery run');
    expect(run).toMatchObject({ trigger: 'recovery', counts: expect.objectContaining({ scored: 2, written: 2 }) });
    await until(async () => (await h.ctx.store.tenantSync.get('t1'))?.leaseHolder === null, 'the lease to be released');
  });

  it('asks only for connections whose change poll is due and tenants whose retention is due', async () => {
    const { crm: crm2, connection: c2 } = await h.tenant('t2');
    crm2.put({ Id: 'X' });
    await h.sync('t1');
    await h.sync('t2');
    const t1 = (await h.ctx.store.connections.list('t1'))[0]!;
    const due = async () => (await h.ctx.store.connections.changePollCandidates(45_000)).map((c) => c.tenantId);
    expect(await due()).toEqual(['t1', 't2']);
    expect(await h.ctx.store.connections.claimChangePoll('t1', t1.id, 45_000)).not.toBeNull();
    expect(await h.ctx.store.connections.claimChangePoll('t2', c2.id, 45_000)).not.toBeNull();
    expect(await due()).toEqual([]);
    // A tenant with its own realtime settings is always asked: its interval may be shorter.
    await h.ctx.store.tenants.updateSettings('t2', { sync: { realtime: { pollSeconds: 5 } } });
    expect(await due()).toEqual(['t2']);

    const dayAgo = new Date(h.clock.now().getTime() - DAY);
    expect((await h.ctx.store.tenantSync.purgeDue(dayAgo)).sort()).toEqual(['t1', 't2']);
    await h.ctx.store.tenantSync.markPurged('t1', h.clock.now());
    expect(await h.ctx.store.tenantSync.purgeDue(dayAgo)).toEqual(['t2']);
  });
});
