import jsforce from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSalesforceConnector } from '../../../connectors/salesforce/index.ts';
import {
  AGGREGATE_IDS_MAX,
  chunkForUri,
  contactRoleCountQuery,
  fieldHistoryQuery,
  IN_LIST_MAX,
  openTaskCountQuery,
  opportunityHistoryQuery,
  type PageScope,
  pageScope,
  stageQuery,
} from '../../../connectors/salesforce/soql.ts';
import type { Credentials, FetchPage } from '../../../connectors/types.ts';
import { type Sandbox, startSandbox } from '../../../sandbox/index.ts';
import { defaultMapping } from '../../../src/mapping/load.ts';

// The history queries the Salesforce connector sends (built by its own pure SOQL builders), sent
// by the real jsforce to the sandbox org. A page of more than IN_LIST_MAX opportunities is scoped
// with a semi-join on its SystemModstamp range (REST) or its Id range (Bulk API backfill).

interface Opp {
  Id: string;
  SystemModstamp: string;
  StageName: string;
  IsClosed: boolean;
  PushCount: number;
}
interface HistoryRow {
  OpportunityId: string;
  StageName: string;
  CloseDate: string;
  PrevCloseDate: string | null;
  CreatedDate: string;
}
interface FieldRow {
  OpportunityId: string;
  Field: string;
  OldValue: unknown;
  NewValue: unknown;
}
interface CountRow {
  n: number;
  WhatId?: string;
  OpportunityId?: string;
}

const KEY = 'Risk_Task_Key__c';
const sfTime = (s: string) => new Date(s.replace('+0000', 'Z'));
let sb: Sandbox;
let conn: jsforce.Connection;
let page: Opp[];
let byModstamp: PageScope;
let byIdRange: PageScope;

async function rows<T extends object>(soql: string): Promise<T[]> {
  return (await conn.query(soql).run({ autoFetch: true, maxFetch: 1_000_000 })).records as unknown as T[];
}

function groupBy<T>(list: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of list) (m.get(key(x)) ?? m.set(key(x), []).get(key(x))!).push(x);
  return m;
}

beforeAll(async () => {
  sb = await startSandbox({ deals: 900, seed: 5, salesforce: { riskFields: 'ready' } });
  const t = sb.salesforce.issueTokens();
  conn = new jsforce.Connection({ instanceUrl: t.instance_url, accessToken: t.access_token, version: '66.0' });
  // A page as the connector reads it, ordered by (SystemModstamp, Id): the latest 600, open deals among them.
  page = (
    await rows<Opp>('SELECT Id, SystemModstamp, StageName, IsClosed, PushCount FROM Opportunity ORDER BY SystemModstamp ASC, Id ASC')
  ).slice(-600);
  const records = page.map((o) => ({ id: o.Id, modifiedAt: sfTime(o.SystemModstamp) }));
  byModstamp = pageScope(records, 'modstamp');
  byIdRange = pageScope(records, 'id');
});
afterAll(async () => {
  await sb?.close();
});

