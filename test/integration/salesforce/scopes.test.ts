import { afterEach, describe, expect, it } from 'vitest';
import { createSalesforceConnector } from '../../../connectors/salesforce/index.ts';
import { createPkcePair, SALESFORCE_SCOPES, SALESFORCE_SIGNIN_SCOPES } from '../../../connectors/salesforce/oauth.ts';
import type { CredentialStore, Credentials } from '../../../connectors/types.ts';
import { type Sandbox, startSandbox } from '../../../sandbox/index.ts';
import { silentLogger } from '../../../src/log.ts';
import { defaultMapping } from '../../../src/mapping/load.ts';
import { salesforceProvider } from '../../../src/server/adapters/oauth.ts';
import type { OAuthPurpose } from '../../../src/server/deps.ts';

// No nock here (helpers.ts loads it): its fetch interceptor cannot replay a form body.
const riskFields = () =>
  ({
    score: 72,
    category: 'High',
    winProbability: 0.28,
    drivers: 'No activity for 41 days',
    action: 'Call the buyer',
    scoredAt: new Date('2026-11-24T09:00:00Z'),
    modelStatus: 'ok',
  }) as const;

// Scopes per call (docs/salesforce.md, "Calls and scopes"): the sandbox grants exactly the
// requested scopes and refuses a call whose scope the token lacks, with Salesforce's answer.
let sb: Sandbox | undefined;
afterEach(async () => {
  await sb?.close();
  sb = undefined;
});

const REDIRECT = 'http://localhost:3000/oauth/salesforce/callback';

/** The admin's browser: the consent page, "Allow", and the code on the way back. */
async function approve(authorizeUrl: string): Promise<URL> {
  const html = await (await fetch(authorizeUrl)).text();
  const fields = Object.fromEntries([...html.matchAll(/name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1], m[2]!.replace(/&amp;/g, '&')]));
  const res = await fetch(`${sb!.salesforce.loginUrl}/services/oauth2/authorize`, {
    method: 'POST',
    redirect: 'manual',
    body: new URLSearchParams({ ...fields, decision: 'allow' }),
  });
  return new URL(res.headers.get('location')!);
}

async function grantThroughTheApp(purpose: OAuthPurpose) {
  const provider = salesforceProvider(
    { clientId: sb!.salesforce.clientId, clientSecret: sb!.salesforce.clientSecret, loginUrl: sb!.salesforce.loginUrl },
    silentLogger(),
  );
  const pkce = createPkcePair();
  const url = provider.authorizeUrl({
    state: 's-1',
    codeChallenge: pkce.codeChallenge,
    redirectUri: REDIRECT,
    purpose,
    environment: 'production',
  });
  const back = await approve(url);
  const grant = await provider.exchange({
    code: back.searchParams.get('code')!,
    codeVerifier: pkce.codeVerifier,
    redirectUri: REDIRECT,
    purpose,
    environment: 'production',
  });
  return { requested: new URL(url).searchParams.get('scope')!.split(' ').sort(), grant };
}

function storeOf(initial: Credentials): CredentialStore & { current: Credentials; reauth: string[] } {
  const s = {
    current: initial,
    reauth: [] as string[],
    load: async () => ({ ...s.current }),
    save: async (c: Credentials) => {
      s.current = { ...c };
    },
    markNeedsReauth: async (r: string) => void s.reauth.push(r),
  };
  return s;
}

async function drain(it: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of it);
}

