import { afterEach, describe, expect, it } from 'vitest';
import { parseEnv } from '../../../config/env.ts';
import { type Sandbox, type SandboxOptions, startSandbox } from '../../../sandbox/index.ts';
import type { AppContext } from '../../../src/context.ts';
import { silentLogger } from '../../../src/log.ts';
import { watchStore } from '../../../src/metrics/queue-gauges.ts';
import { loadSyncConfig } from '../../../src/sync/config.ts';
import { makeConnector } from '../../../src/sync/make-connector.ts';
import { syncTenant } from '../../../src/sync/sync-tenant.ts';
import { startWorker } from '../../../src/worker/index.ts';
import { serviceScorer } from '../../../src/worker/service-scorer.ts';
import { metricValue } from '../../helpers/metrics.ts';
import { createTestStore, type TestStore } from '../../helpers/store.ts';
import { harness } from './helpers/harness.ts';
import { hubspotConnection, salesforceConnection } from './helpers/sandbox-worker.ts';

/** Tenant t1 connected to the sandbox's org or portal, synced once by the real connector and scoring service. */
async function sandboxSync(crm: 'salesforce' | 'hubspot', opts: SandboxOptions, stores: TestStore[], sandboxes: Sandbox[]) {
  const sb = await startSandbox({ deals: 40, seed: 3, taskCompletionDays: null, ...opts });
  sandboxes.push(sb);
  const t = await createTestStore();
  stores.push(t);
  await t.store.tenants.ensure('t1');
  await t.store.connections.create('t1', crm === 'salesforce' ? salesforceConnection(sb) : hubspotConnection(sb), sb.clock.now());
  const env = parseEnv({
    NODE_ENV: 'test',
    ...(crm === 'salesforce'
      ? {
          SALESFORCE_CLIENT_ID: sb.salesforce.clientId,
          SALESFORCE_CLIENT_SECRET: sb.salesforce.clientSecret,
          SALESFORCE_LOGIN_URL: sb.salesforce.loginUrl,
        }
      : { HUBSPOT_CLIENT_ID: sb.hubspot.clientId, HUBSPOT_CLIENT_SECRET: sb.hubspot.clientSecret }),
  });
  const ctx: AppContext = { env, logger: silentLogger(), store: t.store, now: () => sb.clock.now(), close: async () => undefined };
  const result = await syncTenant({ ctx, scorer: serviceScorer(ctx), connectorFor: makeConnector, holder: 'w1' }, 't1', {
    base: loadSyncConfig(),
    trigger: 'test',
  });
  return { sb, t, ctx, result };
}

