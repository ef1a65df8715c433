import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsvDeals } from '../../../connectors/csv/index.ts';
import { loadMappingFile, MAPPINGS_DIR } from '../../../src/mapping/load.ts';
import { type MappingInput, parseMapping } from '../../../src/mapping/schema.ts';
import { compileMapping, readPath } from '../../../src/mapping/to-deal.ts';

const sfLike: MappingInput = {
  source: 'salesforce',
  object: 'Opportunity',
  id: 'Id',
  fields: {
    name: { from: 'Name' },
    amount: { from: 'Amount', type: 'number' },
    'stage.label': { from: 'StageName' },
    'stage.status': { template: '{IsClosed}/{IsWon}', values: { 'false/false': 'open', 'true/true': 'won', 'true/false': 'lost' } },
    createdAt: { from: 'CreatedDate', type: 'datetime' },
    expectedCloseDate: { from: 'CloseDate', type: 'date' },
    'account.industry': { from: 'Account.Industry' },
    'owner.name': { from: 'Owner.Name' },
    crmProbability: { from: 'Probability', type: 'percent' },
    dealType: {
      from: 'Type',
      values: { 'New Customer': 'new', 'Existing Customer - Upgrade': 'expansion', Renewal: 'renewal' },
      otherwise: null,
    },
    'extras.competitor': { from: 'Main_Competitor__c' },
  },
};

const record = {
  Id: '006A',
  Name: 'Big deal',
  Amount: 15000,
  StageName: 'Negotiation/Review',
  IsClosed: false,
  IsWon: false,
  CreatedDate: '2026-05-01T07:25:37.000+0000',
  CloseDate: '2026-12-15',
  Account: { Industry: 'Biotechnology' },
  Owner: { Name: 'Ada Lovelace' },
  Probability: 90,
  Type: 'New Customer',
  Main_Competitor__c: 'Globex',
};

describe('mapping a record', () => {
  const map = compileMapping(parseMapping(sfLike, 'test'));

  it('maps nested relationship fields, templates, percents and value maps', () => {
    const r = map({ id: '006A', data: record }, { tenantId: 't1' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.deal).toMatchObject({
      tenantId: 't1',
      source: 'salesforce',
      externalId: '006A',
      amount: 15000,
      stage: { label: 'Negotiation/Review', status: 'open' },
      account: { industry: 'Biotechnology' },
      owner: { name: 'Ada Lovelace' },
      crmProbability: 0.9,
      dealType: 'new',
      extras: { competitor: 'Globex' },
    });
    expect(r.deal.createdAt?.toISOString()).toBe('2026-05-01T07:25:37.000Z');
    expect(r.deal.expectedCloseDate?.toISOString()).toBe('2026-12-15T00:00:00.000Z');
  });

  it('derives won and lost from IsClosed/IsWon, not from the stage label', () => {
    const won = map({ id: 'x', data: { ...record, StageName: 'Lost in space', IsClosed: true, IsWon: true } }, { tenantId: 't1' });
    expect(won.ok && won.deal.stage.status).toBe('won');
  });

  it('names the record and field when a value cannot be parsed', () => {
    const r = map({ id: '006B', data: { ...record, Id: '006B', Amount: 'a lot' } }, { tenantId: 't1' });
    expect(r).toEqual({ ok: false, error: { recordId: '006B', field: 'amount', reason: 'not a number: "a lot"' } });
  });

  it('uses otherwise for unlisted values, and refuses them without it', () => {
    const other = map({ id: 'x', data: { ...record, Type: 'Something new' } }, { tenantId: 't1' });
    expect(other.ok && other.deal.dealType).toBeNull();
    const strict = compileMapping(
      parseMapping({ ...sfLike, fields: { ...sfLike.fields, dealType: { from: 'Type', values: { Renewal: 'renewal' } } } }, 't'),
    );
    const r = strict({ id: 'x', data: record }, { tenantId: 't1' });
    expect(!r.ok && r.error).toMatchObject({ field: 'dealType', reason: expect.stringContaining('"New Customer" is not in the mapping') });
  });

  it('rejects a record whose id is an object or a list, naming the id, instead of storing it as "[object Object]"', () => {
    // Found by the fuzz suite: every record of a mapping whose id pointed at an object landed as one deal "[object Object]".
    for (const Id of [{ Name: 'Acme' }, ['006A'], []]) {
      const r = map({ id: 'crm-7', data: { ...record, Id } }, { tenantId: 't1' });
      expect(r).toEqual({
        ok: false,
        error: { recordId: 'crm-7', field: 'Id', reason: expect.stringContaining('is not text or a number') },
      });
    }
    expect(map({ id: 'x', data: { ...record, Id: 6021 } }, { tenantId: 't1' })).toMatchObject({ ok: true, deal: { externalId: '6021' } });
  });

  it('prefers an exact key with dots over nesting (CSV headers)', () => {
    expect(readPath({ 'a.b': 1, a: { b: 2 } }, 'a.b')).toBe(1);
    expect(readPath({ a: { b: 2 } }, 'a.b')).toBe(2);
  });
});

describe('CSV import', () => {
  it('imports the good rows and reports the 3 bad ones with line numbers and reasons', async () => {
    const mapping = loadMappingFile(path.join(MAPPINGS_DIR, 'skygeni.csv.yaml'));
    const file = path.resolve(import.meta.dirname, '../../fixtures/csv/three-bad-rows.csv');
    const r = await readCsvDeals({ file, mapping, tenantId: 'local' });
    expect(r.rows).toBe(7);
    expect(r.deals.map((d) => d.externalId)).toEqual(['G1', 'G2', 'G3', 'G4']);
    expect(r.deals[0]!.amount).toBe(12500);
    expect(r.deals[1]!.stage.status).toBe('open');
    expect(r.rejected).toEqual([
      { recordId: 'B1', row: 3, field: 'createdAt', reason: 'no such date: "2024-13-40"' },
      { recordId: 'B2', row: 5, field: 'amount', reason: 'not a number: "lots"' },
      { recordId: 'B3', row: 7, field: 'stage.status', reason: expect.stringContaining('"Maybe" is not in the mapping') },
    ]);
  });
});
