import { request } from 'node:http';
import { buildInstallUrl, createPkcePair, exchangeCode } from '../../../../connectors/hubspot/oauth.ts';
import type { Sandbox } from '../../../../sandbox/index.ts';
import { MemoryCredentials } from './connector.ts';

/** POSTs the consent form and returns the redirect's Location (no nock here: real HTTP on loopback). */
function postFormNoRedirect(url: string, form: Record<string, string>): Promise<string> {
  const body = new URLSearchParams(form).toString();
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        if (res.headers.location) resolve(res.headers.location);
        else reject(new Error(`consent answered ${res.statusCode} without a redirect`));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Installs the app in the sandbox portal the way an admin does: the app's own install URL
 * (its declared scopes unless `scopes` is given), "allow" on the consent page, the code exchanged
 * with PKCE. Returns the stored credentials.
 */
export async function installInSandbox(sb: Sandbox, scopes?: readonly string[]): Promise<MemoryCredentials> {
  const redirectUri = 'https://dealrisk.example.com/oauth/hubspot/callback';
  const pkce = createPkcePair();
  const authorize = new URL(
    buildInstallUrl({
      clientId: sb.hubspot.clientId,
      redirectUri,
      state: 'st-1',
      codeChallenge: pkce.codeChallenge,
      appBase: sb.hubspot.apiBase,
      ...(scopes ? { scopes } : {}),
    }),
  );
  const location = await postFormNoRedirect(authorize.origin + authorize.pathname, {
    ...Object.fromEntries(authorize.searchParams),
    decision: 'allow',
  });
  const back = new URL(location);
  if (back.searchParams.get('state') !== 'st-1') throw new Error(`install came back with state ${back.searchParams.get('state')}`);
  const creds = await exchangeCode({
    clientId: sb.hubspot.clientId,
    clientSecret: sb.hubspot.clientSecret,
    apiBase: sb.hubspot.apiBase,
    code: back.searchParams.get('code')!,
    redirectUri,
    codeVerifier: pkce.codeVerifier,
    now: () => sb.clock.now(),
  });
  return new MemoryCredentials(creds);
}
