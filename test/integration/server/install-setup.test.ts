import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../../../config/env.ts';
import { type Sandbox, startSandbox } from '../../../sandbox/index.ts';
import type { AppContext } from '../../../src/context.ts';
import { silentLogger } from '../../../src/log.ts';
import { createScoringService } from '../../../src/scoring/service.ts';
import { sandboxOAuthProviders } from '../../../src/server/adapters/oauth.ts';
import { connectSandboxDemo } from '../../../src/server/demo.ts';
import { createWebDeps, startWeb } from '../../../src/server/index.ts';
import { createTestStore, type TestStore } from '../../helpers/store.ts';

/** Installing creates the risk fields (Salesforce) and properties (HubSpot) the first sync writes. */
describe('install sets up the CRM for write-back (real connectors against the sandbox)', () => {
  let sb: Sandbox;
  let t: TestStore;
  let web: { url: string; close(): Promise<void> };
  beforeAll(async () => {
    sb = await startSandbox({ deals: 5, seed: 9 });
    t = await createTestStore();
    const env = parseEnv({
      NODE_ENV: 'test',
      SESSION_SECRET: 's'.repeat(32),
      DATA_DIR: '/tmp/dealrisk-test-unused',
      SALESFORCE_CLIENT_ID: sb.salesforce.clientId,
      SALESFORCE_CLIENT_SECRET: sb.salesforce.clientSecret,
      SALESFORCE_LOGIN_URL: sb.salesforce.loginUrl,
      HUBSPOT_CLIENT_ID: sb.hubspot.clientId,
      HUBSPOT_CLIENT_SECRET: sb.hubspot.clientSecret,
    });
    const ctx: AppContext = { env, logger: silentLogger(), store: t.store, now: () => sb.clock.now(), close: async () => undefined };
    web = await startWeb(
      ctx,
      createWebDeps(ctx, {
        scoring: createScoringService({ store: t.store }),
        oauth: sandboxOAuthProviders(sb, ctx.logger),
        sandbox: { url: sb.url },
      }),
      {
        host: '127.0.0.1',
        port: 0,
      },
    );
  });
  afterAll(async () => {
    await web.close();
    await t.drop();
    await sb.close();
  });

  it.each([
    ['salesforce', () => `sf-${sb.salesforce.orgId.toLowerCase()}`, /Risk_Score__c/],
    ['hubspot', () => `hs-${sb.hubspot.portalId}`, /risk_score/],
  ] as const)('creates %s risk fields at install, audited', async (crm, tenant, field) => {
    await connectSandboxDemo(web.url, crm);
    const setup = (await t.store.audit.list(tenant())).find((e) => e.action === 'connection.setup');
    expect(setup?.details.created ?? []).toEqual(expect.arrayContaining([expect.stringMatching(field)]));
    const [c] = await t.store.connections.list(tenant());
    expect(c).toMatchObject({ status: 'active', statusReason: null });
    // Installing again finds them instead of creating duplicates.
    await connectSandboxDemo(web.url, crm);
    const again = (await t.store.audit.list(tenant())).find((e) => e.action === 'connection.setup');
    expect(again?.details.created).toEqual([]);
    expect(again?.details.existing ?? []).toEqual(expect.arrayContaining([expect.stringMatching(field)]));
  });
});
