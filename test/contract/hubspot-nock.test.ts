import nock from 'nock';
import { afterEach, beforeEach } from 'vitest';
import { createHubSpotConnector } from '../../connectors/hubspot/connector.ts';
import { hubspotMapping, MemoryCredentials, oauthCredentials, TestClock } from '../integration/hubspot/support/connector.ts';
import { aDeal, FakeHubSpot } from '../integration/hubspot/support/fake-hubspot.ts';
import { connectorContract, type SourceHandle } from './connector-contract.ts';

/**
 * The real @hubspot/api-client against the nock portal of the HubSpot integration tests
 * (FakeHubSpot: list pages of 100, keyset search, archived list, 207 batch errors, tasks through
 * associations), its bodies copied from ../shared/contracts/hubspot. Business time is a TestClock
 * that the fake stamps writes with.
 */
const API = 'https://api.hubapi.com';
const mapping = hubspotMapping();
const fields = mapping.writeBack!.fields;

/** HubSpot's answers once the app's tokens are revoked (an API call, then the refresh). */
const INVALID_AUTHENTICATION = {
  status: 'error',
  message:
    'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
  correlationId: 'b2d7a2a2-0000-4000-8000-000000000001',
  category: 'INVALID_AUTHENTICATION',
};
const BAD_REFRESH_TOKEN = {
  status: 'BAD_REFRESH_TOKEN',
  message: 'missing or unknown refresh token',
  correlationId: 'b2d7a2a2-0000-4000-8000-000000000000',
  error: 'invalid_grant',
  error_description: 'refresh token is invalid, expired or revoked',
};
/** The daily limit's 429: no category, errorType and policyName (CRM-APIS B8). */
const DAILY = {
  status: 'error',
  message: 'You have reached your daily limit.',
  errorType: 'RATE_LIMIT',
  correlationId: 'c0ffee00-0000-4000-8000-00000000da11',
  policyName: 'DAILY',
};

/** From now on every call to the portal gets `reply` (the fake's interceptors are dropped). */
function answerEverything(reply: (path: string) => [number, unknown]): void {
  nock.cleanAll();
  const scope = nock(API).persist();
  // nock 15 hands reply functions the fetch Request.
  for (const m of ['get', 'post', 'patch', 'put', 'delete'] as const)
    scope[m](/.*/).reply((req) => reply(new URL((req as unknown as Request).url).pathname));
}

/** HubSpot's token endpoint: access tokens live 30 minutes, the refresh token does not rotate. */
function tokenEndpoint(): void {
  let n = 1;
  nock(API)
    .persist()
    .post('/oauth/2026-03/token', /grant_type=refresh_token&client_id=client-id&client_secret=client-secret&refresh_token=refresh-1/)
    .reply(() => [
      200,
      {
        access_token: `access-${++n}`,
        refresh_token: 'refresh-1',
        expires_in: 1800,
        token_type: 'bearer',
        hub_id: 147893286,
        user_id: 88842095,
        scopes: ['oauth', 'crm.objects.deals.read'],
      },
    ]);
}

async function make(size: 'paged' | 'small'): Promise<SourceHandle> {
  const clock = new TestClock();
  const refused = new Set<string>();
  const fake = new FakeHubSpot({
    deals: Array.from({ length: size === 'paged' ? 250 : 30 }, (_, i) => aDeal(i + 1)),
    rejectIds: refused,
    now: clock.now,
  });
  tokenEndpoint();
  const creds = new MemoryCredentials(oauthCredentials(clock));
  const deal = (id: string) => {
    const d = fake.deals.get(id);
    if (!d) throw new Error(`the fake portal has no deal ${id}`);
    return d;
  };
  const touch = (id: string) => {
    deal(id).properties.hs_lastmodifieddate = clock.now().toISOString();
  };
  return {
    connect: async () =>
      createHubSpotConnector({
        tenantId: 't-contract',
        mapping,
        credentials: creds,
        clientId: 'client-id',
        clientSecret: 'client-secret',
        basePath: API,
        now: clock.now,
        sleep: clock.sleep,
      }),
    now: clock.now,
    elapse: async (ms) => {
      clock.t += ms;
    },
    liveIds: async () => [...fake.deals.values()].filter((d) => !d.archivedAt).map((d) => d.id),
    edit: async (ids) => {
      for (const id of ids) {
        deal(id).properties.amount = String(Number(deal(id).properties.amount) + 100);
        touch(id);
      }
    },
    create: async (count) => {
      const made = Array.from({ length: count }, () => {
        const n = fake.deals.size + 1;
        const now = clock.now().toISOString();
        return aDeal(n, { createdAt: now, props: { createdate: now, hs_lastmodifieddate: now } });
      });
      for (const d of made) fake.deals.set(d.id, d);
      return made.map((d) => d.id);
    },
    remove: async (ids) => {
      for (const id of ids) deal(id).archivedAt = clock.now().toISOString();
    },
    // HubSpot restores only in its UI; the restored record comes back with a new modification
    // date (https://integrate.hubspot.com/t/restoring-recently-deleted-contacts/11963).
    restore: async (ids) => {
      for (const id of ids) {
        delete deal(id).archivedAt;
        touch(id);
      }
    },
    refuseWrites: async (ids) => {
      for (const id of ids) refused.add(id);
    },
    readRisk: async (id) => {
      const p = deal(id).properties;
      return p[fields.score] == null ? null : { score: Number(p[fields.score]), category: String(p[fields.category]) };
    },
    tasksWithKey: async (key) => fake.tasks.filter((t) => t.properties.hs_task_body?.includes(`[dealrisk-key:${key}]`)).length,
    revokeToken: async () =>
      answerEverything((path) => (path.startsWith('/oauth/') ? [400, BAD_REFRESH_TOKEN] : [401, INVALID_AUTHENTICATION])),
    exhaustQuota: async () => answerEverything(() => [429, DAILY]),
    reauthRequests: () => creds.reauth.length,
    close: async () => fake.stop(),
  };
}

beforeEach(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

connectorContract('hubspot over nock', {
  make,
  timeoutMs: 20_000,
  // Archived deals are listed once a day (DEFAULT_FETCH.archivedEveryMs); deal.deletion webhooks cover the time between.
  deleteLatencyMs: 24 * 3_600_000,
  skip: {
    changedSince:
      'HubSpot pushes changes by webhook (deal.propertyChange and the rest, to /integrations/hubspot/webhook), so the HubSpot connector has no change poll (changedSince)',
  },
});
