import { afterEach, describe, expect, it } from 'vitest';
import { startTestWeb, type Web } from './harness.ts';

/** Sign-in starts from one client, as the app sees it through a proxy's X-Forwarded-For. */
async function starts(w: Web, forwardedFor: string | null, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${w.url}/oauth/hubspot/start?purpose=signin`, {
      redirect: 'manual',
      headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
    });
    out.push(res.status);
  }
  return out;
}

describe('TRUST_PROXY: the sign-in rate limit is per client behind a proxy', () => {
  let w: Web | null = null;
  afterEach(async () => {
    await w?.close();
    w = null;
  });

  it('gives two clients behind a trusted proxy a limit each', { timeout: 90_000 }, async () => {
    // The test connects from 127.0.0.1: that is the proxy here.
    w = await startTestWeb({ loginPerMinute: 3, env: { TRUST_PROXY: 'loopback' } });
    expect(await starts(w, '203.0.113.7', 4)).toEqual([303, 303, 303, 429]);
    expect(await starts(w, '198.51.100.20', 3)).toEqual([303, 303, 303]);
  });

  it('counts hops: with TRUST_PROXY=1 the address the proxy appended is the client, not one the client sent', {
    timeout: 60_000,
  }, async () => {
    w = await startTestWeb({ loginPerMinute: 3, env: { TRUST_PROXY: '1' } });
    // A client prepending made-up addresses cannot escape its own limit.
    expect(await starts(w, '10.9.9.1, 203.0.113.7', 1)).toEqual([303]);
    expect(await starts(w, '10.9.9.2, 203.0.113.7', 1)).toEqual([303]);
    expect(await starts(w, '10.9.9.3, 203.0.113.7', 2)).toEqual([303, 429]);
  });

  it('ignores X-Forwarded-For from a proxy it does not trust', { timeout: 90_000 }, async () => {
    w = await startTestWeb({ loginPerMinute: 3, env: { TRUST_PROXY: '10.0.0.0/8' } });
    expect(await starts(w, '203.0.113.7', 2)).toEqual([303, 303]);
    // Another forwarded address changes nothing: the peer (127.0.0.1) is not a trusted proxy.
    expect(await starts(w, '198.51.100.20', 2)).toEqual([303, 429]);
  });

  it('trusts no proxy by default', { timeout: 60_000 }, async () => {
    w = await startTestWeb({ loginPerMinute: 2 });
    expect(await starts(w, '203.0.113.7', 1)).toEqual([303]);
    expect(await starts(w, '198.51.100.20', 2)).toEqual([303, 429]);
  });
});
