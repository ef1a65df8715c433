import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeConnector } from '../../../src/sync/make-connector.ts';
import { createTestStore, type TestStore } from '../../helpers/store.ts';
import { INSTANCE, ORG_ID, queryPage, sfDateTime, sfHeaders, V } from '../salesforce/helpers.ts';
import { HOUR, testClock, testContext } from './helpers/context.ts';

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

  it("counts the change poll's calls of the last 24 h with the runs' against the connection's share of the org's allocation", {
    timeout: 60_000,
  }, async () => {
    const clock = testClock();
    await t.store.tenants.ensure('t1');
    const connection = await t.store.connections.create(
      't1',
      { crm: 'salesforce', credentials: { accessToken: 'token', refreshToken: 'refresh', instanceUrl: INSTANCE, accountId: ORG_ID } },
      clock.now(),
    );
    // 1,000 calls by a run an hour ago and 1,999 by change polls since: 2,999 of the 20% share
    // (3,000) of the org's 15,000. The poll's first call is the 3,000th; a second is not sent.
    const run = await t.store.syncRuns.start(
      't1',
      { connectionId: connection.id, trigger: 'schedule', holder: null },
      new Date(clock.now().getTime() - HOUR),
    );
    await t.store.syncRuns.finish('t1', run, {
      status: 'succeeded',
      finishedAt: clock.now(),
      durationMs: 1,
      counts: {},
      apiCalls: 1000,
      errors: [],
      rejected: [],
      details: {},
    });
    await t.store.changePollCalls.record('t1', connection.id, 1999, clock.now());
    nock.disableNetConnect();
    const scope = nock(INSTANCE)
      .get(`${V}/queryAll`)
      .query((q) => String(q.q).startsWith('SELECT Id, SystemModstamp FROM Opportunity ORDER BY SystemModstamp DESC'))
      .reply(
        200,
        queryPage([{ attributes: { type: 'Opportunity' }, Id: '006xx0000000001AAA', SystemModstamp: sfDateTime(clock.now()) }]),
        sfHeaders(5000),
      );
    try {
      const env = { SALESFORCE_CLIENT_ID: '3MVG9-client-id', SALESFORCE_CLIENT_SECRET: 'client-secret-value' };
      const sf = await makeConnector(testContext(t.store, clock, env), connection);
      const first = await sf.changedSince!(null, 50);
      expect(scope.isDone()).toBe(true);
      const e = await sf.changedSince!(first.mark, 50).catch((err: unknown) => err);
      expect(e).toMatchObject({
        code: 'crm_quota_exhausted',
        message: expect.stringMatching(/used 3000 API calls, its 20% share \(3000\)/),
      });
    } finally {
      nock.cleanAll();
      nock.enableNetConnect();
    }
  });
});