describe('Salesforce scopes: the install asks for exactly what its calls need', () => {
  it('installs with api and refresh_token, and setup, sync, write-back, tasks and a refresh use exactly those', async () => {
    sb = await startSandbox({ deals: 40, seed: 5 });
    const { requested, grant } = await grantThroughTheApp('install');
    expect(requested).toEqual([...SALESFORCE_SCOPES].sort());
    expect(grant.credentials.scopes?.sort()).toEqual(requested);
    expect(grant.credentials.userId).toBe(sb.salesforce.userId);
    // The installer's name comes from their User record (REST, `api`), not from userinfo.
    expect(grant.user.name).toBe(
      String(
        (
          await (
            await fetch(`${sb.salesforce.instanceUrl}/services/data/v66.0/sobjects/User/${sb.salesforce.userId}?fields=Name`, {
              headers: { authorization: `Bearer ${grant.credentials.accessToken}` },
            })
          ).json()
        ).Name,
      ),
    );

    const store = storeOf(grant.credentials);
    const sf = await createSalesforceConnector({
      tenantId: 't-scopes',
      mapping: defaultMapping('salesforce'),
      credentials: store,
      clientId: sb.salesforce.clientId,
      clientSecret: sb.salesforce.clientSecret,
      loginUrl: sb.salesforce.loginUrl,
    });
    expect((await sf.setup()).warnings).toEqual([]);
    // Settings' field picker: describe of Opportunity and of its related objects.
    expect((await sf.describeFields()).some((f) => f.name === 'Account.Industry')).toBe(true);
    await drain(sf.fetchChanges({ cursor: null }));
    const id = String(sb.state.salesforce.opportunities()[0]!.Id);
    expect((await sf.writeBack([{ externalId: id, fields: riskFields() }]))[0]!.ok).toBe(true);
    const [task] = await sf.upsertTasks([
      {
        key: `${id}:call`,
        dealExternalId: id,
        ownerId: null,
        subject: 'Call the buyer',
        description: 'Stalled',
        priority: 'high',
        dueDate: new Date('2026-12-01T00:00:00Z'),
      },
    ]);
    expect(task!.ok).toBe(true);
    sb.tokens.expireAll('salesforce');
    await drain(sf.fetchChanges({ cursor: null }));

    expect(store.reauth).toEqual([]);
    expect(store.current.accessToken).not.toBe(grant.credentials.accessToken);
    expect(sb.salesforce.scopesUsed()).toEqual(requested);
  });

  it('signs in with the id scope only and names the person from the identity URL', async () => {
    sb = await startSandbox({ deals: 5, seed: 6 });
    const { requested, grant } = await grantThroughTheApp('signin');

    expect(requested).toEqual([...SALESFORCE_SIGNIN_SCOPES]);
    expect(grant.credentials.refreshToken).toBeNull();
    expect(grant.user).toEqual({ id: sb.salesforce.userId, name: 'Integration User', email: 'integration@sandbox-crm.example' });
    expect(grant.account.id).toBe(sb.salesforce.orgId);
    expect(sb.salesforce.scopesUsed()).toEqual(['id']);
  });
});

describe('the sandbox refuses a call whose scope the token lacks, as Salesforce does', () => {
  const get = (path: string, token: string) =>
    fetch(`${sb!.salesforce.instanceUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });

  it('answers REST without api with 401 "This session is not valid for use with the REST API"', async () => {
    sb = await startSandbox({ deals: 5 });
    const res = await get('/services/data/v66.0/query?q=SELECT+Id+FROM+Opportunity', sb.salesforce.issueTokens('id').access_token);

    expect(res.status).toBe(401);
    expect(await res.json()).toEqual([{ message: 'This session is not valid for use with the REST API', errorCode: 'INVALID_SESSION_ID' }]);
  });

  it('answers userinfo and the identity URL without an identity scope with 403 Invalid_Scope', async () => {
    sb = await startSandbox({ deals: 5 });
    const t = sb.salesforce.issueTokens('api refresh_token');

    for (const res of [
      await get('/services/oauth2/userinfo', t.access_token),
      await fetch(t.id, { headers: { authorization: `Bearer ${t.access_token}` } }),
    ]) {
      expect(res.status).toBe(403);
      expect(await res.text()).toBe('Invalid_Scope');
    }
    expect((await get('/services/oauth2/userinfo', sb.salesforce.issueTokens('profile').access_token)).status).toBe(200);
  });

  it('issues a refresh token only to a grant with refresh_token (or offline_access)', async () => {
    sb = await startSandbox({ deals: 5 });

    expect(sb.salesforce.issueTokens('api').refresh_token).toBeUndefined();
    expect(sb.salesforce.issueTokens('full').refresh_token).toBeUndefined();
    expect(sb.salesforce.issueTokens('api offline_access').refresh_token).toBeDefined();
  });

  it('refuses to authorize a scope the External Client App has not selected', async () => {
    sb = await startSandbox({ deals: 5, salesforce: { appScopes: ['api', 'refresh_token'] } });
    const url = new URL(`${sb.salesforce.loginUrl}/services/oauth2/authorize`);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: sb.salesforce.clientId,
      redirect_uri: REDIRECT,
      scope: 'api id',
      state: 's-2',
    }).toString();

    const res = await fetch(url, { redirect: 'manual' });
    const back = new URL(res.headers.get('location')!);
    expect(back.searchParams.get('error')).toBe('invalid_scope');
    expect(back.searchParams.get('state')).toBe('s-2');
  });
});
