import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeCursor } from '../../../connectors/salesforce/cursor.ts';
import { dealInputHash } from '../../../src/core/deal-hash.ts';
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
  sfHeaders,
  sfId,
  soqlMatching,
  teardownNock,
  V,
} from './helpers.ts';

beforeEach(setupNock);
afterEach(teardownNock);

const JOB = '750dM00000BulkQ1AAC';
const COLUMNS = [
  'Id',
  'SystemModstamp',
  'IsClosed',
  'IsWon',
  'IsDeleted',
  'Name',
  'Amount',
  'StageName',
  'ForecastCategoryName',
  'Probability',
  'CreatedDate',
  'CloseDate',
  'OwnerId',
  'Owner.Name',
  'AccountId',
  'Account.Name',
  'Account.Industry',
  'Account.BillingCountry',
  'LeadSource',
  'Type',
  'LastActivityDate',
  'NextStep',
  'Account.NumberOfEmployees',
];

/** Bulk API 2.0 results: every value quoted, nulls empty, relationship columns flattened. */
function csv(rows: Array<Record<string, unknown>>): string {
  const cell = (v: unknown) => `"${v === null || v === undefined ? '' : String(v).replace(/"/g, '""')}"`;
  const value = (row: Record<string, unknown>, col: string) =>
    col.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | null)?.[k], row);
  return `${[COLUMNS.map(cell).join(','), ...rows.map((r) => COLUMNS.map((c) => cell(value(r, c))).join(','))].join('\n')}\n`;
}

const csvHeaders = (locator: string, n: number) => ({
  'content-type': 'text/csv',
  'sforce-locator': locator,
  'sforce-numberofrecords': String(n),
  'sforce-limit-info': 'api-usage=950/15000',
});

