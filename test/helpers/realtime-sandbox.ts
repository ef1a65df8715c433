import { createHmac } from 'node:crypto';
import { parseEnv } from '../../config/env.ts';
import { type Sandbox, startSandbox } from '../../sandbox/index.ts';
import type { AppContext } from '../../src/context.ts';
import { silentLogger } from '../../src/log.ts';
import { createScoringService } from '../../src/scoring/service.ts';
import { createWebDeps, startWeb } from '../../src/server/index.ts';
import { loadSyncConfig, type SyncConfig } from '../../src/sync/config.ts';
import { makeConnector } from '../../src/sync/make-connector.ts';
import type { SyncDeps } from '../../src/sync/run-sync.ts';
import { syncTenant } from '../../src/sync/sync-tenant.ts';
import { startWorker, type Worker } from '../../src/worker/index.ts';
import { serviceScorer } from '../../src/worker/service-scorer.ts';
import { hubspotConnection, salesforceConnection } from '../integration/sync/helpers/sandbox-worker.ts';
import type { TestStore } from './store.ts';

/**
 * The real-time loop against the sandbox CRM, as production runs it: the web app takes HubSpot's
 * signed webhooks, a worker (its poll loop at `pollSeconds`) serves them and polls Salesforce for
 * changes, and the real connectors, mapping and scoring service do the rest. Tenants `sf` and
 * `hs` are connected and have had their first sync. The e2e test and bench/realtime.bench.ts use it.
 */
export interface RealtimeLoop {
  sb: Sandbox;
  ctx: AppContext;
  deps: SyncDeps;
  config: SyncConfig;
  web: { url: string; close(): Promise<void> };
  worker: Worker | null;
  /** Starts the worker (schedule off: no hourly slot fires during a measurement). */
  startWorker(): Worker;
  /** A rep's edit of a HubSpot deal through the sandbox's CRM API (PATCH /crm/v3/objects/deals/{id}). */
  editHubSpotDeal(id: string, properties: Record<string, string>): Promise<void>;
  /** HubSpot's webhook for that edit, signed (v3) with the app's client secret, to the web app. */
  deliverWebhook(dealIds: string[], subscriptionType?: string): Promise<number>;
  /** A rep's edit of an opportunity through the sandbox's REST API (PATCH sobjects/Opportunity/{id}). */
  editOpportunity(id: string, fields: Record<string, unknown>): Promise<void>;
  /** The deal's risk score as written in the CRM now (null: none written). */
  writtenScore(crm: 'hubspot' | 'salesforce', id: string): number | null;
  close(): Promise<void>;
}

let eventId = 1;

export async function startRealtimeLoop(
  t: TestStore,
  o: { deals: number; seed?: number; pollSeconds?: number; changePollSeconds?: number },
): Promise<RealtimeLoop> {
  const sb = await startSandbox({
    deals: o.deals,
    seed: o.seed ?? 11,
    salesforce: { riskFields: 'ready' },
    hubspot: { riskProperties: 'ready' },
    taskCompletionDays: null,
  });
  const env = parseEnv({
    NODE_ENV: 'test',
    SESSION_SECRET: 's'.repeat(32),
    SALESFORCE_CLIENT_ID: sb.salesforce.clientId,
    SALESFORCE_CLIENT_SECRET: sb.salesforce.clientSecret,
    SALESFORCE_LOGIN_URL: sb.salesforce.loginUrl,
    HUBSPOT_CLIENT_ID: sb.hubspot.clientId,
    HUBSPOT_CLIENT_SECRET: sb.hubspot.clientSecret,
  });
  const ctx: AppContext = { env, logger: silentLogger(), store: t.store, now: () => sb.clock.now(), close: async () => {} };
  const config = structuredClone(loadSyncConfig());
  config.schedule.pollSeconds = o.pollSeconds ?? 0.25;
  config.realtime.pollSeconds = o.changePollSeconds ?? 1;
  const deps: SyncDeps = { ctx, scorer: serviceScorer(ctx), connectorFor: makeConnector, holder: 'realtime-test' };
  await t.store.tenants.ensure('sf');
  await t.store.connections.create('sf', salesforceConnection(sb), ctx.now());
  await t.store.tenants.ensure('hs');
  await t.store.connections.create('hs', hubspotConnection(sb), ctx.now());
  for (const tenant of ['sf', 'hs']) {
    const r = await syncTenant(deps, tenant, { base: config, trigger: 'test' });
    if (r.runs[0]?.status !== 'succeeded') throw new Error(`first sync of ${tenant}: ${JSON.stringify(r.runs[0]?.errors ?? r.error)}`);
  }
  const web = await startWeb(ctx, createWebDeps(ctx, { scoring: createScoringService({ store: t.store }), oauth: {} }), {
    host: '127.0.0.1',
    port: 0,
  });
  const hsToken = sb.hubspot.issueTokens().access_token;
  const sf = sb.salesforce.issueTokens();
  const ok = async (what: string, r: Response) => {
    if (r.status >= 300) throw new Error(`${what}: ${r.status} ${await r.text()}`);
  };
  const loop: RealtimeLoop = {
    sb,
    ctx,
    deps,
    config,
    web,
    worker: null,
    startWorker() {
      loop.worker = startWorker(ctx, { config, scorer: deps.scorer, schedule: false, holder: 'realtime-worker' });
      return loop.worker;
    },
    async editHubSpotDeal(id, properties) {
      await ok(
        `PATCH deal ${id}`,
        await fetch(`${sb.hubspot.apiBase}/crm/v3/objects/deals/${id}`, {
          method: 'PATCH',
          headers: { authorization: `Bearer ${hsToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ properties }),
        }),
      );
    },
    async deliverWebhook(dealIds, subscriptionType = 'deal.propertyChange') {
      const url = `${web.url}/integrations/hubspot/webhook`;
      const body = JSON.stringify(
        dealIds.map((id) => ({
          eventId: eventId++,
          subscriptionId: 1,
          portalId: sb.hubspot.portalId,
          appId: sb.hubspot.appId,
          occurredAt: Date.now(),
          subscriptionType,
          attemptNumber: 0,
          objectId: Number(id),
          changeSource: 'CRM_UI',
        })),
      );
      const at = String(Date.now());
      const signature = createHmac('sha256', sb.hubspot.clientSecret).update(`POST${url}${body}${at}`).digest('base64');
      const r = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hubspot-signature-v3': signature, 'x-hubspot-request-timestamp': at },
        body,
      });
      return r.status;
    },
    async editOpportunity(id, fields) {
      await ok(
        `PATCH opportunity ${id}`,
        await fetch(`${sf.instance_url}/services/data/v66.0/sobjects/Opportunity/${id}`, {
          method: 'PATCH',
          headers: { authorization: `Bearer ${sf.access_token}`, 'content-type': 'application/json' },
          body: JSON.stringify(fields),
        }),
      );
    },
    writtenScore(crm, id) {
      const v = crm === 'hubspot' ? sb.state.hubspot.deal(id)?.properties.risk_score : sb.state.salesforce.opportunity(id)?.Risk_Score__c;
      return v === null || v === undefined || v === '' ? null : Number(v);
    },
    async close() {
      await loop.worker?.stop();
      await web.close();
      await sb.close();
    },
  };
  return loop;
}
