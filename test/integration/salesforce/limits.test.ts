import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAppError } from '../../../src/core/errors.ts';
import {
  allPages,
  anOpportunity,
  connectorFor,
  INSTANCE,
  memoryCredentials,
  queryPage,
  setupNock,
  sfError,
  sfHeaders,
  teardownNock,
  V,
} from './helpers.ts';

beforeEach(setupNock);
afterEach(teardownNock);

const pageOf = (stamp: string, next?: string) => queryPage([anOpportunity({ SystemModstamp: stamp })], next ? { next } : {});

describe('Salesforce API limits', () => {
  it('pauses on 403 REQUEST_LIMIT_EXCEEDED after delivering the pages already read', async () => {
    nock(INSTANCE)
      // Other clients of the org used up the allocation between our two calls.
      .get(`${V}/queryAll`)
      .query(true)
      .reply(200, pageOf('2026-05-02T09:00:00.000+0000', `${V}/query/01gxx-2000`), sfHeaders(14000, 15000))
      .get(`${V}/query/01gxx-2000`)
      .reply(403, sfError('REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.'), sfHeaders(15000, 15000));
    const sf = await connectorFor(memoryCredentials());
    const delivered: string[] = [];

    const err = await (async () => {
      for await (const p of sf.fetchChanges({ cursor: '2026-05-02T00:00:00Z' })) delivered.push(p.cursor!);
    })().catch((e) => e);

    expect(delivered).toHaveLength(1); // the stored page's cursor survives the pause
    expect(isAppError(err, 'crm_quota_exhausted')).toBe(true);
    expect(err.details).toMatchObject({ retryable: true, paused: true, sfCode: 'REQUEST_LIMIT_EXCEEDED' });
    expect(sf.usage()).toMatchObject({ calls: 2, used: 15000, limit: 15000 });
  });

  it('stops before passing its share of the daily allocation, without sending the call', async () => {
    // 20% of 15,000 = 3,000 calls; 2,998 were used by earlier runs in the window.
    const scope = nock(INSTANCE)
      .get(`${V}/queryAll`)
      .query(true)
      .reply(200, pageOf('2026-05-02T09:00:00.000+0000', `${V}/query/01gxx-2000`), sfHeaders(5000))
      .get(`${V}/query/01gxx-2000`)
      .reply(200, pageOf('2026-05-02T09:10:00.000+0000', `${V}/query/01gxx-4000`), sfHeaders(5001));
    const sf = await connectorFor(memoryCredentials(), { windowCalls: 2998 });
    const pages: unknown[] = [];

    const err = await (async () => {
      for await (const p of sf.fetchChanges({ cursor: '2026-05-02T00:00:00Z' })) pages.push(p);
    })().catch((e) => e);

    expect(scope.isDone()).toBe(true);
    expect(pages).toHaveLength(2);
    expect(isAppError(err, 'crm_quota_exhausted')).toBe(true);
    expect(err.message).toMatch(/used 3000 API calls, its 20% share \(3000\) of the org's 15000 daily calls/);
    expect(err.details).toMatchObject({ retryable: true, paused: true, retryAfterMs: 3_600_000 });
    expect(sf.usage().calls).toBe(2);
  });

  it('leaves the last 5% of the org allocation to its other clients', async () => {
    nock(INSTANCE)
      .get(`${V}/queryAll`)
      .query(true)
      .reply(200, pageOf('2026-05-02T09:00:00.000+0000', `${V}/query/01gxx-2000`), sfHeaders(14260, 15000));
    const sf = await connectorFor(memoryCredentials());

    const err = await allPages(sf.fetchChanges({ cursor: '2026-05-02T00:00:00Z' })).catch((e) => e);

    expect(isAppError(err, 'crm_quota_exhausted')).toBe(true);
    expect(err.message).toMatch(/used 14260 of its 15000 daily API calls; the last 750/);
  });

  it('reads Sforce-Limit-Info from every response into usage()', async () => {
    nock(INSTANCE)
      .get(`${V}/queryAll`)
      .query(true)
      .reply(200, pageOf('2026-05-02T09:00:00.000+0000', `${V}/query/01gxx-2000`), sfHeaders(100, 115000))
      .get(`${V}/query/01gxx-2000`)
      .reply(200, pageOf('2026-05-02T09:10:00.000+0000'), {
        ...sfHeaders(),
        'sforce-limit-info': 'api-usage=104/115000; per-app-api-usage=3/5000(appName=dealrisk)',
      });
    const sf = await connectorFor(memoryCredentials());

    await allPages(sf.fetchChanges({ cursor: '2026-05-02T00:00:00Z' }));

    expect(sf.usage()).toEqual({ calls: 2, used: 104, limit: 115000 });
  });
});
