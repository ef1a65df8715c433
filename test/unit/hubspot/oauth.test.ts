import { describe, expect, it } from 'vitest';
import {
  buildInstallUrl,
  createPkcePair,
  HUBSPOT_OPTIONAL_SCOPES,
  HUBSPOT_SCOPES,
  pkceChallenge,
} from '../../../connectors/hubspot/oauth.ts';

describe('HubSpot OAuth helpers', () => {
  it('derives the S256 challenge as RFC 7636 specifies', () => {
    // RFC 7636 appendix B test vector.
    expect(pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
    const pair = createPkcePair();
    expect(pair.codeVerifier.length).toBeGreaterThanOrEqual(43);
    expect(pair.codeChallenge).toBe(pkceChallenge(pair.codeVerifier));
  });

  it("builds the install URL with the scopes, the caller's state and the PKCE challenge", () => {
    const url = new URL(
      buildInstallUrl({
        clientId: 'cid',
        redirectUri: 'https://app.example.com/oauth/hubspot/callback',
        state: 's-123',
        codeChallenge: 'abc',
      }),
    );
    expect(url.origin + url.pathname).toBe('https://app.hubspot.com/oauth/authorize');
    expect(url.searchParams.get('scope')!.split(' ')).toEqual([...HUBSPOT_SCOPES]);
    expect(url.searchParams.get('scope')).toContain('crm.schemas.deals.write');
    expect(url.searchParams.get('scope')).toContain('crm.objects.contacts.write');
    // Exchange rates (multi-currency portals) are optional: the install goes through without them.
    expect(url.searchParams.get('optional_scope')!.split(' ')).toEqual([...HUBSPOT_OPTIONAL_SCOPES]);
    expect(HUBSPOT_OPTIONAL_SCOPES).toEqual(['settings.currencies.read']);
    expect(url.searchParams.get('state')).toBe('s-123');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('redirect_uri')).toBe('https://app.example.com/oauth/hubspot/callback');
  });

  it('refuses to build an install URL without a state', () => {
    expect(() => buildInstallUrl({ clientId: 'c', redirectUri: 'https://x', state: '', codeChallenge: 'a' })).toThrow(/state/);
  });

  it("can target one portal's consent screen", () => {
    expect(buildInstallUrl({ clientId: 'c', redirectUri: 'https://x', state: 's', codeChallenge: 'a', portalId: '147893286' })).toContain(
      '/oauth/147893286/authorize',
    );
  });
});
