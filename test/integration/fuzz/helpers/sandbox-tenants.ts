import { parseEnv } from '../../../../config/env.ts';
import { type Sandbox, type SandboxOptions, startSandbox } from '../../../../sandbox/index.ts';
import type { AppContext } from '../../../../src/context.ts';
import { silentLogger } from '../../../../src/log.ts';
import { syncPort } from '../../../../src/server/adapters/sync.ts';
import { createApiKey } from '../../../../src/server/auth/api-key.ts';
import { startWeb } from '../../../../src/server/index.ts';
import { loadSyncConfig } from '../../../../src/sync/config.ts';
import { makeConnector } from '../../../../src/sync/make-connector.ts';
import type { SyncDeps } from '../../../../src/sync/run-sync.ts';
import { syncTenant } from '../../../../src/sync/sync-tenant.ts';
import { serviceScorer } from '../../../../src/worker/service-scorer.ts';
import { createTestStore, type TestStore } from '../../../helpers/store.ts';
import { api } from '../../server/client.ts';
import { fakeOAuth, fakeServices } from '../../server/harness.ts';

export interface SandboxTenants {
  sb: Sandbox;
  t: TestStore;
  ctx: AppContext;
  deps: SyncDeps;
  /** Tenant ids with one connection each: to the sandbox's HubSpot portal and Salesforce org. */
  hubspot: string;
  salesforce: string;
  /** A tenant whose one connection is a CSV file (settings.file) through mappings/skygeni.csv.yaml. */
  csv: { tenantId: string; file: string } | null;
  sync(tenantId: string): ReturnType<typeof syncTenant>;
  /** GET on the app's REST API as a read-only key of the tenant. */
  get(tenantId: string, path: string): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

/**
 * The sandbox CRM, a test store, and two tenants connected to it as an OAuth install leaves
 * them, synced by the real engine: real connectors (jsforce, @hubspot/api-client), the
 * shipped mappings, the scoring service (trained on the sandbox's closed deals), write-back.
 */
export async function sandboxTenants(opts: SandboxOptions & { csvFile?: string }): Promise<SandboxTenants> {
  const sb = await startSandbox(opts);
  const t = await createTestStore();
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
  const ctx: AppContext = { env, logger: silentLogger(), store: t.store, now: () => sb.clock.now(), close: async () => {} };
  const deps: SyncDeps = { ctx, scorer: serviceScorer(ctx), connectorFor: makeConnector, holder: 'fuzz' };
  const hubspot = 'fuzz-hs';
  const salesforce = 'fuzz-sf';
  const hs = sb.hubspot.issueTokens();
  await t.store.tenants.ensure(hubspot);
  await t.store.connections.create(
    hubspot,
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
  await t.store.tenants.ensure(salesforce);
  await t.store.connections.create(
    salesforce,
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
  const csv = opts.csvFile ? { tenantId: 'fuzz-csv', file: opts.csvFile } : null;
  if (csv) {
    await t.store.tenants.ensure(csv.tenantId);
    await t.store.connections.create(csv.tenantId, { crm: 'csv', settings: { file: csv.file, mapping: 'skygeni.csv' } }, ctx.now());
  }
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
  const keys = new Map<string, string>();
  for (const tenantId of [hubspot, salesforce, ...(csv ? [csv.tenantId] : [])]) {
    keys.set(
      tenantId,
      (await createApiKey(t.store, tenantId, { name: 'fuzz reader', role: 'read', ratePerMinute: 1_000_000, createdBy: 'fuzz' }, ctx.now()))
        .secret,
    );
  }
  const config = loadSyncConfig();
  return {
    sb,
    t,
    ctx,
    deps,
    hubspot,
    salesforce,
    csv,
    sync: (tenantId) => syncTenant(deps, tenantId, { base: config, trigger: 'fuzz' }),
    get: (tenantId, path) => api(web.url, 'GET', path, keys.get(tenantId)!),
    async close() {
      await web.close();
      await t.drop();
      await sb.close();
    },
  };
}
