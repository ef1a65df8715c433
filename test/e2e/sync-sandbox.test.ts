import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../../config/env.ts';
import { type Sandbox, startSandbox } from '../../sandbox/index.ts';
import type { AppContext } from '../../src/context.ts';
import { silentLogger } from '../../src/log.ts';
import { loadSyncConfig } from '../../src/sync/config.ts';
import { makeConnector } from '../../src/sync/make-connector.ts';
import type { SyncDeps } from '../../src/sync/run-sync.ts';
import { syncTenant } from '../../src/sync/sync-tenant.ts';
import { serviceScorer } from '../../src/worker/service-scorer.ts';
import { createTestStore, type TestStore } from '../helpers/store.ts';

/**
 * The whole loop against the sandbox CRM with the real connectors (jsforce, @hubspot/api-client)
 * and the real scoring service: first sync → model → scores, fields and tasks in the CRM →
 * clock advanced, deals edited → the hourly sync writes only what changed.
 */
describe('the sync loop against the sandbox CRM', () => {
  let sb: Sandbox;
  let t: TestStore;
  let ctx: AppContext;
  let deps: SyncDeps;
  const config = loadSyncConfig();
  const sync = (tenantId: string) => syncTenant(deps, tenantId, { base: config, trigger: 'test' });

  beforeAll(async () => {
    sb = await startSandbox({
      deals: 300,
      seed: 11,
      salesforce: { riskFields: 'ready' },
      hubspot: { riskProperties: 'ready' },
      taskCompletionDays: null,
    });
    t = await createTestStore();
    const env = parseEnv({
      NODE_ENV: 'test',
      SALESFORCE_CLIENT_ID: sb.salesforce.clientId,
      SALESFORCE_CLIENT_SECRET: sb.salesforce.clientSecret,
      SALESFORCE_LOGIN_URL: sb.salesforce.loginUrl,
      HUBSPOT_CLIENT_ID: sb.hubspot.clientId,
      HUBSPOT_CLIENT_SECRET: sb.hubspot.clientSecret,
    });
    ctx = { env, logger: silentLogger(), store: t.store, now: () => sb.clock.now(), close: async () => {} };
    deps = { ctx, scorer: serviceScorer(ctx), connectorFor: makeConnector, holder: 'e2e' };
    const sf = sb.salesforce.issueTokens();
    await t.store.tenants.ensure('sf');
    await t.store.connections.create(
      'sf',
      {
        crm: 'salesforce',
        accountId: sb.salesforce.orgId,
        instanceUrl: sf.instance_url,
        credentials: {
          accessToken: sf.access_token,
          refreshToken: sf.refresh_token,
          instanceUrl: sf.instance_url,
          accountId: sb.salesforce.orgId,
          authBaseUrl: sb.salesforce.loginUrl,
        },
      },
      ctx.now(),
    );
    const hs = sb.hubspot.issueTokens();
    await t.store.tenants.ensure('hs');
    await t.store.connections.create(
      'hs',
      {
        crm: 'hubspot',
        accountId: String(sb.hubspot.portalId),
        instanceUrl: sb.hubspot.apiBase,
        credentials: {
          accessToken: hs.access_token,
          refreshToken: hs.refresh_token,
          expiresAt: new Date(Date.now() + 1_800_000),
          instanceUrl: sb.hubspot.apiBase,
          accountId: String(sb.hubspot.portalId),
          authBaseUrl: sb.hubspot.apiBase,
        },
      },
      ctx.now(),
    );
  });
  afterAll(async () => {
    await t?.drop();
    await sb?.close();
  });

  it('runs the first sync on both CRMs: model trained, open deals scored, risk fields and tasks written', { timeout: 60_000 }, async () => {
    for (const tenant of ['sf', 'hs']) {
      const r = await sync(tenant);
      const run = r.runs[0]!;
      expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
      expect(run.counts.fetched).toBeGreaterThanOrEqual(
        tenant === 'sf' ? sb.state.salesforce.opportunities().length : sb.state.hubspot.deals().length,
      );
      expect(run.counts.rejected).toBe(0);
      const counts = await t.store.deals.countByStatus(tenant);
      expect(run.counts.scored).toBe(counts.open);
      expect(run.counts.written).toBe(counts.open);
      const model = await t.store.models.active(tenant);
      expect(model).not.toBeNull();
      // Follow-up tasks for High and Critical deals, withheld while the model has no signal.
      const highs = (await t.store.scores.latest(tenant)).filter((s) => s.category === 'High' || s.category === 'Critical').length;
      if (model!.status === 'no_signal' || highs === 0) expect(run.counts.tasks).toBe(0);
      else expect(run.counts.tasks).toBeGreaterThan(0);
    }
    const opps = sb.state.salesforce.opportunities().filter((o) => o.IsClosed === false);
    expect(opps.length).toBeGreaterThan(0);
    for (const o of opps) {
      expect(o.Risk_Score__c).toEqual(expect.any(Number));
      expect(['Low', 'Medium', 'High', 'Critical']).toContain(o.Risk_Category__c);
      expect(o.Risk_Model_Status__c).toEqual(expect.any(String));
    }
    const stored = new Map((await t.store.scores.latest('sf')).map((s) => [s.externalId, s.score]));
    expect(opps.every((o) => stored.get(o.Id as string) === o.Risk_Score__c)).toBe(true);
    expect(sb.state.salesforce.tasks().length).toBe((await t.store.outbox.list('sf', { kind: 'task', status: 'sent' })).length);
    expect(sb.state.hubspot.tasks().length).toBe((await t.store.outbox.list('hs', { kind: 'task', status: 'sent' })).length);
    const hsScores = new Map((await t.store.scores.latest('hs')).map((s) => [s.externalId, s]));
    const hsOpen = sb.state.hubspot.deals().filter((d) => hsScores.has(d.id));
    expect(hsOpen.length).toBe(hsScores.size);
    for (const d of hsOpen) {
      expect(Number(d.properties.risk_score)).toBe(hsScores.get(d.id)!.score);
      expect(d.properties.risk_category).toBe(hsScores.get(d.id)!.category);
    }
  });

  it('recognises its own writes as echoes: the next hourly sync rescores and rewrites nothing', async () => {
    for (const tenant of ['sf', 'hs']) {
      const r = await sync(tenant);
      expect({ tenant, ...r.runs[0]!.counts }).toMatchObject({ tenant, scored: 0, queued: 0, written: 0, tasks: 0 });
    }
  });

  it('costs one read call per connection for an hourly sync with nothing new', async () => {
    for (const tenant of ['sf', 'hs']) {
      const r = await sync(tenant);
      expect({ tenant, apiCalls: r.runs[0]!.apiCalls, fetched: r.runs[0]!.counts.fetched }).toEqual({ tenant, apiCalls: 1, fetched: 0 });
    }
  });

  it('after the sandbox moves on an hour, writes only the deals whose risk values changed', async () => {
    sb.clock.advance({ hours: 1 });
    const writesBefore = sb.state.salesforce.fieldWrites.length;
    const r = await sync('sf');
    const run = r.runs[0]!;
    expect(run.status).toBe('succeeded');
    const writes = sb.state.salesforce.fieldWrites.slice(writesBefore).filter((w) => w.object === 'Opportunity');
    expect(writes.length).toBe(run.counts.written);
    expect(run.counts.written).toBeLessThanOrEqual(run.counts.scored);
    // Nothing new since: one read call.
    const again = await sync('sf');
    expect(again.runs[0]!.counts).toMatchObject({ fetched: 0, written: 0 });
  });
});
