import { afterEach, describe, expect, it } from 'vitest';
import { syncPort } from '../../../src/server/adapters/sync.ts';
import { pollChanges, realtimeTrigger, serveRescoreQueue } from '../../../src/sync/realtime.ts';
import { requestRescore } from '../../../src/sync/requests.ts';
import { purgeTenant } from '../../../src/worker/purge.ts';
import { metricValue } from '../../helpers/metrics.ts';
import { DAY, HOUR } from './helpers/context.ts';
import { type Harness, harness } from './helpers/harness.ts';

/**
 * The Salesforce change poll, accounted truthfully: the run that serves the deals it found says
 * it was a poll (not a webhook), and the API calls it makes between runs (about 1,920 a day per
 * connection at one poll every 45 s) are counted per connection: on the Sync page, in the rolling
 * 24 h budget make-connector gives the Salesforce connector, and in the calls metric.
 */
describe('the real-time change poll', () => {
  let h: Harness;
  afterEach(async () => h.close());

  // Every poll is due: the claim is on the database clock, so the test waits past the interval.
  const due = () => new Promise((r) => setTimeout(r, 5));
  const setUp = async () => {
    h = await harness({ config: (c) => Object.assign(c.realtime, { pollSeconds: 0.001 }) });
    const t = await h.tenant('t1');
    t.crm.put({ Id: 'A', Risk: 40 }, { Id: 'B', Risk: 40 });
    t.crm.enableChangePoll();
    await h.sync();
    return t;
  };
  const realtimeRuns = async () => (await h.ctx.store.syncRuns.list('t1')).filter((r) => r.trigger !== 'test');
  const dayAgo = () => new Date(h.clock.now().getTime() - DAY);

  it('labels the run serving polled deals "poll" and counts every poll and its API calls for the connection', {
    timeout: 60_000,
  }, async () => {
    const { crm, connection } = await setUp();
    const metric = { crm: 'salesforce', kind: 'change_poll' };
    const before = await metricValue('dealrisk_crm_api_calls_total', metric);

    await pollChanges(h.deps, h.config); // the first poll only takes a mark
    crm.put({ Id: 'A', Risk: 80 });
    await due();
    expect(await pollChanges(h.deps, h.config)).toEqual({ queued: 1, skipped: 0 });
    expect(await h.ctx.store.rescoreQueue.listAll('t1')).toEqual([expect.objectContaining({ externalId: 'A', origin: 'poll' })]);

    await serveRescoreQueue(h.deps, h.config);
    const runs = await realtimeRuns();
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ trigger: 'poll', status: 'succeeded', counts: expect.objectContaining({ fetched: 1, written: 1 }) });
    expect(crm.read().calls.changes).toBe(2);

    // Two polls, one call each: on no run record, so counted apart.
    expect(await h.ctx.store.changePollCalls.since('t1', connection.id, dayAgo())).toEqual({ polls: 2, calls: 2 });
    expect(await metricValue('dealrisk_crm_api_calls_total', metric)).toBe(before + 2);
    const [usage] = await syncPort(h.ctx).apiUsage!('t1');
    expect(usage).toMatchObject({ connectionId: connection.id, changePoll: { polls: 2, calls: 2 } });

    // A day later those polls have left the rolling window.
    h.clock.advance(DAY + HOUR);
    expect(await h.ctx.store.changePollCalls.since('t1', connection.id, dayAgo())).toEqual({ polls: 0, calls: 0 });
    expect((await syncPort(h.ctx).apiUsage!('t1'))[0]!.changePoll).toBeNull();
    // Kept as long as run records (retention.runRecordDays), then purged with them.
    expect((await purgeTenant(h.ctx, h.config, 't1')).changePolls).toBe(0);
    h.clock.advance(h.config.retention.runRecordDays * DAY);
    expect((await purgeTenant(h.ctx, h.config, 't1')).changePolls).toBe(1);
  });

  it('counts the call of a poll that failed, and pauses the connection as a failed run would', { timeout: 60_000 }, async () => {
    const { crm, connection } = await setUp();
    await pollChanges(h.deps, h.config);
    crm.fault({ op: 'changes', error: { code: 'crm_auth_revoked', message: 'expired access/refresh token' } });
    await due();
    expect(await pollChanges(h.deps, h.config)).toEqual({ queued: 0, skipped: 0 });
    expect(await h.ctx.store.changePollCalls.since('t1', connection.id, dayAgo())).toEqual({ polls: 2, calls: 2 });
    expect((await h.ctx.store.connections.get('t1', connection.id))!.status).toBe('needs_reauth');
  });

  it('labels a run serving deals of both a webhook and the poll "poll+webhook"; a deal named again keeps the latest origin', {
    timeout: 60_000,
  }, async () => {
    const { crm } = await setUp();
    await pollChanges(h.deps, h.config);
    crm.put({ Id: 'A', Risk: 80 }, { Id: 'B', Risk: 80 });
    await requestRescore(h.ctx, 't1', 'salesforce', ['A']);
    await due();
    await pollChanges(h.deps, h.config); // finds A and B
    await requestRescore(h.ctx, 't1', 'salesforce', ['A'], 'webhook');
    expect((await h.ctx.store.rescoreQueue.listAll('t1')).map((q) => [q.externalId, q.origin])).toEqual([
      ['A', 'webhook'],
      ['B', 'poll'],
    ]);
    await serveRescoreQueue(h.deps, h.config);
    expect((await realtimeRuns()).map((r) => r.trigger)).toEqual(['poll+webhook']);
    expect(realtimeTrigger(['webhook', 'webhook'])).toBe('webhook');
  });
});

