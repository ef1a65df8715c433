import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCursor } from '../../../connectors/salesforce/cursor.ts';
import { createSalesforceConnector, type SalesforceConnector } from '../../../connectors/salesforce/index.ts';
import type { CredentialStore, Credentials, FetchPage, RawRecord, TaskRequest } from '../../../connectors/types.ts';
import { type Sandbox, startSandbox } from '../../../sandbox/index.ts';
import { dealInputHash } from '../../../src/core/deal-hash.ts';
import { defaultMapping } from '../../../src/mapping/load.ts';
import { compileMapping } from '../../../src/mapping/to-deal.ts';
import { riskFields } from './helpers.ts';

// The real jsforce against the sandbox CRM on loopback (sandbox/): no nock here.
const mapping = defaultMapping('salesforce');
const toDeal = compileMapping(mapping);

let sb: Sandbox;
let creds: Credentials;
const reauth: string[] = [];
const store: CredentialStore = {
  load: async () => ({ ...creds }),
  save: async (c) => {
    creds = { ...c };
  },
  markNeedsReauth: async (reason) => void reauth.push(reason),
};

async function connector(overrides: { bulkThreshold?: number } = {}): Promise<SalesforceConnector> {
  return createSalesforceConnector({
    tenantId: 't-sandbox',
    mapping,
    credentials: store,
    clientId: sb.salesforce.clientId,
    clientSecret: sb.salesforce.clientSecret,
    loginUrl: sb.salesforce.loginUrl,
    bulk: { pollIntervalMs: 5, maxPollIntervalMs: 20 },
    ...overrides,
  });
}

async function pages(sf: SalesforceConnector, cursor: string | null): Promise<FetchPage[]> {
  const out: FetchPage[] = [];
  for await (const p of sf.fetchChanges({ cursor })) out.push(p);
  return out;
}

function hashOf(r: RawRecord): string {
  const m = toDeal(r, { tenantId: 't-sandbox' });
  if (!m.ok) throw new Error(`${r.id}: ${m.error.field}: ${m.error.reason}`);
  return dealInputHash(m.deal);
}

