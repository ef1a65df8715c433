import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSalesforceConnector, type SalesforceConnector } from '../../../connectors/salesforce/index.ts';
import type { Credentials, FetchPage } from '../../../connectors/types.ts';
import { type Sandbox, startSandbox } from '../../../sandbox/index.ts';
import { defaultMapping } from '../../../src/mapping/load.ts';
import type { Mapping } from '../../../src/mapping/schema.ts';

// A REST query batch holds at most 2,000 records, fewer for wide rows, and at most 200 when two
// long text fields are selected (docs/crm-limits.md, "query batch size"). The connector follows
// nextRecordsUrl whatever a batch holds.
let sb: Sandbox;
let creds: Credentials;

/** The default mapping, with the next step also read from long text fields (first non-empty). */
function mappingReading(...longText: string[]): Mapping {
  const m = defaultMapping('salesforce');
  return { ...m, fields: { ...m.fields, nextStep: { ...m.fields.nextStep!, from: ['NextStep', ...longText] } } };
}

const connector = (mapping: Mapping): Promise<SalesforceConnector> =>
  createSalesforceConnector({
    tenantId: 't-batches',
    mapping,
    clientId: sb.salesforce.clientId,
    clientSecret: sb.salesforce.clientSecret,
    loginUrl: sb.salesforce.loginUrl,
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

async function pages(sf: SalesforceConnector, cursor: string | null): Promise<FetchPage[]> {
  const out: FetchPage[] = [];
  for await (const p of sf.fetchChanges({ cursor })) out.push(p);
  return out;
}

function expectEveryOpportunityOnce(got: FetchPage[]): void {
  const ids = got.flatMap((p) => p.records.map((r) => r.id));
  expect(new Set(ids).size).toBe(ids.length);
  expect(ids.sort()).toEqual(
    sb.state.salesforce
      .opportunities()
      .map((o) => String(o.Id))
      .sort(),
  );
}

beforeAll(async () => {
  sb = await startSandbox({ deals: 1500, seed: 31, salesforce: { riskFields: 'ready' } });
  const t = sb.salesforce.issueTokens();
  creds = {
    accessToken: t.access_token,
    refreshToken: t.refresh_token ?? null,
    instanceUrl: t.instance_url,
    authBaseUrl: sb.salesforce.loginUrl,
    accountId: sb.salesforce.orgId,
  };
});
afterAll(async () => {
  await sb?.close();
});

describe('Salesforce query batches smaller than 2,000', () => {
  it('delivers every opportunity once, with its history, when two long text fields cut batches to 200', { timeout: 60_000 }, async () => {
    const sf = await connector(mappingReading('Description', 'Risk_Drivers__c'));

    const got = await pages(sf, null);

    expect(got.length).toBe(Math.ceil(got.reduce((n, p) => n + p.records.length, 0) / 200));
    expect(got.every((p) => p.records.length <= 200)).toBe(true);
    expectEveryOpportunityOnce(got);
    expect(sf.warnings).toEqual([]);
    expect(
      got.flatMap((p) => p.records).every((r) => (r.data._derived as { contactRoleCount: number | null }).contactRoleCount !== null),
    ).toBe(true);
  });

  it('pages wide rows in smaller batches (the first one smaller still) and resumes after the last without re-delivering', {
    timeout: 60_000,
  }, async () => {
    const drivers = 'Champion went quiet after the security review.\n'.repeat(170).slice(0, 8000);
    const writer = await connector(defaultMapping('salesforce'));
    const ids = sb.state.salesforce.opportunities().map((o) => String(o.Id));
    const written = await writer.writeBack(
      ids.map((id) => ({
        externalId: id,
        fields: {
          score: 80,
          category: 'High',
          winProbability: 0.2,
          drivers,
          action: 'Call',
          scoredAt: new Date(sb.clock.now()),
          modelStatus: 'ok',
        },
      })),
    );
    expect(written.every((r) => r.ok)).toBe(true);
    sb.clock.advance({ minutes: 10 });
    const sf = await connector(mappingReading('Risk_Drivers__c'));

    const got = await pages(sf, null);

    const sizes = got.map((p) => p.records.length);
    expect(Math.max(...sizes)).toBeLessThan(2000);
    expect(sizes[0]).toBeLessThan(sizes[1]!);
    expectEveryOpportunityOnce(got);
    // Deals created in the ten minutes since have no drivers yet.
    for (const r of got.flatMap((p) => p.records).filter((x) => ids.includes(x.id))) {
      expect(String(r.data.Risk_Drivers__c).length, r.id).toBeGreaterThan(7000);
      expect(r.data.Risk_Drivers__c, r.id).toBe(sb.state.salesforce.opportunity(r.id)!.Risk_Drivers__c);
    }
    // The cursor of the last (short) page resumes after it: the next run re-delivers no version.
    const version = (r: { id: string; modifiedAt: Date | null }) => `${r.id}@${r.modifiedAt?.getTime()}`;
    const delivered = new Set(got.flatMap((p) => p.records.map(version)));
    sb.clock.advance({ hours: 1 });
    expect((await pages(sf, got.at(-1)!.cursor)).flatMap((p) => p.records.map(version)).filter((v) => delivered.has(v))).toEqual([]);
  });
});
