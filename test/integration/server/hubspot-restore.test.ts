import { createHmac } from 'node:crypto';
import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createScoringService } from '../../../src/scoring/service.ts';
import { createWebDeps } from '../../../src/server/index.ts';
import { RISK_CATEGORIES } from '../../../src/store/repos/deal-risk.ts';
import { syncTenant } from '../../../src/sync/sync-tenant.ts';
import { MemoryCredentials, makeConnector, oauthCredentials, TestClock } from '../hubspot/support/connector.ts';
import { aDeal, FakeHubSpot } from '../hubspot/support/fake-hubspot.ts';
import { HOUR } from '../sync/helpers/context.ts';
import { type Harness, harness } from '../sync/helpers/harness.ts';

const SECRET = 'hubspot-client-secret';
const URL_ = 'https://dealrisk.example.com/integrations/hubspot/webhook';
const PORTAL = '147893286';
const TENANT = `hs-${PORTAL}`;

/**
 * A deal deleted in HubSpot and restored from its recycle bin: the deletion webhook takes it out
 * of our pipeline, the restore webhook asks for it to be read again, and the next fetch (the
 * webhook-triggered run, through the real connector and SDK against nock) brings it back. HubSpot
 * sets a restored record's modification date (observed, integrate.hubspot.com/t/11963), so the
 * incremental search finds it.
 */
describe('a HubSpot deal restored from the recycle bin', () => {
  let h: Harness;
  let fake: FakeHubSpot;
  beforeEach(async () => {
    nock.disableNetConnect();
    h = await harness();
    await h.t.store.tenants.ensure(TENANT);
    await h.t.store.connections.create(TENANT, { crm: 'hubspot', accountId: PORTAL, credentials: { accessToken: 'x' } }, h.clock.now());
    const clock = new TestClock(h.clock.now().getTime());
    clock.now = h.clock.now;
    fake = new FakeHubSpot({ deals: [aDeal(1), aDeal(2)], now: h.clock.now });
    const creds = new MemoryCredentials(oauthCredentials(clock, { expiresAt: new Date(clock.t + 24 * HOUR) }));
    h.deps.connectorFor = async () => makeConnector(clock, creds, { tenantId: TENANT });
  });
  afterEach(async () => {
    fake.stop();
    nock.cleanAll();
    nock.enableNetConnect();
    await h.close();
  });

  const webhook = () => {
    const deps = createWebDeps(h.ctx, { scoring: createScoringService({ store: h.t.store }), oauth: {}, hubspotClientSecret: SECRET });
    return (events: unknown[]) => {
      const body = JSON.stringify(events);
      const at = String(Date.now());
      const sig = createHmac('sha256', SECRET).update(`POST${URL_}${body}${at}`).digest('base64');
      return deps.hubspot!.webhook!({
        method: 'POST',
        url: URL_,
        headers: { 'x-hubspot-signature-v3': sig, 'x-hubspot-request-timestamp': at },
        body: Buffer.from(body),
      });
    };
  };
  const event = (eventId: number, subscriptionType: string, objectId: string, occurredAt: number) => ({
    eventId,
    portalId: Number(PORTAL),
    appId: 1,
    subscriptionType,
    objectId: Number(objectId),
    occurredAt,
    attemptNumber: 0,
  });
  const live = async () => (await h.t.store.deals.list(TENANT)).map((d) => d.externalId).sort();
  /** What the dashboard lists: open, not deleted, scored deals (deal_risk). */
  const listed = async () =>
    (await h.t.store.dealRisk.list(TENANT, { categories: [...RISK_CATEGORIES], limit: 50, offset: 0 })).rows
      .map((r) => r.externalId)
      .sort();

  it('is read again and back in our pipeline, with its score, at the next fetch', { timeout: 180_000 }, async () => {
    const post = webhook();
    const id = aDeal(1).id;
    const first = await syncTenant(h.deps, TENANT, { base: h.config, trigger: 'test' });
    expect(first.runs[0]!.errors).toEqual([]);
    expect(first.runs[0]!.status).toBe('succeeded');
    expect(await live()).toEqual([aDeal(1).id, aDeal(2).id].sort());
    expect(await listed()).toEqual([aDeal(1).id, aDeal(2).id].sort());

    h.clock.advance(HOUR);
    await post([event(1, 'deal.deletion', id, h.clock.now().getTime())]);
    expect(await live()).toEqual([aDeal(2).id]);
    expect(await listed()).toEqual([aDeal(2).id]);

    // Restored in HubSpot: the record is back, with a fresh modification date.
    h.clock.advance(60_000);
    fake.deals.get(id)!.properties.hs_lastmodifieddate = h.clock.now().toISOString();
    expect((await post([event(2, 'deal.restore', id, h.clock.now().getTime())])).status).toBe(204);
    expect((await h.t.store.rescoreQueue.list(TENANT, 'hubspot')).map((q) => q.externalId)).toContain(id);

    h.clock.advance(60_000);
    const run = (await syncTenant(h.deps, TENANT, { base: h.config, trigger: 'webhook' })).runs[0]!;
    expect(run.errors).toEqual([]);
    expect(run.status).toBe('succeeded');
    expect(run.counts.fetched).toBeGreaterThanOrEqual(1);
    expect(await live()).toEqual([aDeal(1).id, aDeal(2).id].sort());
    // Scored as a changed deal is: its inputs did not change, so its score stands, listed again.
    expect(await listed()).toEqual([aDeal(1).id, aDeal(2).id].sort());
    expect(await h.t.store.dealRisk.get(TENANT, 'hubspot', id)).toMatchObject({ externalId: id, score: expect.any(Number) });
  });
});
