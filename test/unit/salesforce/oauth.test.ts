import { describe, expect, it } from 'vitest';
import {
  buildAuthorizeUrl,
  createPkcePair,
  parseIdentityUrl,
  pkceChallenge,
  resolveLoginUrl,
} from '../../../connectors/salesforce/oauth.ts';

describe('Salesforce OAuth helpers', () => {
  it('computes the S256 challenge of RFC 7636 appendix B', () => {
    expect(pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('makes a fresh verifier each time, 43-128 unreserved characters', () => {
    const a = createPkcePair();
    const b = createPkcePair();
    expect(a.codeVerifier).not.toBe(b.codeVerifier);
    expect(a.codeVerifier).toMatch(/^[A-Za-z0-9\-._~]{43,128}$/);
    expect(a.codeChallenge).toBe(pkceChallenge(a.codeVerifier));
  });

  it("builds the authorize URL with PKCE, the caller's state and the api refresh_token scopes", () => {
    const url = new URL(
      buildAuthorizeUrl({
        clientId: '3MVG9-id',
        redirectUri: 'https://app.example/cb',
        state: 'st-123',
        codeChallenge: 'chal',
        loginUrl: 'sandbox',
        prompt: 'consent',
      }),
    );
    expect(url.origin + url.pathname).toBe('https://test.salesforce.com/services/oauth2/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: '3MVG9-id',
      redirect_uri: 'https://app.example/cb',
      scope: 'api refresh_token',
      state: 'st-123',
      code_challenge: 'chal',
      code_challenge_method: 'S256',
      prompt: 'consent',
    });
  });

  it('accepts production, sandbox and My Domain hosts, and refuses Lightning or plain-http URLs', () => {
    expect(resolveLoginUrl(undefined)).toBe('https://login.salesforce.com');
    expect(resolveLoginUrl('sandbox')).toBe('https://test.salesforce.com');
    expect(resolveLoginUrl('https://acme--uat.sandbox.my.salesforce.com/')).toBe('https://acme--uat.sandbox.my.salesforce.com');
    expect(() => resolveLoginUrl('https://acme.lightning.force.com')).toThrow(/Lightning URL/);
    expect(() => resolveLoginUrl('http://acme.my.salesforce.com')).toThrow(/https/);
    expect(() => resolveLoginUrl('acme')).toThrow(/production.*sandbox/);
  });

  it('reads the org and user ids from the identity URL', () => {
    expect(parseIdentityUrl('https://login.salesforce.com/id/00Dxx0000001gPFEAY/005xx000001X8UzAAK')).toEqual({
      orgId: '00Dxx0000001gPFEAY',
      userId: '005xx000001X8UzAAK',
    });
    expect(() => parseIdentityUrl('nope')).toThrow(/identity URL/);
  });
});
