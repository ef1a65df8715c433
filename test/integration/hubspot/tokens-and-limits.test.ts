import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exchangeCode, revokeToken, uninstallApp } from '../../../connectors/hubspot/oauth.ts';
import { isAppError } from '../../../src/core/errors.ts';
import { collect, MemoryCredentials, makeConnector, oauthCredentials, TestClock } from './support/connector.ts';
import { recorded } from './support/fake-hubspot.ts';

const API = 'https://api.hubapi.com';
const pipelines = recorded('fetch-pipelines.test.json', 'get', '/crm/v3/pipelines/deals').response as Record<string, unknown>;
const emptySearch = { total: 0, results: [] };
const cursor = (clock: TestClock) =>
  JSON.stringify({
    v: 1,
    phase: 'incremental',
    since: new Date(clock.t - 3_600_000).toISOString(),
    run: null,
    archivedCheckedAt: clock.now().toISOString(),
  });
const tokenBody = {
  access_token: 'access-2',
  refresh_token: 'refresh-1',
  expires_in: 1800,
  token_type: 'bearer',
  hub_id: 147893286,
  user_id: 88842095,
  scopes: ['oauth', 'crm.objects.deals.read'],
};

beforeEach(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe('HubSpot OAuth token endpoint', () => {
  it('exchanges the code with the PKCE verifier in a form body at /oauth/2026-03/token and captures hub_id', async () => {
    let form: URLSearchParams | null = null;
    const scope = nock(API)
      .post('/oauth/2026-03/token', (b) => {
        form = new URLSearchParams(b as unknown as string);
        return true;
      })
      .reply(200, tokenBody);
    const clock = new TestClock();
    const creds = await exchangeCode({
      clientId: 'cid',
      clientSecret: 'secret',
      code: 'code-1',
      redirectUri: 'https://app.example.com/cb',
      codeVerifier: 'v'.repeat(43),
      now: clock.now,
    });
    expect(scope.isDone()).toBe(true);
    expect(Object.fromEntries(form!)).toEqual({
      grant_type: 'authorization_code',
      client_id: 'cid',
      client_secret: 'secret',
      redirect_uri: 'https://app.example.com/cb',
      code: 'code-1',
      code_verifier: 'v'.repeat(43),
    });
    expect(creds).toMatchObject({ accessToken: 'access-2', refreshToken: 'refresh-1', accountId: '147893286' });
    expect(creds.expiresAt!.getTime()).toBe(clock.t + 1_800_000);
  });

  it('revokes a refresh token through the dated revoke endpoint', async () => {
    const scope = nock(API)
      .post('/oauth/2026-03/token/revoke', /token=refresh-1/)
      .reply(200, {});
    await revokeToken({ clientId: 'cid', clientSecret: 'secret', token: 'refresh-1' });
    expect(scope.isDone()).toBe(true);
  });

  it('uninstalls the app from the portal with its access token', async () => {
    const scope = nock(API, { reqheaders: { authorization: 'Bearer access-1' } })
      .delete('/appinstalls/2026-03/external-install')
      .reply(204);
    await uninstallApp({ accessToken: 'access-1' });
    expect(scope.isDone()).toBe(true);
    nock(API)
      .delete('/appinstalls/2026-03/external-install')
      .reply(403, {
        status: 'error',
        message: 'missing scopes',
        category: 'MISSING_SCOPES',
        errors: [{ context: { requiredGranularScopes: ['oauth'] } }],
      });
    await expect(uninstallApp({ accessToken: 'access-1' })).rejects.toMatchObject({ code: 'crm_permission_denied' });
  });
});

describe('HubSpot connector tokens', () => {
  it('refreshes ahead of expiry, once for concurrent callers, and persists before use', async () => {
    const clock = new TestClock();
    const store = new MemoryCredentials(oauthCredentials(clock, { expiresAt: new Date(clock.t + 4 * 60_000) }));
    const token = nock(API)
      .post('/oauth/2026-03/token', /grant_type=refresh_token&client_id=client-id&client_secret=client-secret&refresh_token=refresh-1/)
      .once()
      .reply(200, tokenBody);
    const search = nock(API, { reqheaders: { authorization: 'Bearer access-2' } })
      .post('/crm/v3/objects/deals/search')
      .times(2)
      .reply(200, emptySearch);
    const c = makeConnector(clock, store);
    await Promise.all([collect(c.fetchChanges({ cursor: cursor(clock) })), collect(c.fetchChanges({ cursor: cursor(clock) }))]);
    expect(token.isDone()).toBe(true);
    expect(search.isDone()).toBe(true);
    expect(store.saved).toHaveLength(1);
    expect(store.saved[0]).toMatchObject({ accessToken: 'access-2', refreshToken: 'refresh-1' });
  });

  it('does not refresh a token with more than five minutes left', async () => {
    const clock = new TestClock();
    const store = new MemoryCredentials(oauthCredentials(clock, { expiresAt: new Date(clock.t + 6 * 60_000) }));
    const search = nock(API, { reqheaders: { authorization: 'Bearer access-1' } })
      .post('/crm/v3/objects/deals/search')
      .reply(200, emptySearch);
    await collect(makeConnector(clock, store).fetchChanges({ cursor: cursor(clock) }));
    expect(search.isDone()).toBe(true);
    expect(store.saved).toHaveLength(0);
  });

  it('marks the connection for re-authorization when HubSpot answers BAD_REFRESH_TOKEN', async () => {
    const clock = new TestClock();
    const store = new MemoryCredentials(oauthCredentials(clock, { expiresAt: new Date(clock.t - 1000) }));
    nock(API).post('/oauth/2026-03/token').reply(400, {
      status: 'BAD_REFRESH_TOKEN',
      message: 'missing or unknown refresh token',
      correlationId: 'b2d7a2a2-0000-4000-8000-000000000000',
      error: 'invalid_grant',
      error_description: 'refresh token is invalid, expired or revoked',
    });
    const err = await collect(makeConnector(clock, store).fetchChanges({ cursor: cursor(clock) })).catch((e) => e);
    expect(isAppError(err, 'crm_auth_revoked')).toBe(true);
    expect(store.reauth).toHaveLength(1);
    expect(store.saved).toHaveLength(0);
  });

  it('refreshes once after a 401 and retries the call', async () => {
    const clock = new TestClock();
    const store = new MemoryCredentials(oauthCredentials(clock));
    nock(API, { reqheaders: { authorization: 'Bearer access-1' } })
      .post('/crm/v3/objects/deals/search')
      .reply(401, {
        status: 'error',
        message: 'The OAuth token used to make this call expired 1 second(s) ago.',
        category: 'EXPIRED_AUTHENTICATION',
      });
    nock(API).post('/oauth/2026-03/token').reply(200, tokenBody);
    const retried = nock(API, { reqheaders: { authorization: 'Bearer access-2' } })
      .post('/crm/v3/objects/deals/search')
      .reply(200, emptySearch);
    await collect(makeConnector(clock, store).fetchChanges({ cursor: cursor(clock) }));
    expect(retried.isDone()).toBe(true);
  });

  it('accepts a private-app token and never tries to refresh it', async () => {
    const clock = new TestClock();
    const store = new MemoryCredentials({
      accessToken: 'pat-na1-00000000-0000-0000-0000-000000000000',
      refreshToken: null,
      expiresAt: null,
      accountId: '147893286',
    });
    const search = nock(API, { reqheaders: { authorization: 'Bearer pat-na1-00000000-0000-0000-0000-000000000000' } })
      .post('/crm/v3/objects/deals/search')
      .reply(200, emptySearch);
    const c = makeConnector(clock, store, { clientId: undefined, clientSecret: undefined });
    await collect(c.fetchChanges({ cursor: cursor(clock) }));
    expect(search.isDone()).toBe(true);
    nock(API)
      .post('/crm/v3/objects/deals/search')
      .reply(401, { status: 'error', message: 'Authentication credentials not found.', category: 'INVALID_AUTHENTICATION' });
    const err = await collect(c.fetchChanges({ cursor: cursor(clock) })).catch((e) => e);
    expect(isAppError(err, 'crm_auth_revoked')).toBe(true);
    expect(store.reauth).toEqual(['HubSpot rejected the private-app token']);
  });
});

describe('HubSpot rate limits', () => {
  it('waits out a TEN_SECONDLY_ROLLING 429 (injected clock, no real sleep) and retries', async () => {
    const clock = new TestClock();
    nock(API)
      .get('/crm/v3/pipelines/deals')
      .reply(
        429,
        {
          status: 'error',
          message: 'You have reached your ten secondly limit.',
          errorType: 'RATE_LIMIT',
          correlationId: 'x',
          policyName: 'TEN_SECONDLY_ROLLING',
        },
        { 'x-hubspot-ratelimit-max': '110', 'x-hubspot-ratelimit-remaining': '0', 'x-hubspot-ratelimit-interval-milliseconds': '10000' },
      )
      .get('/crm/v3/pipelines/deals')
      .reply(200, pipelines);
    const conn = makeConnector(clock, new MemoryCredentials(oauthCredentials(clock)));
    nock(API)
      .post('/crm/v3/objects/deals/search')
      .reply(200, {
        total: 1,
        results: [
          {
            id: '1',
            properties: { hs_object_id: '1', dealstage: 'qualifiedtobuy', hs_lastmodifieddate: clock.now().toISOString() },
            createdAt: clock.now().toISOString(),
            updatedAt: clock.now().toISOString(),
            archived: false,
          },
        ],
      });
    nock(API)
      .post('/crm/v3/objects/deals/batch/read')
      .reply(200, { status: 'COMPLETE', results: [], startedAt: clock.now().toISOString(), completedAt: clock.now().toISOString() });
    nock(API)
      .post('/crm/v4/associations/deals/companies/batch/read')
      .reply(200, { status: 'COMPLETE', results: [], startedAt: clock.now().toISOString(), completedAt: clock.now().toISOString() });
    const start = clock.t;
    const pages = await collect(conn.fetchChanges({ cursor: cursor(clock) }));
    expect(pages[0]!.records).toHaveLength(1);
    expect(clock.t - start).toBeGreaterThanOrEqual(10_000);
    expect(conn.hubspotUsage()).toMatchObject({ rateLimited: 1, retries: 1 });
    expect(nock.isDone()).toBe(true);
  });

  it('stops at a DAILY 429 with the tenant paused until the next day, without retrying', async () => {
    const clock = new TestClock();
    const scope = nock(API).post('/crm/v3/objects/deals/search').once().reply(429, {
      status: 'error',
      message: 'You have reached your daily limit.',
      errorType: 'RATE_LIMIT',
      correlationId: 'x',
      policyName: 'DAILY',
    });
    const c = makeConnector(clock, new MemoryCredentials(oauthCredentials(clock)));
    const err = await collect(c.fetchChanges({ cursor: cursor(clock) })).catch((e) => e);
    expect(scope.isDone()).toBe(true);
    expect(isAppError(err, 'crm_quota_exhausted')).toBe(true);
    expect(err.details.pausedUntil).toEqual(new Date('2026-11-25T00:00:00.000Z'));
    expect(c.usage().calls).toBe(1);
  });

  it('retries the search secondly limit after a second', async () => {
    const clock = new TestClock();
    nock(API)
      .post('/crm/v3/objects/deals/search')
      .reply(429, { status: 'error', message: 'You have reached your secondly limit.', category: 'RATE_LIMITS' });
    nock(API).post('/crm/v3/objects/deals/search').reply(200, emptySearch);
    const c = makeConnector(clock, new MemoryCredentials(oauthCredentials(clock)));
    await collect(c.fetchChanges({ cursor: cursor(clock) }));
    expect(clock.sleeps).toContain(1000);
    expect(nock.isDone()).toBe(true);
  });

  it('retries a 502 on a read but gives up after five attempts with crm_unavailable', async () => {
    const clock = new TestClock();
    nock(API).post('/crm/v3/objects/deals/search').times(5).reply(502, '<html>Bad gateway</html>');
    const c = makeConnector(clock, new MemoryCredentials(oauthCredentials(clock)));
    const err = await collect(c.fetchChanges({ cursor: cursor(clock) })).catch((e) => e);
    expect(isAppError(err, 'crm_unavailable')).toBe(true);
    expect(c.usage().calls).toBe(5);
    expect(clock.sleeps).toEqual([500, 1000, 2000, 4000]);
  });
});
