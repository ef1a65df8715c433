import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../../../config/env.ts';
import type { AppContext } from '../../../src/context.ts';
import { silentLogger } from '../../../src/log.ts';
import { createScoringService } from '../../../src/scoring/service.ts';
import { createWebDeps, startWeb } from '../../../src/server/index.ts';
import { insertScores } from '../../helpers/scores.ts';
import { createTestStore, type TestStore } from '../../helpers/store.ts';
import { deal, NOW, scoreOf } from './harness.ts';

const SECRET = 'hubspot-client-secret';

/**
 * Signs like HubSpot (signature v3): HMAC-SHA256 over method + URL + body + timestamp. HubSpot
 * stamps requests with the real time, whatever clock the app runs on (NOW here).
 */
function signed(method: string, url: string, body = '', at = Date.now()): Record<string, string> {
  const sig = createHmac('sha256', SECRET).update(`${method}${url}${body}${at}`).digest('base64');
  return { 'x-hubspot-signature-v3': sig, 'x-hubspot-request-timestamp': String(at), 'content-type': 'application/json' };
}

describe('HubSpot app card and webhooks through the web app (createWebDeps wiring)', () => {
  let t: TestStore;
  let web: { url: string; close(): Promise<void> };
  beforeAll(async () => {
    t = await createTestStore();
    const env = parseEnv({
      NODE_ENV: 'test',
      SESSION_SECRET: 's'.repeat(32),
      HUBSPOT_CLIENT_SECRET: SECRET,
      DATA_DIR: '/tmp/dealrisk-test-unused',
    });
    const ctx: AppContext = { env, logger: silentLogger(), store: t.store, now: () => NOW, close: async () => undefined };
    for (const portal of ['111', '222']) {
      const tenant = `hs-${portal}`;
      await t.store.tenants.ensure(tenant);
      await t.store.connections.create(tenant, { crm: 'hubspot', accountId: portal, credentials: { accessToken: 'x' } }, NOW);
      await t.store.deals.upsertMany(
        tenant,
        [{ deal: deal(tenant, { source: 'hubspot', externalId: '9001', name: `deal of ${portal}` }) }],
        NOW,
      );
    }
    await insertScores(t.store, 'hs-111', [scoreOf('9001', 83, 'Critical', 'hubspot')]);
    web = await startWeb(ctx, createWebDeps(ctx, { scoring: createScoringService({ store: t.store }), oauth: {} }), {
      host: '127.0.0.1',
      port: 0,
    });
  });
  afterAll(async () => {
    await web.close();
    await t.drop();
  });

  it("answers a signed card request with that portal's deal risk only", async () => {
    const url = `${web.url}/integrations/hubspot/card?dealId=9001&portalId=111`;
    const res = await fetch(url, { headers: signed('GET', url) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ dealId: '9001', score: 83, category: 'Critical', drivers: ['Open 94 days (9001)'] });
    const other = `${web.url}/integrations/hubspot/card?dealId=9001&portalId=222`;
    expect((await fetch(other, { headers: signed('GET', other) })).status).toBe(404);
    expect((await fetch(url, { headers: { ...signed('GET', url), 'x-hubspot-signature-v3': 'AAAA' } })).status).toBe(401);
  });

  it('takes signed webhook batches over the raw body and queues a rescore for the right tenant', async () => {
    const url = `${web.url}/integrations/hubspot/webhook`;
    const body = JSON.stringify([{ eventId: 1, portalId: 111, subscriptionType: 'deal.propertyChange', objectId: 9001 }]);
    const res = await fetch(url, { method: 'POST', headers: signed('POST', url, body), body });
    expect(res.status).toBeLessThan(300);
    const queued = await t.store.db.selectFrom('rescore_queue').select(['tenant_id', 'external_id']).execute();
    expect(queued).toEqual([{ tenant_id: 'hs-111', external_id: '9001' }]);
    const stale = await fetch(url, { method: 'POST', headers: signed('POST', url, body, Date.now() - 6 * 60_000), body });
    expect(stale.status).toBe(401);
  });

  it("checks the signature window against the wall clock, not the app's (sandbox) clock", async () => {
    const url = `${web.url}/integrations/hubspot/card?dealId=9001&portalId=111`;
    // The app's clock says NOW (as a demo's sandbox clock can be hours away from the real time).
    expect(Math.abs(Date.now() - NOW.getTime())).toBeGreaterThan(10 * 60_000);
    expect((await fetch(url, { headers: signed('GET', url, '', Date.now() - 60_000) })).status).toBe(200);
    expect((await fetch(url, { headers: signed('GET', url, '', NOW.getTime()) })).status).toBe(401);
    expect((await fetch(url, { headers: signed('GET', url, '', NOW.getTime() - 56 * 60_000) })).status).toBe(401);
  });
});
