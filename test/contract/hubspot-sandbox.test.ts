import { createHubSpotConnector } from '../../connectors/hubspot/connector.ts';
import { HUBSPOT_SCOPES } from '../../connectors/hubspot/oauth.ts';
import { startSandbox } from '../../sandbox/index.ts';
import { hubspotMapping, MemoryCredentials } from '../integration/hubspot/support/connector.ts';
import { connectorContract, type SourceHandle } from './connector-contract.ts';

/**
 * The real @hubspot/api-client against the sandbox portal on loopback (no nock in this file:
 * nock's fetch passthrough breaks POST bodies). The app holds tokens for exactly the scopes it
 * declares (the install flow itself is test/integration/hubspot/sandbox.test.ts's); people's edits
 * and deletes go through the same public API with a token of their own.
 */
const mapping = hubspotMapping();
const fields = mapping.writeBack!.fields;

async function make(size: 'paged' | 'small'): Promise<SourceHandle> {
  const sb = await startSandbox({ deals: size === 'paged' ? 250 : 40, seed: 17, hubspot: { riskProperties: 'ready' } });
  const issued = sb.hubspot.issueTokens([...HUBSPOT_SCOPES]);
  const creds = new MemoryCredentials({
    accessToken: issued.access_token,
    refreshToken: issued.refresh_token,
    expiresAt: new Date(sb.clock.now().getTime() + issued.expires_in * 1000),
    accountId: String(issued.hub_id),
    instanceUrl: sb.hubspot.apiBase,
    authBaseUrl: sb.hubspot.apiBase,
    scopes: issued.scopes,
  });
  // A person working in the portal (the sandbox's private-app token: another client, same API).
  const asUser = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${sb.hubspot.apiBase}${path}`, {
      method,
      headers: { authorization: `Bearer ${sb.hubspot.privateAppToken}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (!res.ok) throw new Error(`sandbox ${method} ${path}: ${res.status} ${await res.text()}`);
    return res.status === 204 ? null : res.json();
  };
  return {
    connect: async () =>
      createHubSpotConnector({
        tenantId: 't-contract',
        mapping,
        credentials: creds,
        clientId: sb.hubspot.clientId,
        clientSecret: sb.hubspot.clientSecret,
        now: () => sb.clock.now(),
      }),
    now: () => sb.clock.now(),
    elapse: async (ms) => void sb.clock.advance({ ms }),
    liveIds: async () => sb.state.hubspot.deals().map((d) => d.id),
    // Batch updates, 100 deals a request, as an import would.
    edit: async (ids) => {
      for (let i = 0; i < ids.length; i += 100) {
        const inputs = ids.slice(i, i + 100).map((id) => ({
          id,
          properties: { amount: String(Number(sb.state.hubspot.deal(id)?.properties.amount ?? 0) + 100) },
        }));
        await asUser('POST', '/crm/v3/objects/deals/batch/update', { inputs });
      }
    },
    create: async (count) => {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const made = (await asUser('POST', '/crm/v3/objects/deals', {
          properties: { dealname: `Contract deal ${i + 1}`, amount: '25000', pipeline: 'default', dealstage: 'appointmentscheduled' },
        })) as { id: string };
        ids.push(made.id);
      }
      return ids;
    },
    remove: async (ids) => {
      for (const id of ids) await asUser('DELETE', `/crm/v3/objects/deals/${id}`);
    },
    refuseWrites: async (ids) =>
      void sb.faults.add({
        on: 'POST hs deals/batch/update',
        rejectRecords: { ids, message: 'Closed lost reason is required for this stage', fields: ['closed_lost_reason'] },
      }),
    readRisk: async (id) => {
      const p = sb.state.hubspot.deal(id)?.properties;
      return p?.[fields.score] == null ? null : { score: Number(p[fields.score]), category: String(p[fields.category]) };
    },
    tasksWithKey: async (key) =>
      sb.state.hubspot.tasks().filter((t) => t.properties.hs_task_body?.includes(`[dealrisk-key:${key}]`)).length,
    revokeToken: async () => sb.tokens.revokeAll('hubspot'),
    // The sandbox's limiter counts on the wall clock (110 calls per 10 s), so spending a daily
    // allowance through it would take minutes: the fault answers every call with the limiter's own
    // DAILY 429 instead.
    exhaustQuota: async () => void sb.faults.add({ on: 'hs *', policy: 'DAILY' }),
    reauthRequests: () => creds.reauth.length,
    close: () => sb.close(),
  };
}

connectorContract('hubspot over the sandbox', {
  make,
  timeoutMs: 60_000,
  deleteLatencyMs: 24 * 3_600_000,
  skip: {
    restores:
      'the sandbox has no recycle-bin restore: HubSpot restores deals only in its UI (no API), so nothing on loopback can bring one back',
    changedSince:
      'HubSpot pushes changes by webhook (deal.propertyChange and the rest, to /integrations/hubspot/webhook), so the HubSpot connector has no change poll (changedSince)',
  },
});