beforeAll(async () => {
  sb = await startSandbox({ deals: 80, seed: 11, rotateRefreshTokens: true });
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

describe('Salesforce connector against the sandbox CRM', () => {
  let firstSync: FetchPage[] = [];

  it('installs the risk fields, task key and permission sets, and a second setup creates nothing', async () => {
    const sf = await connector();
    const first = await sf.setup();
    const second = await sf.setup();

    expect(first.warnings).toEqual([]);
    expect(first.created).toEqual(
      expect.arrayContaining([
        'Opportunity.Risk_Score__c',
        'Opportunity.Win_Probability__c',
        'Activity.Risk_Task_Key__c',
        'PermissionSet DealRisk_Integration',
        'PermissionSet DealRisk_Reader',
      ]),
    );
    expect(first.created.some((c) => c.startsWith('PermissionSetAssignment DealRisk_Integration'))).toBe(true);
    expect(second.created).toEqual([]);
    expect(second.existing).toHaveLength(first.created.length);
    expect(sb.state.salesforce.customFields()).toEqual(expect.arrayContaining(['Opportunity.Risk_Drivers__c', 'Task.Risk_Task_Key__c']));
  });

  it('reads every opportunity once, and every one maps to a valid deal with status from IsClosed/IsWon', async () => {
    const sf = await connector();
    firstSync = await pages(sf, null);

    const records = firstSync.flatMap((p) => p.records);
    const live = sb.state.salesforce.opportunities();
    expect(records.map((r) => r.id).sort()).toEqual(live.map((o) => String(o.Id)).sort());
    for (const r of records) {
      const m = toDeal(r, { tenantId: 't-sandbox' });
      expect(m.ok, JSON.stringify(!m.ok && m.error)).toBe(true);
      if (m.ok) expect(m.deal.stage.status).toBe(r.data.IsClosed ? (r.data.IsWon ? 'won' : 'lost') : 'open');
    }
    expect(records.filter((r) => (r.data._derived as { stageHistory: unknown[] }).stageHistory.length > 0).length).toBeGreaterThan(
      records.length / 2,
    );
    expect(firstSync[firstSync.length - 1]!.cursor).not.toBeNull();
  });

  it('delivers the same deals through a Bulk API 2.0 backfill', async () => {
    const sf = await connector({ bulkThreshold: 10 });
    const bulk = await pages(sf, null);
    const byId = new Map(firstSync.flatMap((p) => p.records).map((r) => [r.id, hashOf(r)]));
    const bulkRecords = bulk.flatMap((p) => p.records);
    expect(bulkRecords).toHaveLength(byId.size);
    for (const r of bulkRecords) expect(hashOf(r), r.id).toBe(byId.get(r.id));
  });

  it('writes risk fields, survives an expired session with a rotated refresh token, and sees its own write as an echo', async () => {
    const sf = await connector();
    const open = firstSync
      .flatMap((p) => p.records)
      .filter((r) => r.data.IsClosed === false)
      .slice(0, 3);
    const results = await sf.writeBack(open.map((r) => ({ externalId: r.id, fields: riskFields({ category: 'Critical', score: 81 }) })));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(sb.state.salesforce.opportunity(open[0]!.id)).toMatchObject({
      Risk_Score__c: 81,
      Risk_Category__c: 'Critical',
      Win_Probability__c: 28.34,
    });

    const before = creds.refreshToken;
    sb.tokens.expireAll('salesforce');
    const echo = (await pages(sf, firstSync[firstSync.length - 1]!.cursor)).flatMap((p) => p.records);

    expect(creds.refreshToken).not.toBe(before); // the rotated token was stored
    expect(reauth).toEqual([]);
    const written = new Map(open.map((r) => [r.id, hashOf(r)]));
    const echoed = echo.filter((r) => written.has(r.id));
    expect(echoed.map((r) => r.id).sort()).toEqual([...written.keys()].sort());
    for (const r of echoed) expect(hashOf(r)).toBe(written.get(r.id));
  });

  it('creates one task per deal and action, and reports it open on the next request', async () => {
    const sf = await connector();
    const deals = firstSync
      .flatMap((p) => p.records)
      .filter((r) => r.data.IsClosed === false)
      .slice(0, 2);
    const tasks: TaskRequest[] = deals.map((r) => ({
      key: `${r.id}:call-economic-buyer`,
      dealExternalId: r.id,
      ownerId: null,
      subject: 'Risk: call the economic buyer',
      description: 'No activity for 41 days.',
      priority: 'high',
      dueDate: new Date('2026-11-26T00:00:00Z'),
    }));

    const first = await sf.upsertTasks(tasks);
    const second = await sf.upsertTasks(tasks);

    expect(first.map((r) => r.status)).toEqual(['created', 'created']);
    expect(second.map((r) => r.status)).toEqual(['open', 'open']);
    const created = sb.state.salesforce.tasks().filter((t) => String(t.Risk_Task_Key__c).endsWith(':call-economic-buyer'));
    expect(created).toHaveLength(2);
    expect(created.map((t) => t.OwnerId).sort()).toEqual(deals.map((r) => r.data.OwnerId).sort());
  });

  // Last: it moves the sandbox clock.
  it('reads its own writes back once an hour later, and a sync right after costs one query call', async () => {
    const sf = await connector();
    const open = firstSync
      .flatMap((p) => p.records)
      .filter((r) => r.data.IsClosed === false)
      .slice(3, 6);
    expect(
      (await sf.writeBack(open.map((r) => ({ externalId: r.id, fields: riskFields({ category: 'High', score: 60 }) })))).every((r) => r.ok),
    ).toBe(true);
    sb.clock.advance({ hours: 1 });

    const hour = await pages(sf, firstSync[firstSync.length - 1]!.cursor);
    expect(hour.flatMap((p) => p.records.map((r) => r.id))).toEqual(expect.arrayContaining(open.map((r) => r.id)));
    // The sandbox's Date header is on its own clock, as Salesforce's is on Salesforce's: the
    // cursor records when the query ran, so the next run resumes after the keyset.
    const cursor = decodeCursor(hour[hour.length - 1]!.cursor)!;
    expect(cursor.queriedAt).toEqual(new Date(Math.floor(sb.clock.now().getTime() / 1000) * 1000));
    const quiet = await connector();
    const before = quiet.usage().calls;
    const again = await pages(quiet, hour[hour.length - 1]!.cursor);
    expect(again.flatMap((p) => p.records)).toEqual([]);
    expect(quiet.usage().calls - before).toBe(1);
  });
});
