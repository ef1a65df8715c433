import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHubSpotConnector } from '../../../connectors/hubspot/connector.ts';
import type { FetchPage } from '../../../connectors/types.ts';
import { type Sandbox, startSandbox } from '../../../sandbox/index.ts';
import { compileMapping } from '../../../src/mapping/to-deal.ts';
import { hubspotMapping, MemoryCredentials } from './support/connector.ts';

/**
 * HubSpot answers a batch read with `propertiesWithHistory` and more than 50 inputs with 400
 * VALIDATION_ERROR. The default mapping reads stage history, so a connector that asks for 100 at a
 * time fails the first page of every real portal's first sync, and every hour after.
 */
let sb: Sandbox;
beforeAll(async () => {
  sb = await startSandbox({ deals: 260, seed: 5 });
});
afterAll(async () => {
  await sb?.close();
});

function connector() {
  const t = sb.hubspot.issueTokens();
  const creds = new MemoryCredentials({
    accessToken: t.access_token,
    refreshToken: t.refresh_token,
    expiresAt: new Date(Date.now() + t.expires_in * 1000),
    accountId: String(t.hub_id),
    instanceUrl: sb.hubspot.apiBase,
    authBaseUrl: sb.hubspot.apiBase,
    scopes: t.scopes,
  });
  return createHubSpotConnector({
    tenantId: 't-history',
    mapping: hubspotMapping(),
    credentials: creds,
    clientId: sb.hubspot.clientId,
    clientSecret: sb.hubspot.clientSecret,
    now: () => sb.clock.now(),
  });
}

describe('HubSpot history batch reads', () => {
  it('completes a first sync with the default mapping while HubSpot refuses history batches over 50', async () => {
    const c = connector();
    const pages: FetchPage[] = [];
    for await (const p of c.fetchChanges({ cursor: null })) pages.push(p);
    const records = pages.flatMap((p) => p.records);
    const live = sb.state.hubspot.deals().length;
    expect(records.length).toBe(live);
    const map = compileMapping(hubspotMapping());
    const mapped = records.map((r) => map(r, { tenantId: 't-history' }));
    expect(mapped.filter((m) => !m.ok)).toEqual([]);
    // Stage history arrived: some deal moved through more than one stage.
    expect(records.some((r) => ((r.data._derived as { stageHistory: unknown[] }).stageHistory ?? []).length > 1)).toBe(true);
    const u = c.hubspotUsage();
    // 100 deals a list page (HubSpot's maximum), at most 50 a history read.
    expect(Math.max(...pages.map((p) => p.records.length))).toBe(100);
    const historyReads = pages.reduce((n, p) => n + Math.ceil(p.records.length / 50), 0);
    expect(u.byOperation['batch read deal history']).toBe(historyReads);
    expect(sb.state.calls.filter((x) => x.crm === 'hs' && x.status === 400)).toEqual([]);
  });

  it("answers a history read of 51 deals with HubSpot's own 400 body", async () => {
    const t = sb.hubspot.issueTokens();
    const ids = sb.state.hubspot
      .deals()
      .slice(0, 51)
      .map((d) => ({ id: d.id }));
    const res = await fetch(`${sb.hubspot.apiBase}/crm/v3/objects/deals/batch/read`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: ids, properties: ['dealstage'], propertiesWithHistory: ['dealstage'] }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      status: 'error',
      message:
        'The maximum number of inputs supported in a batch request for property histories is 50. Please reduce the number of items and try again',
      correlationId: expect.any(String),
      category: 'VALIDATION_ERROR',
    });
  });
});