describe('Salesforce first backfill through Bulk API 2.0', () => {
  it('runs one query job above the threshold and pages its CSV results by Sforce-Locator', async () => {
    const rows = [
      anOpportunity({ Id: sfId(), SystemModstamp: '2026-05-01T07:25:37.000Z' }),
      anOpportunity({ Id: sfId(), SystemModstamp: '2026-05-01T09:00:00.000Z', Account: null, NextStep: null }),
      anOpportunity({ Id: sfId(), SystemModstamp: '2026-05-01T08:00:00.000Z', IsClosed: true, IsWon: false, StageName: 'Closed Lost' }),
    ];
    let jobBody: Record<string, unknown> | undefined;
    const scope = nock(INSTANCE)
      .get(`${V}/query`)
      .query(soqlMatching((q) => q === 'SELECT COUNT() FROM Opportunity'))
      .reply(200, { totalSize: 3, done: true, records: [] }, sfHeaders())
      .post(`${V}/jobs/query`, (b) => {
        jobBody = b;
        return true;
      })
      .reply(
        200,
        {
          id: JOB,
          operation: 'query',
          object: 'Opportunity',
          state: 'UploadComplete',
          contentType: 'CSV',
          apiVersion: 66.0,
          lineEnding: 'LF',
          columnDelimiter: 'COMMA',
        },
        sfHeaders(),
      )
      .get(`${V}/jobs/query/${JOB}`)
      .reply(200, { id: JOB, state: 'InProgress' }, sfHeaders())
      .get(`${V}/jobs/query/${JOB}`)
      .reply(200, { id: JOB, state: 'JobComplete', numberRecordsProcessed: 3 }, sfHeaders())
      .get(`${V}/jobs/query/${JOB}/results`)
      .query({ maxRecords: '2' })
      .reply(200, csv(rows.slice(0, 2)), csvHeaders('MjAwMDA', 2))
      .get(`${V}/jobs/query/${JOB}/results`)
      .query({ maxRecords: '2', locator: 'MjAwMDA' })
      .reply(200, csv(rows.slice(2)), csvHeaders('null', 1));
    const sf = await connectorFor(memoryCredentials(), {
      bulkThreshold: 2,
      bulk: { resultPageSize: 2, pollIntervalMs: 1, maxPollIntervalMs: 1, sleep: async () => undefined },
    });

    const pages = await allPages(sf.fetchChanges({ cursor: null }));

    expect(scope.isDone()).toBe(true);
    expect(jobBody).toMatchObject({ operation: 'query', contentType: 'CSV', columnDelimiter: 'COMMA', lineEnding: 'LF' });
    expect(String(jobBody!.query)).toMatch(/FROM Opportunity$/); // Bulk 2.0: no ORDER BY
    expect(pages.map((p) => p.records.length)).toEqual([2, 1]);
    expect(pages[0]!.cursor).toBeNull(); // unordered results: only the last page may move the cursor
    expect(decodeCursor(pages[1]!.cursor)!.ts.toISOString()).toBe('2026-05-01T09:00:00.000Z');
    const byId = new Map(pages.flatMap((p) => p.records).map((r) => [r.id, r]));
    expect(byId.get(rows[0]!.Id as string)!.data).toMatchObject({
      IsClosed: false,
      Amount: '125000',
      Account: { Industry: 'Electronics' },
    });
    expect(byId.get(rows[1]!.Id as string)!.data).toMatchObject({ NextStep: null, Account: { Name: null } });
    expect(sf.usage().calls).toBe(6);
  });

  it('maps a Bulk row to the same deal as the REST row of the same record', async () => {
    const row = anOpportunity({ Id: sfId(), SystemModstamp: '2026-05-01T07:25:37.000+0000' });
    nock(INSTANCE)
      .get(`${V}/query`)
      .query(soqlMatching((q) => q.startsWith('SELECT COUNT()')))
      .reply(200, { totalSize: 5, done: true, records: [] }, sfHeaders())
      .post(`${V}/jobs/query`)
      .reply(200, { id: JOB, state: 'UploadComplete' }, sfHeaders())
      .get(`${V}/jobs/query/${JOB}`)
      .reply(200, { id: JOB, state: 'JobComplete' }, sfHeaders())
      .get(`${V}/jobs/query/${JOB}/results`)
      .query(true)
      .reply(200, csv([{ ...row, SystemModstamp: '2026-05-01T07:25:37.000Z' }]), csvHeaders('null', 1))
      .get(`${V}/queryAll`)
      .query(true)
      .reply(200, queryPage([row]), sfHeaders());
    const sf = await connectorFor(memoryCredentials(), { bulkThreshold: 2 });
    const toDeal = compileMapping(salesforceMapping());

    const [bulkPage] = await allPages(sf.fetchChanges({ cursor: null }));
    const [restPage] = await allPages(sf.fetchChanges({ cursor: '2026-05-01T00:00:00Z' }));

    const a = toDeal(bulkPage!.records[0]!, { tenantId: 't' });
    const b = toDeal(restPage!.records[0]!, { tenantId: 't' });
    expect(a.ok && b.ok).toBe(true);
    if (a.ok && b.ok) expect(dealInputHash(a.deal)).toBe(dealInputHash(b.deal));
  });

  it('falls back to REST paging when the job fails', async () => {
    const scope = nock(INSTANCE)
      .get(`${V}/query`)
      .query(soqlMatching((q) => q.startsWith('SELECT COUNT()')))
      .reply(200, { totalSize: 5, done: true, records: [] }, sfHeaders())
      .post(`${V}/jobs/query`)
      .reply(200, { id: JOB, state: 'UploadComplete' }, sfHeaders())
      .get(`${V}/jobs/query/${JOB}`)
      .reply(200, { id: JOB, state: 'Failed', errorMessage: 'InternalServerError' }, sfHeaders())
      .get(`${V}/query`)
      .query(soqlMatching((q) => q.includes('ORDER BY SystemModstamp')))
      .reply(200, queryPage([anOpportunity({ SystemModstamp: '2026-05-01T07:25:37.000+0000' })]), sfHeaders());
    const sf = await connectorFor(memoryCredentials(), { bulkThreshold: 2 });

    const pages = await allPages(sf.fetchChanges({ cursor: null }));

    expect(scope.isDone()).toBe(true);
    expect(pages[0]!.records).toHaveLength(1);
    expect(sf.warnings.join('\n')).toMatch(/Bulk API 2.0 backfill failed .*failed: InternalServerError/);
  });
});
