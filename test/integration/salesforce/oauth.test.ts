import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPkcePair, exchangeCode, revokeToken } from '../../../connectors/salesforce/oauth.ts';
import { isAppError } from '../../../src/core/errors.ts';
import { INSTANCE, ORG_ID, setupNock, teardownNock, USER_ID } from './helpers.ts';

beforeEach(setupNock);
afterEach(teardownNock);

const app = {
  clientId: '3MVG9-client-id',
  clientSecret: 'client-secret-value',
  redirectUri: 'https://dealrisk.example.com/oauth/salesforce/callback',
};

describe('Salesforce OAuth (web-server flow with PKCE)', () => {
  it('exchanges the code with the verifier and the client secret at the sandbox login host', async () => {
    const { codeVerifier } = createPkcePair();
    let form: Record<string, string> = {};
    const scope = nock('https://test.salesforce.com')
      .post('/services/oauth2/token', (b) => {
        form = Object.fromEntries(new URLSearchParams(b));
        return true;
      })
      .reply(200, {
        access_token: '00Dxx0000001gPF!AQ4AQ.access',
        refresh_token: '5Aep861-refresh',
        signature: 'sig',
        scope: 'refresh_token api',
        instance_url: INSTANCE,
        id: `https://test.salesforce.com/id/${ORG_ID}/${USER_ID}`,
        token_type: 'Bearer',
        issued_at: '1778068532000',
      });

    const install = await exchangeCode({ ...app, code: 'aPrx-code', codeVerifier, loginUrl: 'sandbox' });

    expect(scope.isDone()).toBe(true);
    expect(form).toEqual({
      grant_type: 'authorization_code',
      code: 'aPrx-code',
      code_verifier: codeVerifier,
      client_id: app.clientId,
      client_secret: app.clientSecret,
      redirect_uri: app.redirectUri,
    });
    expect(install).toEqual({
      credentials: {
        accessToken: '00Dxx0000001gPF!AQ4AQ.access',
        refreshToken: '5Aep861-refresh',
        instanceUrl: INSTANCE,
        expiresAt: null,
        accountId: ORG_ID,
        authBaseUrl: 'https://test.salesforce.com',
        scopes: ['refresh_token', 'api'],
        userId: USER_ID,
      },
      orgId: ORG_ID,
      userId: USER_ID,
      identityUrl: `https://test.salesforce.com/id/${ORG_ID}/${USER_ID}`,
      issuedAt: new Date(1778068532000),
    });
  });

  it('reports a reused or expired code as crm_auth_revoked', async () => {
    nock('https://acme.my.salesforce.com')
      .post('/services/oauth2/token')
      .reply(400, { error: 'invalid_grant', error_description: 'authentication failure' });

    const err = await exchangeCode({ ...app, code: 'used', codeVerifier: 'v', loginUrl: 'https://acme.my.salesforce.com' }).catch((e) => e);

    expect(isAppError(err, 'crm_auth_revoked')).toBe(true);
    expect(err.message).toMatch(/invalid_grant: authentication failure/);
  });

  it('reports a wrong client secret as a configuration problem', async () => {
    nock('https://login.salesforce.com')
      .post('/services/oauth2/token')
      .reply(400, { error: 'invalid_client', error_description: 'invalid client credentials' });

    const err = await exchangeCode({ ...app, code: 'c', codeVerifier: 'v' }).catch((e) => e);

    expect(isAppError(err, 'config_invalid')).toBe(true);
    expect(err.message).toMatch(/SALESFORCE_CLIENT_SECRET/);
  });

  it('revokes the refresh token on uninstall, and treats an already revoked token as done', async () => {
    const revoked: string[] = [];
    const scope = nock('https://login.salesforce.com')
      .post('/services/oauth2/revoke', (b) => !!revoked.push(new URLSearchParams(b).get('token')!))
      .reply(200, '')
      .post('/services/oauth2/revoke')
      .reply(400, 'error=invalid_token&error_description=invalid%20token', { 'content-type': 'application/x-www-form-urlencoded' });

    await revokeToken({ token: '5Aep861-refresh' });
    await revokeToken({ token: '5Aep861-refresh' });

    expect(scope.isDone()).toBe(true);
    expect(revoked).toEqual(['5Aep861-refresh']);
  });
});
