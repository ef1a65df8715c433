import { describe, expect, it } from 'vitest';
import { createPkcePair as hubspotPkcePair } from '../../../connectors/hubspot/oauth.ts';
import { createPkcePair, createState, pkceChallenge } from '../../../connectors/oauth-flow.ts';
import { createPkcePair as salesforcePkcePair, createState as salesforceState } from '../../../connectors/salesforce/oauth.ts';

describe('the one-time values of an OAuth flow, one implementation for both CRMs and the web app', () => {
  it('computes the S256 challenge of RFC 7636 appendix B', () => {
    expect(pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('makes a fresh verifier of 43-128 unreserved characters and a fresh URL-safe state each time', () => {
    const a = createPkcePair();
    const b = createPkcePair();
    expect(a.codeVerifier).not.toBe(b.codeVerifier);
    expect(a.codeVerifier).toMatch(/^[A-Za-z0-9\-._~]{43,128}$/);
    expect(a.codeChallenge).toBe(pkceChallenge(a.codeVerifier));
    expect(createState()).not.toBe(createState());
    expect(createState()).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('draws the verifier and the state from the random source it is given', () => {
    const zeros = (n: number) => Buffer.alloc(n);
    expect(createPkcePair(zeros).codeVerifier).toBe('A'.repeat(64));
    expect(createState(zeros)).toBe('A'.repeat(43));
  });

  it('is what each connector exports', () => {
    expect(hubspotPkcePair).toBe(createPkcePair);
    expect(salesforcePkcePair).toBe(createPkcePair);
    expect(salesforceState).toBe(createState);
  });
});
