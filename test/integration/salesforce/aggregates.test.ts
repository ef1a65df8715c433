import jsforce from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSalesforceConnector, type SalesforceConnector } from '../../../connectors/salesforce/index.ts';
import type { Credentials, FetchPage } from '../../../connectors/types.ts';
import { type Sandbox, startSandbox } from '../../../sandbox/index.ts';
import { defaultMapping } from '../../../src/mapping/load.ts';

// Aggregate (GROUP BY) results cannot be paged: Salesforce refuses one over 2,000 rows. A mass
// update gives thousands of opportunities one SystemModstamp, so a page's SystemModstamp range
// names them all; the connector's counts must stay inside whatever the stamps say.
let sb: Sandbox;
let creds: Credentials;
let conn: jsforce.Connection;

const connector = (): Promise<SalesforceConnector> =>
  createSalesforceConnector({
    tenantId: 't-mass',
    mapping: defaultMapping('salesforce'),
    clientId: sb.salesforce.clientId,
    clientSecret: sb.salesforce.clientSecret,
    loginUrl: sb.salesforce.loginUrl,
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

async function pages(sf: SalesforceConnector, cursor: string | null): Promise<FetchPage[]> {
  const out: FetchPage[] = [];
  for await (const p of sf.fetchChanges({ cursor })) out.push(p);
  return out;
}

beforeAll(async () => {
  sb = await startSandbox({ deals: 2600, seed: 23, salesforce: { riskFields: 'ready' } });
  const t = sb.salesforce.issueTokens();
  creds = {
    accessToken: t.access_token,
    refreshToken: t.refresh_token ?? null,
    instanceUrl: t.instance_url,
    authBaseUrl: sb.salesforce.loginUrl,
    accountId: sb.salesforce.orgId,
  };
  conn = new jsforce.Connection({ instanceUrl: t.instance_url, accessToken: t.access_token, version: '66.0' });
});
afterAll(async () => {
  await sb?.close();
});

describe('Salesforce aggregate queries stay inside one batch', () => {
  it("refuses a GROUP BY over 2,000 rows with Salesforce's EXCEEDED_ID_LIMIT body, and answers one of 2,000 or fewer", async () => {
    const url = (soql: string) => `${sb.salesforce.instanceUrl}/services/data/v66.0/query?q=${encodeURIComponent(soql)}`;
    const res = await fetch(url('SELECT OpportunityId, COUNT(Id) n FROM OpportunityContactRole GROUP BY OpportunityId'), {
      headers: { authorization: `Bearer ${creds.accessToken}` },
    });

    expect(res.status).toBe(400);
    expect(await res.json()).toEqual([
      {
        message: 'Aggregate query does not support queryMore(), use LIMIT to restrict the results to a single batch',
        errorCode: 'EXCEEDED_ID_LIMIT',
      },
    ]);
    const limited = await conn.query('SELECT OpportunityId, COUNT(Id) n FROM OpportunityContactRole GROUP BY OpportunityId LIMIT 2000');
    expect(limited.records).toHaveLength(2000);
    expect(limited.done).toBe(true);
  });

  it('counts contact roles and open tasks for every deal of a mass update that shares one SystemModstamp', {
    timeout: 90_000,
  }, async () => {
    const first = await pages(await connector(), null);
    const cursor = first.at(-1)!.cursor;
    const all = first.flatMap((p) => p.records);
    expect(all.length).toBeGreaterThan(2000);

    // Our own write-back of every deal lands in one instant (the sandbox clock stands still).
    const sf = await connector();
    const results = await sf.writeBack(
      all.map((r) => ({
        externalId: r.id,
        fields: {
          score: 50,
          category: 'Medium',
          winProbability: 0.5,
          drivers: 'x',
          action: 'y',
          scoredAt: new Date(sb.clock.now()),
          modelStatus: 'ok',
        },
      })),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    const stamps = new Set(sb.state.salesforce.opportunities().map((o) => o.SystemModstamp));
    expect(stamps.size).toBe(1);
    sb.clock.advance({ hours: 1 });
    const seen = sb.state.calls.length;

    const again = await pages(sf, cursor);

    const records = again.flatMap((p) => p.records);
    expect(records).toHaveLength(all.length);
    expect(sf.warnings).toEqual([]);
    expect(sb.state.calls.slice(seen).filter((c) => c.status >= 400)).toEqual([]);
    for (const r of records) {
      const d = r.data._derived as { contactRoleCount: number | null; openTaskCount: number | null };
      expect(d.contactRoleCount, r.id).toBeGreaterThan(0);
      expect(d.openTaskCount, r.id).not.toBeNull();
    }
  });
});
