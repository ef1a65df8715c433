import path from 'node:path';
import type { Sandbox } from '../../../../sandbox/index.ts';
import { type ChildEnd, runChild, type WorkerDatabase, withStore } from './kill-worker.ts';

const CHILD = path.join(import.meta.dirname, '../fixtures/sandbox-child.ts');

/**
 * Tenant `t1` connected to the sandbox's Salesforce org or HubSpot portal in `db`, as an install
 * leaves it. `run` starts a worker process syncing it, at the sandbox's time of that moment, with
 * the real scoring service or the `daily` fake (helpers/daily-scorer.ts).
 */
export async function sandboxWorker(
  sb: Sandbox,
  crm: 'salesforce' | 'hubspot',
  db: WorkerDatabase,
  opts: { scorer?: 'service' | 'daily' } = {},
): Promise<{ run(env?: Record<string, string>): Promise<ChildEnd> }> {
  await withStore(db, async (store) => {
    await store.tenants.ensure('t1');
    await store.connections.create('t1', crm === 'salesforce' ? salesforceConnection(sb) : hubspotConnection(sb), sb.clock.now());
  });
  const crmEnv =
    crm === 'salesforce'
      ? {
          SALESFORCE_CLIENT_ID: sb.salesforce.clientId,
          SALESFORCE_CLIENT_SECRET: sb.salesforce.clientSecret,
          SALESFORCE_LOGIN_URL: sb.salesforce.loginUrl,
        }
      : { HUBSPOT_CLIENT_ID: sb.hubspot.clientId, HUBSPOT_CLIENT_SECRET: sb.hubspot.clientSecret };
  return {
    run: (env = {}) =>
      runChild(CHILD, {
        ...db.env,
        CLOCK: sb.clock.now().toISOString(),
        CRM_ENV: JSON.stringify(crmEnv),
        SCORER: opts.scorer ?? 'service',
        ...env,
      }),
  };
}

export function salesforceConnection(sb: Sandbox) {
  const t = sb.salesforce.issueTokens();
  return {
    crm: 'salesforce' as const,
    accountId: sb.salesforce.orgId,
    instanceUrl: t.instance_url,
    credentials: {
      accessToken: t.access_token,
      refreshToken: t.refresh_token,
      instanceUrl: t.instance_url,
      accountId: sb.salesforce.orgId,
      authBaseUrl: sb.salesforce.loginUrl,
    },
  };
}

export function hubspotConnection(sb: Sandbox) {
  const t = sb.hubspot.issueTokens();
  const portal = String(sb.hubspot.portalId);
  return {
    crm: 'hubspot' as const,
    accountId: portal,
    instanceUrl: sb.hubspot.apiBase,
    credentials: {
      accessToken: t.access_token,
      refreshToken: t.refresh_token,
      expiresAt: new Date(Date.now() + t.expires_in * 1000),
      instanceUrl: sb.hubspot.apiBase,
      accountId: portal,
      authBaseUrl: sb.hubspot.apiBase,
    },
  };
}