describe('sync metrics move when a sandbox sync runs', () => {
  const stores: TestStore[] = [];
  const sandboxes: Sandbox[] = [];
  afterEach(async () => {
    for (const t of stores.splice(0)) await t.drop();
    for (const s of sandboxes.splice(0)) await s.close();
  });

  it('counts a Salesforce first sync: one succeeded run, its duration, records fetched and written, API calls', {
    timeout: 120_000,
  }, async () => {
    const sf = { crm: 'salesforce' };
    const before = {
      runs: await metricValue('dealrisk_sync_runs_total', { ...sf, status: 'succeeded' }),
      timed: await metricValue('dealrisk_sync_run_duration_seconds_count', { ...sf, status: 'succeeded' }),
      fetched: await metricValue('dealrisk_sync_records_total', { ...sf, outcome: 'fetched' }),
      written: await metricValue('dealrisk_sync_records_total', { ...sf, outcome: 'written' }),
      calls: await metricValue('dealrisk_crm_api_calls_total', sf),
    };
    const { result } = await sandboxSync('salesforce', { salesforce: { riskFields: 'ready' } }, stores, sandboxes);
    const [run] = result.runs;
    expect(run).toMatchObject({ status: 'succeeded' });
    expect(run!.counts.fetched).toBe(40);
    expect(run!.counts.written).toBeGreaterThan(0);
    expect(await metricValue('dealrisk_sync_runs_total', { ...sf, status: 'succeeded' })).toBe(before.runs + 1);
    expect(await metricValue('dealrisk_sync_run_duration_seconds_count', { ...sf, status: 'succeeded' })).toBe(before.timed + 1);
    expect(await metricValue('dealrisk_sync_records_total', { ...sf, outcome: 'fetched' })).toBe(before.fetched + 40);
    expect(await metricValue('dealrisk_sync_records_total', { ...sf, outcome: 'written' })).toBe(before.written + run!.counts.written);
    expect(await metricValue('dealrisk_crm_api_calls_total', sf)).toBe(before.calls + run!.apiCalls);
    expect(await metricValue('dealrisk_sync_runs_total', { crm: 'hubspot' })).toBe(0);
  });

  it('counts a HubSpot 429 the connector waited out, and the run still succeeds', { timeout: 120_000 }, async () => {
    const limited = await metricValue('dealrisk_crm_rate_limited_total', { crm: 'hubspot' });
    const ok = await metricValue('dealrisk_sync_runs_total', { crm: 'hubspot', status: 'succeeded' });
    const { result, sb } = await sandboxSync(
      'hubspot',
      {
        hubspot: { burstWindowMs: 1_000, riskProperties: 'ready' },
        faults: [{ on: 'hs objects/deals', policy: 'TEN_SECONDLY_ROLLING', times: 1 }],
      },
      stores,
      sandboxes,
    );
    expect(sb.state.calls.filter((c) => c.status === 429)).toHaveLength(1);
    expect(result.runs[0]).toMatchObject({ status: 'succeeded' });
    expect(await metricValue('dealrisk_crm_rate_limited_total', { crm: 'hubspot' })).toBe(limited + 1);
    expect(await metricValue('dealrisk_sync_runs_total', { crm: 'hubspot', status: 'succeeded' })).toBe(ok + 1);
  });

  it("counts a run that spent the portal's daily quota as paused, with its code", { timeout: 120_000 }, async () => {
    const paused = await metricValue('dealrisk_sync_runs_total', { crm: 'hubspot', status: 'paused' });
    const pauses = await metricValue('dealrisk_sync_pauses_total', { crm: 'hubspot', code: 'crm_quota_exhausted' });
    const { result } = await sandboxSync('hubspot', { hubspot: { dailyLimit: 3, riskProperties: 'ready' } }, stores, sandboxes);
    expect(result.runs[0]).toMatchObject({ status: 'paused' });
    expect(await metricValue('dealrisk_sync_runs_total', { crm: 'hubspot', status: 'paused' })).toBe(paused + 1);
    expect(await metricValue('dealrisk_sync_pauses_total', { crm: 'hubspot', code: 'crm_quota_exhausted' })).toBe(pauses + 1);
  });

  it('reads queue depth and age, model status per tenant count and leases from the database at scrape time', {
    timeout: 120_000,
  }, async () => {
    const { t, sb } = await sandboxSync('salesforce', { salesforce: { riskFields: 'ready' } }, stores, sandboxes);
    const now = sb.clock.now();
    const unwatch = watchStore(t.store, () => new Date(now.getTime() + 600_000));
    try {
      const status = (await t.store.models.active('t1'))?.status;
      expect(status).toBeTruthy();
      expect(await metricValue('dealrisk_tenants_by_model_status', { status: status! })).toBe(1);
      await t.store.tenants.ensure('t2');
      expect(await metricValue('dealrisk_tenants_by_model_status', { status: 'none' })).toBe(1);
      expect(await metricValue('dealrisk_delivery_queue_depth')).toBe(0);
      await t.store.deliveries.enqueue('t1', { kind: 'alert', channel: 'slack', key: 'a1', payload: {}, notBefore: now }, now);
      const later = new Date(now.getTime() + 300_000);
      await t.store.deliveries.enqueue('t1', { kind: 'alert', channel: 'slack', key: 'a2', payload: {}, notBefore: later }, later);
      await t.store.rescoreQueue.add('t2', 'hubspot', ['d1', 'd2', 'd3'], now);
      expect(await metricValue('dealrisk_delivery_queue_depth', { channel: 'slack', kind: 'alert', status: 'pending' })).toBe(2);
      expect(await metricValue('dealrisk_delivery_queue_oldest_age_seconds', { channel: 'slack', kind: 'alert' })).toBe(600);
      expect(await metricValue('dealrisk_rescore_queue_depth', { crm: 'hubspot' })).toBe(3);
      expect(await metricValue('dealrisk_rescore_queue_oldest_age_seconds', { crm: 'hubspot' })).toBe(600);
      expect(await metricValue('dealrisk_outbox_depth', { crm: 'salesforce', status: 'pending' })).toBe(0);
      expect(await metricValue('dealrisk_sync_leases_held')).toBe(0);
      expect(await t.store.tenantSync.claimLease('t2', 'w9', 60_000)).toBe(true);
      expect(await metricValue('dealrisk_sync_leases_held')).toBe(1);
    } finally {
      unwatch();
    }
  });
});

describe('slot lateness', () => {
  it('observes how late a missed slot starts when the worker catches it up', { timeout: 60_000 }, async () => {
    const h = await harness();
    try {
      await h.tenant('t1');
      await h.ctx.store.tenantSync.ensure('t1');
      await h.ctx.store.tenantSync.claimSlot('t1', new Date('2026-11-24T07:00:00Z'));
      h.clock.set('2026-11-24T10:25:00Z'); // the 10:00 slot is 25 minutes old
      const count = await metricValue('dealrisk_sync_slot_lateness_seconds_count', { trigger: 'catch-up' });
      const sum = await metricValue('dealrisk_sync_slot_lateness_seconds_sum', { trigger: 'catch-up' });
      const w = startWorker(h.ctx, { config: h.config, scorer: h.deps.scorer, connectorFor: h.deps.connectorFor, holder: 'w1' });
      await w.ready;
      await w.stop();
      expect((await h.ctx.store.syncRuns.list('t1')).map((r) => r.trigger)).toEqual(['catch-up']);
      expect(await metricValue('dealrisk_sync_slot_lateness_seconds_count', { trigger: 'catch-up' })).toBe(count + 1);
      expect(await metricValue('dealrisk_sync_slot_lateness_seconds_sum', { trigger: 'catch-up' })).toBe(sum + 1500);
      expect(await metricValue('dealrisk_sync_slot_lateness_seconds_bucket', { trigger: 'catch-up', le: 1800 })).toBeGreaterThan(0);
      expect(await metricValue('dealrisk_sync_slot_lateness_seconds_bucket', { trigger: 'catch-up', le: 1200 })).toBe(0);
    } finally {
      await h.close();
    }
  });
});
