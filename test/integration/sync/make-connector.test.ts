import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeConnector } from '../../../src/sync/make-connector.ts';
import { createTestStore, type TestStore } from '../../helpers/store.ts';
import { testClock, testContext } from './helpers/context.ts';

describe('the connector of a stored connection', () => {
  let t: TestStore;
  beforeEach(async () => {
    t = await createTestStore();
  }, 60_000);
  afterEach(async () => t.drop());

  it("takes the Salesforce OAuth client from the environment only, never from a connection's settings", async () => {
    const clock = testClock();
    await t.store.tenants.ensure('t1');
    // Settings are tenant data, stored unsealed: an OAuth client secret there would be neither
    // encrypted nor the deployment's. The sandbox's own client reaches the app as env (main.ts).
    const connection = await t.store.connections.create(
      't1',
      {
        crm: 'salesforce',
        settings: { clientId: 'sandbox-sf-client', clientSecret: 'sandbox-sf-secret' },
        credentials: { accessToken: 'token', instanceUrl: 'https://acme.my.salesforce.com' },
      },
      clock.now(),
    );
    const e = await makeConnector(testContext(t.store, clock), connection).catch((err: unknown) => err);
    expect(e).toMatchObject({ code: 'config_invalid', details: { path: 'SALESFORCE_CLIENT_ID' } });
  });
});
