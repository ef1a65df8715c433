import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAppError } from '../../../src/core/errors.ts';
import {
  allPages,
  anOpportunity,
  connectorFor,
  INSTANCE,
  LOGIN,
  memoryCredentials,
  ORG_ID,
  queryPage,
  setupNock,
  sfError,
  sfHeaders,
  teardownNock,
  USER_ID,
  V,
} from './helpers.ts';

beforeEach(setupNock);
afterEach(teardownNock);

const expired = () => [401, sfError('INVALID_SESSION_ID', 'Session expired or invalid'), sfHeaders()] as const;
const onePage = () => queryPage([anOpportunity({ SystemModstamp: '2026-05-02T09:00:00.000+0000' })]);

/** The token response has no expires_in (CRM-APIS §A1); refresh_token only when rotating. */
function tokenResponse(accessToken: string, extra: Record<string, string> = {}) {
  return {
    access_token: accessToken,
    signature: 'sig',
    scope: 'refresh_token api',
    instance_url: INSTANCE,
    id: `${LOGIN}/id/${ORG_ID}/${USER_ID}`,
    token_type: 'Bearer',
    issued_at: '1778068532000',
    ...extra,
  };
}

describe('Salesforce session', () => {
  it('refreshes an expired session once, persists the new token, and retries the call', async () => {
    const creds = memoryCredentials();
    const tokenBodies: string[] = [];
    const login = nock(LOGIN)
      .post('/services/oauth2/token', (body) => {
        tokenBodies.push(new URLSearchParams(body).toString());
        return true;
      })
      .reply(200, tokenResponse('00Dxx!new-access'));
    const api = nock(INSTANCE)
      .get(`${V}/queryAll`)
      .query(true)
      .matchHeader('authorization', 'Bearer 00Dxx0000001gPF!AQ4AQ.old-access')
      .reply(...expired())
      .get(`${V}/queryAll`)
      .query(true)
      .matchHeader('authorization', 'Bearer 00Dxx!new-access')
      .reply(200, onePage(), sfHeaders());
    const sf = await connectorFor(creds);

    const pages = await allPages(sf.fetchChanges({ cursor: '2026-05-02T00:00:00Z' }));

    expect(login.isDone() && api.isDone()).toBe(true);
    expect(pages[0]!.records).toHaveLength(1);
    const body = new URLSearchParams(tokenBodies[0]);
    expect(Object.fromEntries(body)).toMatchObject({
      grant_type: 'refresh_token',
      refresh_token: '5Aep861-old-refresh',
      client_id: '3MVG9-client-id',
      client_secret: 'client-secret-value',
    });
    expect(creds.current).toMatchObject({ accessToken: '00Dxx!new-access', refreshToken: '5Aep861-old-refresh', instanceUrl: INSTANCE });
    expect(creds.reauthReasons).toEqual([]);
  });

  it('persists a rotated refresh token and uses it for the next refresh', async () => {
    const creds = memoryCredentials();
    const refreshTokensSent: string[] = [];
    const login = nock(LOGIN)
      .post('/services/oauth2/token', (b) => !!refreshTokensSent.push(new URLSearchParams(b).get('refresh_token')!))
      .reply(200, tokenResponse('access-2', { refresh_token: 'rotated-refresh-2' }))
      .post('/services/oauth2/token', (b) => !!refreshTokensSent.push(new URLSearchParams(b).get('refresh_token')!))
      .reply(200, tokenResponse('access-3', { refresh_token: 'rotated-refresh-3' }));
    const api = nock(INSTANCE)
      .get(`${V}/queryAll`)
      .query(true)
      .reply(...expired())
      .get(`${V}/queryAll`)
      .query(true)
      .reply(200, onePage(), sfHeaders())
      .get(`${V}/queryAll`)
      .query(true)
      .reply(...expired())
      .get(`${V}/queryAll`)
      .query(true)
      .reply(200, onePage(), sfHeaders());
    const sf = await connectorFor(creds);

    await allPages(sf.fetchChanges({ cursor: '2026-05-02T00:00:00Z' }));
    expect(creds.current.refreshToken).toBe('rotated-refresh-2');
    await allPages(sf.fetchChanges({ cursor: '2026-05-02T00:00:00Z' }));

    expect(login.isDone() && api.isDone()).toBe(true);
    expect(refreshTokensSent).toEqual(['5Aep861-old-refresh', 'rotated-refresh-2']);
    expect(creds.current).toMatchObject({ accessToken: 'access-3', refreshToken: 'rotated-refresh-3' });
  });

  it('refreshes once when two connections of the same tenant expire together (single flight)', async () => {
    const creds = memoryCredentials();
    const login = nock(LOGIN)
      .post('/services/oauth2/token')
      .once()
      .reply(200, tokenResponse('access-2', { refresh_token: 'rotated-2' }));
    const api = nock(INSTANCE)
      .get(`${V}/queryAll`)
      .query(true)
      .times(2)
      .reply(...expired())
      .get(`${V}/queryAll`)
      .query(true)
      .times(2)
      .matchHeader('authorization', 'Bearer access-2')
      .reply(200, onePage(), sfHeaders());
    const [a, b] = await Promise.all([connectorFor(creds), connectorFor(creds)]);

    const pages = await Promise.all([
      allPages(a.fetchChanges({ cursor: '2026-05-02T00:00:00Z' })),
      allPages(b.fetchChanges({ cursor: '2026-05-02T00:00:00Z' })),
    ]);

    expect(login.isDone() && api.isDone()).toBe(true);
    expect(pages.map((p) => p[0]!.records.length)).toEqual([1, 1]);
    expect(creds.saved).toHaveLength(1);
    expect(creds.current.refreshToken).toBe('rotated-2');
  });

  it('marks the connection for re-authorization on invalid_grant and stops with crm_auth_revoked', async () => {
    const creds = memoryCredentials();
    nock(LOGIN).post('/services/oauth2/token').reply(400, { error: 'invalid_grant', error_description: 'expired access/refresh token' });
    const api = nock(INSTANCE)
      .get(`${V}/queryAll`)
      .query(true)
      .reply(...expired());
    const sf = await connectorFor(creds);

    const err = await allPages(sf.fetchChanges({ cursor: '2026-05-02T00:00:00Z' })).catch((e) => e);

    expect(api.isDone()).toBe(true);
    expect(isAppError(err, 'crm_auth_revoked')).toBe(true);
    expect(err.details.retryable).toBe(false);
    expect(creds.reauthReasons).toHaveLength(1);
    expect(creds.reauthReasons[0]).toMatch(/invalid_grant/);
    expect(creds.saved).toEqual([]);
  });

  it('adopts a token another worker refreshed instead of spending the refresh token again', async () => {
    const creds = memoryCredentials();
    const sf = await connectorFor(creds);
    creds.current = { ...creds.current, accessToken: 'refreshed-by-worker-2', refreshToken: 'rotated-by-worker-2' };
    const api = nock(INSTANCE)
      .get(`${V}/queryAll`)
      .query(true)
      .reply(...expired())
      .get(`${V}/queryAll`)
      .query(true)
      .matchHeader('authorization', 'Bearer refreshed-by-worker-2')
      .reply(200, onePage(), sfHeaders());

    const pages = await allPages(sf.fetchChanges({ cursor: '2026-05-02T00:00:00Z' }));

    expect(api.isDone()).toBe(true); // no token endpoint call was mocked: none was made
    expect(pages[0]!.records).toHaveLength(1);
  });

  it("adopts the winner's tokens when another worker spent the rotated refresh token first", async () => {
    const creds = memoryCredentials();
    nock(LOGIN)
      .post('/services/oauth2/token')
      .reply(400, async () => {
        // The other worker stored its rotation just before Salesforce refused ours.
        creds.current = { ...creds.current, accessToken: 'access-from-worker-2', refreshToken: 'rotated-by-worker-2' };
        return { error: 'invalid_grant', error_description: 'expired access/refresh token' };
      });
    const api = nock(INSTANCE)
      .get(`${V}/queryAll`)
      .query(true)
      .reply(...expired())
      .get(`${V}/queryAll`)
      .query(true)
      .matchHeader('authorization', 'Bearer access-from-worker-2')
      .reply(200, onePage(), sfHeaders());
    const sf = await connectorFor(creds);

    const pages = await allPages(sf.fetchChanges({ cursor: '2026-05-02T00:00:00Z' }));

    expect(api.isDone()).toBe(true);
    expect(pages[0]!.records).toHaveLength(1);
    expect(creds.reauthReasons).toEqual([]);
  });

  it('stops instead of looping when a freshly refreshed token is refused again', async () => {
    const creds = memoryCredentials();
    nock(LOGIN).post('/services/oauth2/token').reply(200, tokenResponse('access-2'));
    nock(INSTANCE)
      .get(`${V}/queryAll`)
      .query(true)
      .times(2)
      .reply(...expired());
    const sf = await connectorFor(creds);

    const err = await allPages(sf.fetchChanges({ cursor: '2026-05-02T00:00:00Z' })).catch((e) => e);

    expect(isAppError(err, 'crm_auth_expired')).toBe(true);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('refuses to start without stored credentials', async () => {
    const creds = memoryCredentials({ accessToken: '', instanceUrl: null });
    const err = await connectorFor(creds).catch((e) => e);
    expect(isAppError(err, 'crm_auth_revoked')).toBe(true);
  });
});
