import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ENCODED_SOQL_MAX } from '../../../connectors/salesforce/soql.ts';
import { compileMapping } from '../../../src/mapping/to-deal.ts';
import {
  allPages,
  anOpportunity,
  connectorFor,
  INSTANCE,
  memoryCredentials,
  queryPage,
  salesforceMapping,
  setupNock,
  sfError,
  sfHeaders,
  sfId,
  soqlMatching,
  teardownNock,
  V,
} from './helpers.ts';

beforeEach(setupNock);
afterEach(teardownNock);

const aggregate = (row: Record<string, unknown>) => ({ attributes: { type: 'AggregateResult' }, ...row });
const stage = (MasterLabel: string, SortOrder: number, IsClosed = false, IsWon = false) => ({
  attributes: { type: 'OpportunityStage' },
  ApiName: MasterLabel,
  MasterLabel,
  IsClosed,
  IsWon,
  SortOrder,
  IsActive: true,
});
const history = (OpportunityId: string, StageName: string, CloseDate: string, CreatedDate: string) => ({
  attributes: { type: 'OpportunityHistory' },
  OpportunityId,
  StageName,
  CloseDate,
  CreatedDate,
});

describe('Salesforce history enrichment', () => {
  it('derives stage history, close-date pushes, open tasks and contacts, and skips what the org hides', async () => {
    const open = sfId();
    const won = sfId();
    const queries: string[] = [];
    const scope = nock(INSTANCE)
      .get(`${V}/queryAll`)
      .query(soqlMatching((q) => q.includes('FROM Opportunity WHERE')))
      .reply(
        200,
        queryPage([
          anOpportunity({
            Id: open,
            StageName: 'Negotiation/Review',
            CloseDate: '2026-06-24',
            SystemModstamp: '2026-05-02T09:00:00.000+0000',
          }),
          anOpportunity({
            Id: won,
            StageName: 'Closed Won',
            IsClosed: true,
            IsWon: true,
            CloseDate: '2026-04-30',
            Account: null,
            SystemModstamp: '2026-05-02T09:05:00.000+0000',
          }),
        ]),
        sfHeaders(),
      )
      .get(`${V}/query`)
      .query(soqlMatching((q) => q.startsWith('SELECT ApiName, MasterLabel, IsClosed, IsWon, SortOrder, IsActive FROM OpportunityStage')))
      .reply(
        200,
        queryPage([
          stage('Prospecting', 1),
          stage('Negotiation/Review', 2),
          stage('Closed Won', 3, true, true),
          stage('Closed Lost', 4, true),
        ]),
        sfHeaders(),
      )
      .get(`${V}/query`)
      .query(
        soqlMatching((q) => {
          queries.push(q);
          return q.includes('FROM OpportunityHistory WHERE OpportunityId IN');
        }),
      )
      .reply(
        200,
        queryPage([
          history(open, 'Prospecting', '2026-05-31', '2026-01-10T09:00:00.000+0000'),
          history(open, 'Prospecting', '2026-06-10', '2026-02-01T09:00:00.000+0000'),
          history(open, 'Negotiation/Review', '2026-06-10', '2026-03-15T12:30:00.000+0000'),
          history(open, 'Negotiation/Review', '2026-06-24', '2026-04-20T08:00:00.000+0000'),
          history(won, 'Prospecting', '2026-04-30', '2026-02-01T09:00:00.000+0000'),
          history(won, 'Closed Won', '2026-04-30', '2026-04-29T16:00:00.000+0000'),
        ]),
        sfHeaders(),
      )
      .get(`${V}/query`)
      .query(soqlMatching((q) => q.includes('FROM OpportunityFieldHistory')))
      .reply(400, sfError('INVALID_TYPE', "sObject type 'OpportunityFieldHistory' is not supported."), sfHeaders())
      .get(`${V}/query`)
      .query(
        soqlMatching((q) => {
          queries.push(q);
          return q.includes('FROM Task WHERE WhatId IN');
        }),
      )
      .reply(200, queryPage([aggregate({ WhatId: open, n: 2 })]), sfHeaders())
      .get(`${V}/query`)
      .query(soqlMatching((q) => q.includes('FROM OpportunityContactRole')))
      .reply(200, queryPage([aggregate({ OpportunityId: open, n: 3 })]), sfHeaders());
    const sf = await connectorFor(memoryCredentials(), { history: true });

    const [page] = await allPages(sf.fetchChanges({ cursor: '2026-05-02T00:00:00Z' }));

    expect(scope.isDone()).toBe(true);
    const [o, w] = page!.records.map((r) => r.data._derived);
    expect(o).toEqual({
      stageOrder: 1,
      stageHistory: [
        { stage: 'Prospecting', status: 'open', order: 0, enteredAt: '2026-01-10T09:00:00.000Z' },
        { stage: 'Negotiation/Review', status: 'open', order: 1, enteredAt: '2026-03-15T12:30:00.000Z' },
      ],
      stageEnteredAt: '2026-03-15T12:30:00.000Z',
      closeDatePushes: 2,
      closedAt: null,
      openTaskCount: 2,
      contactRoleCount: 3,
      accountSizeBand: '201-1000',
    });
    expect(w).toMatchObject({
      stageOrder: 2,
      closedAt: '2026-04-29T16:00:00.000Z',
      openTaskCount: 0,
      contactRoleCount: 0,
      accountSizeBand: null,
    });
    // Our own risk tasks are not activity: they are left out of the count.
    expect(queries.find((q) => q.includes('FROM Task'))).toBe(
      `SELECT WhatId, COUNT(Id) n FROM Task WHERE WhatId IN ('${open}', '${won}') AND IsClosed = false AND Risk_Task_Key__c = null GROUP BY WhatId`,
    );
    expect(sf.warnings.join('\n')).toMatch(/skipped OpportunityFieldHistory .*INVALID_TYPE/);

    const toDeal = compileMapping(salesforceMapping());
    const deal = toDeal(page!.records[0]!, { tenantId: 't-acme' });
    expect(deal.ok && deal.deal).toMatchObject({
      stage: { label: 'Negotiation/Review', status: 'open', order: 1 },
      stageEnteredAt: new Date('2026-03-15T12:30:00.000Z'),
      closeDatePushes: 2,
      activityCount: 2,
      contactsCount: 3,
      account: { size: '201-1000', industry: 'Electronics' },
      crmProbability: 0.9,
      dealType: 'new',
    });
    const closed = toDeal(page!.records[1]!, { tenantId: 't-acme' });
    expect(closed.ok && closed.deal).toMatchObject({ stage: { status: 'won' }, closedAt: new Date('2026-04-29T16:00:00.000Z') });
  });

  it('scopes history rows of a large page by its SystemModstamp range, and its counts by id lists that fit the URI', async () => {
    const rows = Array.from({ length: 500 }, (_, i) =>
      anOpportunity({ SystemModstamp: new Date(Date.parse('2026-05-02T09:00:00Z') + i * 1000).toISOString().replace('Z', '+0000') }),
    );
    const semiJoin =
      'IN (SELECT Id FROM Opportunity WHERE SystemModstamp >= 2026-05-02T09:00:00Z AND SystemModstamp < 2026-05-02T09:08:20Z)';
    const named: Record<string, string[][]> = { Task: [], OpportunityContactRole: [] };
    const count = (object: string) => (q: string) => {
      if (!q.includes(`FROM ${object} WHERE`) || q.includes('SELECT Id FROM Opportunity')) return false;
      named[object]!.push([...q.matchAll(/'(006[^']+)'/g)].map((m) => m[1]!));
      return encodeURIComponent(q).length <= ENCODED_SOQL_MAX;
    };
    const scope = nock(INSTANCE)
      .get(`${V}/queryAll`)
      .query(true)
      .reply(200, queryPage(rows), sfHeaders())
      .get(`${V}/query`)
      .query(soqlMatching((q) => q.includes('FROM OpportunityStage')))
      .reply(200, queryPage([stage('Negotiation/Review', 1)]), sfHeaders())
      .get(`${V}/query`)
      .query(soqlMatching((q) => q.includes('FROM OpportunityHistory') && q.includes(semiJoin)))
      .reply(200, queryPage([]), sfHeaders())
      .get(`${V}/query`)
      .query(soqlMatching((q) => q.includes('FROM OpportunityFieldHistory') && q.includes(semiJoin)))
      .reply(200, queryPage([]), sfHeaders())
      // Aggregates cannot page: named ids, as many a query as the URI takes, never the semi-join.
      .get(`${V}/query`)
      .query(soqlMatching(count('Task')))
      .times(2)
      .reply(200, queryPage([]), sfHeaders())
      .get(`${V}/query`)
      .query(soqlMatching(count('OpportunityContactRole')))
      .times(2)
      .reply(200, queryPage([]), sfHeaders());
    const sf = await connectorFor(memoryCredentials(), { history: true });

    const [page] = await allPages(sf.fetchChanges({ cursor: '2026-05-02T00:00:00Z' }));

    expect(scope.isDone()).toBe(true);
    expect(page!.records).toHaveLength(500);
    for (const queries of Object.values(named)) {
      expect(queries).toHaveLength(2);
      expect(queries.flat()).toEqual(rows.map((r) => r.Id));
    }
    expect(page!.records[0]!.data._derived).toMatchObject({
      stageHistory: [],
      stageEnteredAt: null,
      closeDatePushes: null,
      openTaskCount: 0,
    });
    expect(sf.usage().calls).toBe(8); // 1 page + OpportunityStage + 2 history queries + 2 × 2 counts
  });
});