describe("the Sync page's API usage", () => {
  let h: Harness;
  afterEach(async () => h.close());

  it('reads the usage and cleaned values a run stored through a schema: what does not fit shows as unknown or none', {
    timeout: 60_000,
  }, async () => {
    h = await harness();
    const { connection } = await h.tenant('t1');
    const runId = await h.ctx.store.syncRuns.start('t1', { connectionId: connection.id, trigger: 'test', holder: null }, h.clock.now());
    const finish = {
      status: 'succeeded' as const,
      finishedAt: h.clock.now(),
      durationMs: 1,
      counts: {},
      apiCalls: 3,
      errors: [],
      rejected: [],
    };
    await h.ctx.store.syncRuns.finish('t1', runId, { ...finish, details: { apiUsage: { calls: 3, used: 'most of it', limit: 15000 } } });
    expect((await syncPort(h.ctx).apiUsage!('t1'))[0]).toMatchObject({ used: null, limit: 15000 });
    await h.ctx.store.syncRuns.finish('t1', runId, { ...finish, details: { apiUsage: 'garbled' } });
    expect((await syncPort(h.ctx).apiUsage!('t1'))[0]).toMatchObject({ used: null, limit: null });
    await h.ctx.store.syncRuns.finish('t1', runId, { ...finish, details: { usage: { used: 120, limit: 15000 } } });
    expect((await syncPort(h.ctx).apiUsage!('t1'))[0]).toMatchObject({ used: 120, limit: 15000 });

    // The values a run cleaned: an entry that is not an object is left out, not a 500 for the page.
    const cleaned = [null, 'amount', { recordId: 'A', field: 'amount', reason: 'not a number' }];
    await h.ctx.store.syncRuns.finish('t1', runId, { ...finish, details: { cleaned } });
    expect((await syncPort(h.ctx).runs('t1', 5))[0]!.cleaned).toEqual([{ recordId: 'A', field: 'amount', reason: 'not a number' }]);
    await h.ctx.store.syncRuns.finish('t1', runId, { ...finish, details: { cleaned: 'garbled' } });
    expect((await syncPort(h.ctx).runs('t1', 5))[0]!.cleaned).toEqual([]);
  });
});