describe("the Salesforce connector's history queries against the sandbox org", () => {
  it('uses semi-joins for pages larger than an IN list', () => {
    expect(page.length).toBeGreaterThan(IN_LIST_MAX);
    expect([byModstamp.kind, byIdRange.kind]).toEqual(['modstamp', 'id-range']);
  });

  it('serves OpportunityStage in ladder order with open, won and lost stages told apart', async () => {
    const stages = await rows<{
      ApiName: string;
      MasterLabel: string;
      SortOrder: number;
      IsClosed: boolean;
      IsWon: boolean;
      IsActive: boolean;
    }>(stageQuery(true));
    expect(stages.map((s) => s.MasterLabel)).toEqual([
      'Prospecting',
      'Qualification',
      'Needs Analysis',
      'Value Proposition',
      'Proposal/Price Quote',
      'Negotiation/Review',
      'Closed Won',
      'Closed Lost',
    ]);
    expect(stages.map((s) => s.SortOrder)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(stages.filter((s) => s.IsClosed).map((s) => [s.ApiName, s.IsWon])).toEqual([
      ['Closed Won', true],
      ['Closed Lost', false],
    ]);
    expect(stages.every((s) => s.IsActive)).toBe(true);
    const labelsOnly = await rows<Record<string, unknown>>(stageQuery(false));
    expect(labelsOnly).toHaveLength(8);
    const probability = await rows<{ MasterLabel: string; DefaultProbability: number }>(
      "SELECT MasterLabel, DefaultProbability FROM OpportunityStage WHERE MasterLabel = 'Negotiation/Review'",
    );
    expect(probability[0]!.DefaultProbability).toBe(90);
    // Setup data: read-only through the API, as in a real org.
    const describe = await conn.sobject('OpportunityStage').describe();
    expect([describe.createable, describe.updateable, describe.deletable]).toEqual([false, false, false]);
  });

  it("returns each page opportunity's stage history through the SystemModstamp semi-join, the same rows an id list returns", async () => {
    const ids = new Set(page.map((o) => o.Id));
    const viaSemiJoin = (await rows<HistoryRow>(opportunityHistoryQuery(byModstamp))).filter((r) => ids.has(r.OpportunityId));
    const viaIds: HistoryRow[] = [];
    for (let i = 0; i < page.length; i += IN_LIST_MAX) {
      viaIds.push(
        ...(await rows<HistoryRow>(opportunityHistoryQuery({ kind: 'ids', ids: page.slice(i, i + IN_LIST_MAX).map((o) => o.Id) }))),
      );
    }
    // Each answer is ordered by (OpportunityId, CreatedDate); the id-list chunks follow the page's order.
    const key = (r: HistoryRow) => `${r.OpportunityId} ${r.CreatedDate}`;
    const byKey = (a: HistoryRow, b: HistoryRow) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
    expect(viaSemiJoin.length).toBeGreaterThan(page.length);
    expect(viaSemiJoin).toEqual([...viaIds].sort(byKey));
    const byOpp = groupBy(viaSemiJoin, (r) => r.OpportunityId);
    for (const o of page) expect(byOpp.get(o.Id)?.at(-1)?.StageName, o.Id).toBe(o.StageName);
  });

  it('records every close-date push in OpportunityHistory (PrevCloseDate) and in tracked field history, matching PushCount', async () => {
    const since = page[0]!.SystemModstamp.replace('.000+0000', 'Z');
    const history = await rows<HistoryRow>(
      `SELECT OpportunityId, CloseDate, PrevCloseDate, CreatedDate FROM OpportunityHistory WHERE OpportunityId IN (SELECT Id FROM Opportunity WHERE SystemModstamp >= ${since}) ORDER BY OpportunityId, CreatedDate`,
    );
    const fields = await rows<FieldRow>(fieldHistoryQuery(byModstamp));
    const pushesIn = (list: HistoryRow[] = []) => list.filter((r) => r.PrevCloseDate !== null && r.CloseDate > r.PrevCloseDate).length;
    const trackedPushes = (list: FieldRow[] = []) =>
      list.filter((r) => r.Field === 'CloseDate' && String(r.NewValue) > String(r.OldValue)).length;
    const hist = groupBy(history, (r) => r.OpportunityId);
    const tracked = groupBy(fields, (r) => r.OpportunityId);
    expect(page.some((o) => o.PushCount > 0)).toBe(true);
    for (const o of page) {
      expect(pushesIn(hist.get(o.Id)), o.Id).toBe(o.PushCount);
      expect(trackedPushes(tracked.get(o.Id)), o.Id).toBe(o.PushCount);
    }
    expect(new Set(fields.map((f) => f.Field))).toEqual(new Set(['StageName', 'CloseDate']));
  });

  it('counts contact roles per opportunity, in aggregate queries of named ids that fit the URI, as the child relationship does', async () => {
    const chunks = chunkForUri(
      page.map((o) => o.Id),
      AGGREGATE_IDS_MAX,
      contactRoleCountQuery,
    );
    expect(chunks.length).toBe(2);
    const counts = new Map<string, number>();
    for (const chunk of chunks) for (const r of await rows<CountRow>(contactRoleCountQuery(chunk))) counts.set(r.OpportunityId!, r.n);
    const sample = page
      .slice(0, 50)
      .map((o) => `'${o.Id}'`)
      .join(', ');
    const children = await rows<{ Id: string; OpportunityContactRoles: { totalSize: number } | null }>(
      `SELECT Id, (SELECT Id FROM OpportunityContactRoles) FROM Opportunity WHERE Id IN (${sample})`,
    );
    for (const c of children) expect(counts.get(c.Id) ?? 0, c.Id).toBe(c.OpportunityContactRoles?.totalSize ?? 0);
  });

  it('counts open tasks per opportunity, leaving out the tasks we created with a key', async () => {
    const opp = page.find((o) => !o.IsClosed)!;
    const openTasks = async (keyField: string | null) =>
      (await rows<CountRow>(openTaskCountQuery([opp.Id], keyField))).find((r) => r.WhatId === opp.Id)?.n ?? 0;
    const before = await openTasks(KEY);
    expect(before).toBe(1); // the rep's own follow-up
    await conn
      .sobject('Task')
      .create({ WhatId: opp.Id, Subject: 'Risk: call the economic buyer', Status: 'Not Started', [KEY]: `${opp.Id}:call` });
    await conn.sobject('Task').create({ WhatId: opp.Id, Subject: 'Send the proposal', Status: 'Not Started' });
    expect(await openTasks(KEY)).toBe(before + 1);
    expect(await openTasks(null)).toBe(before + 2);
  });

  it('lets the connector derive history for every deal, through REST and Bulk API pages, without skipping a source', {
    timeout: 60_000,
  }, async () => {
    for (const bulkThreshold of [-1, 10]) {
      const t = sb.salesforce.issueTokens();
      let creds: Credentials = {
        accessToken: t.access_token,
        refreshToken: t.refresh_token ?? null,
        instanceUrl: t.instance_url,
        authBaseUrl: sb.salesforce.loginUrl,
        accountId: sb.salesforce.orgId,
      };
      const sf = await createSalesforceConnector({
        tenantId: 't-history',
        mapping: defaultMapping('salesforce'),
        clientId: sb.salesforce.clientId,
        clientSecret: sb.salesforce.clientSecret,
        loginUrl: sb.salesforce.loginUrl,
        credentials: {
          load: async () => creds,
          save: async (c) => {
            creds = c;
          },
          markNeedsReauth: async (reason) => {
            throw new Error(reason);
          },
        },
        bulkThreshold,
        bulk: { pollIntervalMs: 5, maxPollIntervalMs: 20 },
      });
      const records = [];
      for await (const p of sf.fetchChanges({ cursor: null }) as AsyncIterable<FetchPage>) records.push(...p.records);
      expect(sf.warnings).toEqual([]);
      expect(records.length).toBeGreaterThan(IN_LIST_MAX);
      for (const r of records) {
        const d = r.data._derived as {
          stageOrder: number | null;
          stageHistory: unknown[];
          closeDatePushes: number | null;
          openTaskCount: number | null;
          contactRoleCount: number | null;
        };
        expect(d.stageOrder, r.id).not.toBeNull();
        expect(d.stageHistory.length, r.id).toBeGreaterThan(0);
        expect(d.closeDatePushes, r.id).toBe(sb.state.salesforce.opportunity(r.id)!.PushCount);
        expect(d.openTaskCount, r.id).not.toBeNull();
        expect(d.contactRoleCount, r.id).toBeGreaterThan(0);
      }
    }
  });

  it('answers a semi-join Salesforce refuses with its MALFORMED_QUERY error', async () => {
    await expect(
      conn.query("SELECT Id FROM OpportunityHistory WHERE StageName = 'Closed Won' OR OpportunityId IN (SELECT Id FROM Opportunity)"),
    ).rejects.toMatchObject({
      errorCode: 'MALFORMED_QUERY',
      message: expect.stringContaining("Semi join sub-selects are not allowed with the 'OR' operator"),
    });
  });
});
