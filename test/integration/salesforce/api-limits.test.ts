import { afterEach, describe, expect, it } from 'vitest';
import { createSalesforceConnector, type SalesforceConnector } from '../../../connectors/salesforce/index.ts';
import type { Credentials } from '../../../connectors/types.ts';
import { type Sandbox, startSandbox } from '../../../sandbox/index.ts';
import { isAppError } from '../../../src/core/errors.ts';
import { defaultMapping } from '../../../src/mapping/load.ts';

// Salesforce's daily API allocation: every REST response reports it in Sforce-Limit-Info, and past
// it the org answers 403 REQUEST_LIMIT_EXCEEDED "TotalRequests Limit exceeded." (docs/crm-limits.md).
let sb: Sandbox | undefined;
afterEach(async () => {
  await sb?.close();
  sb = undefined;
});

async function open(dailyApiLimit: number, budgetShare: number): Promise<SalesforceConnector> {
  sb = await startSandbox({ deals: 300, seed: 43, salesforce: { dailyApiLimit } });
  const t = sb.salesforce.issueTokens();
  let creds: Credentials = {
    accessToken: t.access_token,
    refreshToken: t.refresh_token ?? null,
    instanceUrl: t.instance_url,
    authBaseUrl: sb.salesforce.loginUrl,
    accountId: sb.salesforce.orgId,
  };
  return createSalesforceConnector({
    tenantId: 't-limits',
    mapping: defaultMapping('salesforce'),
    clientId: sb.salesforce.clientId,
    clientSecret: sb.salesforce.clientSecret,
    loginUrl: sb.salesforce.loginUrl,
    budgetShare,
    bulkThreshold: -1,
    credentials: {
      load: async () => ({ ...creds }),
      save: async (c) => {
        creds = { ...c };
      },
      markNeedsReauth: async (r) => {
        throw new Error(r);
      },
    },
  });
}

async function drain(sf: SalesforceConnector): Promise<unknown> {
  try {
    for await (const _ of sf.fetchChanges({ cursor: null }));
    return null;
  } catch (e) {
    return e;
  }
}

describe('Salesforce daily API allocation', () => {
  it('stops at its share of the allocation it reads from Sforce-Limit-Info, never drawing a 403', async () => {
    const sf = await open(40, 0.1); // 4 of 40 calls; a first sync with history needs 7
    const err = await drain(sf);

    expect(isAppError(err, 'crm_quota_exhausted')).toBe(true);
    expect((err as { details: { retryable?: boolean } }).details.retryable).toBe(true);
    expect(sf.usage()).toMatchObject({ calls: 4, used: 4, limit: 40 });
    expect(sb!.state.calls.filter((c) => c.crm === 'sf' && c.status === 403)).toEqual([]);
  });

  it("pauses on the org's 403 REQUEST_LIMIT_EXCEEDED when other clients have used the allocation", async () => {
    const sf = await open(3, 1);
    const token = sb!.salesforce.issueTokens().access_token;
    for (let i = 0; i < 3; i++)
      await fetch(`${sb!.salesforce.instanceUrl}/services/data/v66.0/limits`, { headers: { authorization: `Bearer ${token}` } });
    const refused = await fetch(`${sb!.salesforce.instanceUrl}/services/data/v66.0/limits`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual([{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }]);

    const err = await drain(sf);

    expect(isAppError(err, 'crm_quota_exhausted')).toBe(true);
    expect(sf.usage().calls).toBe(1);
  });
});
