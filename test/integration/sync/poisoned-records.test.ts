import { Client } from '@hubspot/api-client';
import jsforce from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../../../config/env.ts';
import { type Sandbox, startSandbox } from '../../../sandbox/index.ts';
import type { AppContext } from '../../../src/context.ts';
import { silentLogger } from '../../../src/log.ts';
import { syncPort } from '../../../src/server/adapters/sync.ts';
import { createApiKey } from '../../../src/server/auth/api-key.ts';
import { tenantIdFor } from '../../../src/server/auth/oauth-routes.ts';
import { startWeb } from '../../../src/server/index.ts';
import { loadSyncConfig } from '../../../src/sync/config.ts';
import { makeConnector } from '../../../src/sync/make-connector.ts';
import type { SyncDeps } from '../../../src/sync/run-sync.ts';
import { syncTenant } from '../../../src/sync/sync-tenant.ts';
import { serviceScorer } from '../../../src/worker/service-scorer.ts';
import { createTestStore, type TestStore } from '../../helpers/store.ts';
import { api, Browser } from '../server/client.ts';
import { fakeOAuth, fakeServices } from '../server/harness.ts';

/**
 * A CRM record whose text Postgres cannot store (U+0000, a lone surrogate) used to fail the
 * tenant's whole sync every hour. Through the real SDKs against the sandbox: the run ends
 * partial, every other deal is stored and scored, the poisoned ones are stored cleaned and named.
 */
describe('a CRM record with text Postgres cannot store', () => {
  let sb: Sandbox;
  let t: TestStore;
  let ctx: AppContext;
  let deps: SyncDeps;
  let HS: string;
  const config = loadSyncConfig();
  const sync = (tenantId: string) => syncTenant(deps, tenantId, { base: config, trigger: 'test' });

  beforeAll(async () => {
    sb = await startSandbox({
      deals: 40,
      seed: 13,
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
      SESSION_SECRET: 'test-session-secret-0123456789',
      DATA_DIR: '/tmp/dealrisk-test-unused',
    });
    ctx = { env, logger: silentLogger(), store: t.store, now: () => sb.clock.now(), close: async () => {} };
    deps = { ctx, scorer: serviceScorer(ctx), connectorFor: makeConnector, holder: 'poison' };
    const hs = sb.hubspot.issueTokens();
    // The workspace id a HubSpot sign-in to this portal lands in (the Sync page is read signed in).
    HS = tenantIdFor('hubspot', String(sb.hubspot.portalId));
    await t.store.tenants.ensure(HS);
    await t.store.connections.create(
      HS,
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
  });
  afterAll(async () => {
    await t?.drop();
    await sb?.close();
  });

  it('HubSpot: stores a deal named with U+0000 and one with a lone surrogate cleaned, names both, and syncs the rest', async () => {
    const open = sb.state.hubspot.deals().filter((d) => !String(d.properties.dealstage).startsWith('closed'));
    const [nul, lone] = [open[0]!, open[1]!];
    const client = new Client({ accessToken: sb.hubspot.issueTokens().access_token, basePath: sb.hubspot.apiBase });
    await client.crm.deals.basicApi.update(nul.id, { properties: { dealname: 'Poison \u0000 deal' } });
    await client.crm.deals.basicApi.update(lone.id, { properties: { dealname: 'Lone \ud800 surrogate' } });

    const r = await sync(HS);
    const run = r.runs[0]!;
    expect(run.status, JSON.stringify(run.errors)).toBe('partial');
    expect(run.errors).toEqual([]);
    const all = sb.state.hubspot.deals().length;
    expect(run.counts).toMatchObject({ fetched: all, stored: all, rejected: 0, cleaned: 2 });
    expect((await t.store.deals.get(HS, 'hubspot', nul.id))?.name).toBe('Poison  deal');
    expect((await t.store.deals.get(HS, 'hubspot', lone.id))?.name).toBe('Lone \ufffd surrogate');
    const counts = await t.store.deals.countByStatus(HS);
    expect(run.counts.scored).toBe(counts.open);
    const scored = new Set((await t.store.scores.latest(HS)).map((s) => s.externalId));
    expect(scored.has(nul.id) && scored.has(lone.id)).toBe(true);

    // Named on GET /v1/sync/runs and on the Sync page.
    const web = await startWeb(
      ctx,
      {
        scoring: fakeServices(t).scoring,
        sync: syncPort(ctx),
        oauth: { salesforce: fakeOAuth('salesforce'), hubspot: fakeOAuth('hubspot') },
        sandbox: null,
      },
      { host: '127.0.0.1', port: 0 },
    );
    try {
      const key = (await createApiKey(t.store, HS, { name: 'reader', role: 'read', ratePerMinute: 1000, createdBy: 'test' }, ctx.now()))
        .secret;
      const res = await api(web.url, 'GET', '/v1/sync/runs?limit=1', key);
      expect(res.status).toBe(200);
      expect(res.body.runs[0]).toMatchObject({ status: 'partial', rejected: [], counts: expect.objectContaining({ cleaned: 2 }) });
      expect(res.body.runs[0].cleaned).toEqual(
        expect.arrayContaining([
          { recordId: nul.id, field: 'dealname', reason: 'removed 1 U+0000 (NUL) character' },
          { recordId: lone.id, field: 'dealname', reason: 'replaced 1 lone surrogate with U+FFFD' },
        ]),
      );
      const viewer = new Browser(web.url);
      await viewer.oauth('hubspot', 'signin', { org: String(sb.hubspot.portalId), user: 'vic', name: 'Vic' });
      const page = await (await viewer.get('/sync')).text();
      expect(page).toContain('2 cleaned fields');
      expect(page).toContain(`<td>${nul.id}</td><td>dealname</td><td>removed 1 U+0000 (NUL) character</td>`);
    } finally {
      await web.close();
    }
  });

  it('Salesforce: stores an opportunity named with U+0000 cleaned and syncs the rest', async () => {
    const opp = sb.state.salesforce.opportunities().find((o) => o.IsClosed === false)!;
    const tokens = sb.salesforce.issueTokens();
    const conn = new jsforce.Connection({
      instanceUrl: tokens.instance_url,
      accessToken: tokens.access_token,
      version: sb.salesforce.version,
    });
    const res = await conn.sobject('Opportunity').update({ Id: opp.Id as string, Name: 'Poison \u0000 opp', NextStep: 'Call \udc00 back' });
    expect(res).toMatchObject({ success: true });

    const r = await sync('sf');
    const run = r.runs[0]!;
    expect(run.status, JSON.stringify(run.errors)).toBe('partial');
    expect(run.counts).toMatchObject({ rejected: 0, cleaned: 1 });
    expect(run.counts.stored).toBe(run.counts.fetched);
    const deal = await t.store.deals.get('sf', 'salesforce', opp.Id as string);
    expect(deal).toMatchObject({ name: 'Poison  opp', nextStep: 'Call \ufffd back' });
    const [stored] = await t.store.syncRuns.list('sf');
    expect(stored!.details.cleaned).toEqual(
      expect.arrayContaining([
        { recordId: opp.Id, field: 'Name', reason: expect.stringContaining('U+0000') },
        { recordId: opp.Id, field: 'NextStep', reason: expect.stringContaining('lone surrogate') },
      ]),
    );
  });
});
