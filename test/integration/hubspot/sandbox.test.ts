import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHubSpotConnector } from '../../../connectors/hubspot/connector.ts';
import { HUBSPOT_OPTIONAL_SCOPES, HUBSPOT_SCOPES } from '../../../connectors/hubspot/oauth.ts';
import type { DealUpdate, FetchPage, TaskRequest } from '../../../connectors/types.ts';
import { type Sandbox, startSandbox } from '../../../sandbox/index.ts';
import { dealInputHash } from '../../../src/core/deal-hash.ts';
import { compileMapping } from '../../../src/mapping/to-deal.ts';
import { hubspotMapping, type MemoryCredentials } from './support/connector.ts';
import { installInSandbox } from './support/sandbox-install.ts';

/** The real SDK against the sandbox CRM on loopback: install, setup, sync, write back, tasks, echo. */
let sb: Sandbox;
// No nock in this file: the sandbox is real HTTP on loopback (nock's fetch passthrough breaks POST bodies).
beforeAll(async () => {
  // A low search cap (200 results per query instead of 10,000) makes window splitting happen on a few
  // hundred deals; search sees a change only 5 s (sandbox clock) after it, as HubSpot's index lags.
  sb = await startSandbox({ deals: 400, seed: 11, hubspot: { searchCap: 200, searchLagMs: 5_000 } });
});
afterAll(async () => {
  await sb?.close();
});

async function install(): Promise<MemoryCredentials> {
  const creds = await installInSandbox(sb);
  const c = await creds.load();
  expect(c.accountId).toBe(String(sb.hubspot.portalId));
  expect(c.instanceUrl).toBe(sb.hubspot.apiBase);
  // The app's own install URL: exactly the scopes it declares (required, then the optional ones), which the sandbox grants and enforces.
  expect(c.scopes).toEqual([...HUBSPOT_SCOPES, ...HUBSPOT_OPTIONAL_SCOPES]);
  return creds;
}

describe('HubSpot connector against the sandbox CRM', () => {
  it('installs, sets up, syncs, writes back, creates tasks once and recognizes its own echo', async () => {
    const creds = await install();
    const connector = () =>
      createHubSpotConnector({
        tenantId: 't-sandbox',
        mapping: hubspotMapping(),
        credentials: creds,
        clientId: sb.hubspot.clientId,
        clientSecret: sb.hubspot.clientSecret,
        now: () => sb.clock.now(),
        searchCap: 200,
      });
    const c = connector();

    const setup = await c.setup();
    expect(setup.created).toEqual(expect.arrayContaining(['deals.risk_score', 'deals.risk_category']));
    expect((await connector().setup()).created).toEqual([]);

    const map = compileMapping(hubspotMapping());
    const pages: FetchPage[] = [];
    for await (const p of c.fetchChanges({ cursor: null })) pages.push(p);
    const records = pages.flatMap((p) => p.records);
    // 400 generated, less the few the generator deletes; each delivered once.
    expect(records.length).toBeGreaterThan(350);
    expect(new Set(records.map((r) => r.id)).size).toBe(records.length);
    const mapped = records.map((r) => map(r, { tenantId: 't-sandbox' }));
    const failed = mapped.filter((m) => !m.ok);
    expect(failed).toEqual([]);
    const deals = mapped.flatMap((m) => (m.ok ? [m.deal] : []));
    expect(new Set(deals.map((d) => d.stage.status))).toEqual(new Set(['open', 'won', 'lost']));
    expect(deals.some((d) => d.account.industry)).toBe(true);
    // Owner names come from the portal's owners list.
    const people = new Map(
      (
        (await (
          await fetch(`${sb.hubspot.apiBase}/crm/v3/owners?limit=100`, {
            headers: { authorization: `Bearer ${(await creds.load()).accessToken}` },
          })
        ).json()) as { results: Array<{ id: string; firstName: string; lastName: string }> }
      ).results.map((o) => [o.id, `${o.firstName} ${o.lastName}`]),
    );
    expect(deals.filter((d) => d.owner.id).every((d) => d.owner.name === people.get(d.owner.id!))).toBe(true);
    expect(people.size).toBeGreaterThan(1);
    // Open deals first (they get tasks), then closed ones, so more deals change than one query returns.
    const open = [...deals.filter((d) => d.stage.status === 'open'), ...deals.filter((d) => d.stage.status !== 'open')].slice(0, 250);

    const updates: DealUpdate[] = open.map((d, i) => ({
      externalId: d.externalId,
      fields: {
        score: 60 + (i % 40),
        category: i % 40 > 15 ? 'Critical' : 'High',
        winProbability: 0.3,
        drivers: 'No activity for 41 days',
        action: 'Call the buyer',
        scoredAt: sb.clock.now(),
        modelStatus: 'ok',
      },
    }));
    const written = await c.writeBack(updates);
    expect(written.filter((w) => !w.ok)).toEqual([]);

    const tasks: TaskRequest[] = open.slice(0, 5).map((d) => ({
      key: `${d.externalId}:call-buyer`,
      dealExternalId: d.externalId,
      ownerId: d.owner.id,
      subject: 'Risk: call the buyer',
      description: 'No activity for 41 days',
      priority: 'high',
      dueDate: new Date(sb.clock.now().getTime() + 86_400_000),
    }));
    expect((await c.upsertTasks(tasks)).map((t) => t.status)).toEqual(Array(5).fill('created'));
    expect((await connector().upsertTasks(tasks)).map((t) => t.status)).toEqual(Array(5).fill('open'));

    // An hour later: our writes moved hs_lastmodifieddate, so they come back, and must hash the same.
    sb.clock.advance({ hours: 1 });
    const before = new Map(open.map((d) => [d.externalId, dealInputHash(d)]));
    const later: FetchPage[] = [];
    const hourly = connector();
    for await (const p of hourly.fetchChanges({ cursor: pages.at(-1)!.cursor })) later.push(p);
    const changed = later.flatMap((p) => p.records);
    expect(new Set(changed.map((r) => r.id)).size).toBe(changed.length);
    // More changes than one query may return: the window was split, and no search hit the cap.
    expect(changed.length).toBeGreaterThan(200);
    expect(hourly.hubspotUsage().byOperation['search deals']).toBeGreaterThan(Math.ceil(changed.length / 200));
    const echoed = changed.filter((r) => before.has(r.id));
    expect(echoed.length).toBe(open.length);
    for (const r of echoed) {
      const m = map(r, { tenantId: 't-sandbox' });
      if (!m.ok) throw new Error(JSON.stringify(m.error));
      expect(dealInputHash(m.deal)).toBe(before.get(r.id));
    }
  }, 120_000);
});
