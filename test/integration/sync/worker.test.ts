import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildDigest } from '../../../src/sync/digest.ts';
import { defaultTransports } from '../../../src/worker/deliver.ts';
import { requestRescore, requestSync, startWorker, type Worker } from '../../../src/worker/index.ts';
import { HOUR } from './helpers/context.ts';
import type { FileCrm } from './helpers/file-crm.ts';
import { type Harness, harness } from './helpers/harness.ts';
import { slackSink } from './helpers/slack-sink.ts';
import { smtpSink } from './helpers/smtp-sink.ts';
import { until } from './helpers/until.ts';

describe('the worker', () => {
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
  const start = (o: Parameters<typeof startWorker>[1] = {}) => {
    const w = startWorker(h.ctx, { config: h.config, scorer: h.deps.scorer, connectorFor: h.deps.connectorFor, ...o });
    workers.push(w);
    return w;
  };

  it('catches up a missed hourly slot once at start, not once per missed slot', { timeout: 60_000 }, async () => {
    await h.ctx.store.tenantSync.ensure('t1');
    await h.ctx.store.tenantSync.claimSlot('t1', new Date('2026-11-24T05:00:00Z')); // last ran 5 slots ago
    await start({ holder: 'w1' }).ready;
    const runs = await h.ctx.store.syncRuns.list('t1');
    expect(runs.map((r) => [r.trigger, r.status])).toEqual([['catch-up', 'succeeded']]);
    expect((await h.ctx.store.tenantSync.get('t1'))!.lastSlotAt).toEqual(new Date('2026-11-24T10:00:00Z'));
    // A second worker starting in the same hour finds the slot taken.
    await start({ holder: 'w2' }).ready;
    expect(await h.ctx.store.syncRuns.list('t1')).toHaveLength(1);
  });

  it('serves an admin\'s "sync now" within its poll interval', async () => {
    start({ schedule: false });
    await requestSync(h.ctx, 't1', 'admin@example.com');
    const [run] = await until(async () => {
      const r = await h.ctx.store.syncRuns.list('t1');
      return r[0]?.status === 'succeeded' && r;
    }, 'the manual run');
    expect(run).toMatchObject({ trigger: 'manual', counts: expect.objectContaining({ scored: 2, written: 2 }) });
    await until(async () => (await h.ctx.store.tenantSync.get('t1'))?.requestedAt === null, 'the request to be cleared');
  });

  it('rescores a deal a webhook reported changed within its poll interval', async () => {
    await h.sync();
    await h.sync();
    h.clock.advance(HOUR);
    start({ schedule: false });
    crm.put({ Id: 'A', Risk: 65 });
    await requestRescore(h.ctx, 't1', 'salesforce', ['A']);
    const [run] = await until(async () => {
      const r = await h.ctx.store.syncRuns.list('t1');
      return r[0]?.trigger === 'webhook' && r[0].status !== 'running' && r;
    }, 'the webhook run');
    expect(run).toMatchObject({ status: 'succeeded', counts: expect.objectContaining({ scored: 1, written: 1 }) });
    expect(
      crm
        .read()
        .writes.filter((w) => w.id === 'A')
        .map((w) => w.score),
    ).toEqual([40, 65]);
    await until(async () => (await h.ctx.store.rescoreQueue.tenants()).length === 0, 'the queue to drain');
  });

  it("sends the daily digest at the tenant's local time, once: Slack summary and email per owner", async () => {
    const slack = await slackSink();
    const smtp = await smtpSink();
    try {
      crm.put({ Id: 'C', Risk: 90, OwnerId: 'u2', OwnerName: 'Grace' }, { Id: 'D', Risk: 10 });
      await h.sync();
      await h.ctx.store.tenants.updateSettings('t1', {
        sync: {
          digest: {
            localTime: '09:00',
            timezone: 'Europe/Paris',
            slackWebhookUrl: slack.url,
            ownerEmails: { u1: 'ada@example.com', u2: 'grace@example.com' },
            adminEmails: ['boss@example.com'],
          },
        },
      });
      h.clock.set('2026-11-25T07:30:00Z'); // 08:30 in Paris: not yet
      start({ schedule: false, transports: defaultTransports(smtp.url) });
      await new Promise((r) => setTimeout(r, 300));
      expect(slack.bodies).toEqual([]);
      h.clock.set('2026-11-25T08:05:00Z'); // 09:05 in Paris
      await until(async () => smtp.mails.length === 3 && slack.bodies.length === 1, 'the digest');
      const byRecipient = Object.fromEntries(smtp.mails.map((m) => [m.to.join(','), m.data]));
      expect(Object.keys(byRecipient).sort()).toEqual(['ada@example.com', 'boss@example.com', 'grace@example.com']);
      expect(byRecipient['ada@example.com']).toContain('Deal B');
      expect(byRecipient['ada@example.com']).not.toContain('Deal C');
      expect(byRecipient['grace@example.com']).toContain('Deal C');
      expect(JSON.stringify(slack.bodies[0])).toMatch(/Deal C[\s\S]*Deal B/); // most at risk first
      h.clock.set('2026-11-25T15:00:00Z');
      await new Promise((r) => setTimeout(r, 300));
      expect(smtp.mails).toHaveLength(3);
    } finally {
      await slack.close();
      await smtp.close();
    }
  });

  it('builds the digest the REST API shows: top High and Critical deals, per owner or for the tenant', async () => {
    crm.put(
      ...Array.from({ length: 14 }, (_, i) => ({ Id: `H${String(i).padStart(2, '0')}`, Risk: 60 + i, OwnerId: i % 2 ? 'u1' : 'u2' })),
    );
    await h.sync();
    const all = await buildDigest(h.ctx, 't1');
    expect(all.deals).toHaveLength(10);
    expect(all.deals.map((d) => d.score)).toEqual([73, 72, 71, 70, 70, 69, 68, 67, 66, 65]);
    expect(all.deals[0]).toMatchObject({
      externalId: 'H13',
      category: 'High',
      drivers: ['Risk input is 73'],
      firstAction: expect.stringContaining('Executive sponsor call'),
      url: 'https://crm.example.test/deals/H13',
    });
    const mine = await buildDigest(h.ctx, 't1', { ownerId: 'u2' });
    expect(mine.deals.every((d) => d.ownerId === 'u2')).toBe(true);
    expect(mine.deals.map((d) => d.externalId)).toEqual(['H12', 'H10', 'H08', 'H06', 'H04', 'H02', 'H00']);
    expect((await buildDigest(h.ctx, 'other-tenant')).deals).toEqual([]);
  });

  it('stops a run in hand at its next page when stopped, and the next run finishes it', async () => {
    crm.put(...Array.from({ length: 30 }, (_, i) => ({ Id: `S${String(i).padStart(2, '0')}`, Risk: 40 })));
    const slow = startWorker(h.ctx, {
      config: h.config,
      scorer: h.deps.scorer,
      schedule: false,
      connectorFor: async (c, conn) => {
        const inner = await h.deps.connectorFor(c, conn);
        return {
          ...inner,
          source: inner.source,
          mapping: inner.mapping,
          async *fetchChanges(o) {
            for await (const page of crm.connector({ pageSize: 5 }).fetchChanges(o)) {
              await new Promise((r) => setTimeout(r, 100));
              yield page;
            }
          },
        };
      },
    });
    const running = slow.runNow('t1');
    await until(async () => (await h.ctx.store.deals.countByStatus('t1')).open > 0, 'the first page');
    await slow.stop();
    const stopped = await running;
    expect(stopped.runs[0]).toMatchObject({
      status: 'failed',
      errors: [expect.objectContaining({ step: 'fetch', message: expect.stringContaining('worker is stopping') })],
    });
    expect(crm.read().writes).toEqual([]);
    const next = await start({ schedule: false }).runNow('t1');
    expect(next.runs[0]).toMatchObject({ status: 'succeeded' });
    expect(
      crm
        .read()
        .writes.map((w) => w.id)
        .sort(),
    ).toEqual([...Object.keys(crm.read().records)].sort());
  });

  it("purges score history, run records and closed deals' snapshots past their retention", async () => {
    crm.put({ Id: 'OLD', Status: 'open' });
    await h.sync();
    // Three years on: OLD closed long ago, A is still open.
    h.clock.set('2029-12-01T10:00:00Z');
    crm.put({ Id: 'OLD', Status: 'lost', ClosedDate: '2027-01-01T00:00:00Z' }, { Id: 'A', Risk: 41 });
    await h.sync();
    expect(await h.ctx.store.snapshots.forDeal('t1', 'salesforce', 'OLD')).toHaveLength(1);
    start({ schedule: false });
    await until(async () => (await h.ctx.store.tenantSync.get('t1'))?.lastPurgeAt, 'the purge');
    expect(await h.ctx.store.snapshots.forDeal('t1', 'salesforce', 'OLD')).toEqual([]);
    expect(await h.ctx.store.snapshots.forDeal('t1', 'salesforce', 'A')).toHaveLength(2);
    expect((await h.ctx.store.scores.history('t1', 'salesforce', 'A')).map((s) => s.score)).toEqual([41]);
    expect((await h.ctx.store.syncRuns.list('t1')).map((r) => r.startedAt.getUTCFullYear())).toEqual([2029]);
  });
});
