import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fieldsFromRecords, inferType } from '../../../connectors/csv/describe-fields.ts';
import { createCsvConnector } from '../../../connectors/csv/index.ts';
import { parseMapping } from '../../../src/mapping/schema.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'dealrisk-describe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const byName = (fields: ReturnType<typeof fieldsFromRecords>) => new Map(fields.map((f) => [f.name, f]));

describe('fieldsFromRecords', () => {
  it('types columns from their values the way the mapping would read them', () => {
    expect(inferType(['$12,500', '8000', '(500)'])).toEqual({ type: 'number', valueType: 'number' });
    expect(inferType(['2012-03-27', '2013-01-15'])).toEqual({ type: 'date', valueType: 'date' });
    expect(inferType(['2012-03-27T14:05:00Z', '2013-01-15'])).toEqual({ type: 'datetime', valueType: 'datetime' });
    expect(inferType(['27-Mar-12', '3/27/2012'])).toEqual({ type: 'date (needs formats)', valueType: 'date' });
    expect(inferType(['Yes', 'no', 'TRUE'])).toEqual({ type: 'boolean', valueType: 'boolean' });
    expect(inferType(['1', '0'])).toEqual({ type: 'number', valueType: 'number' });
    expect(inferType(['Acme', '12'])).toEqual({ type: 'text', valueType: 'string' });
    expect(inferType([])).toEqual({ type: 'empty', valueType: 'string' });
  });

  it('follows nested objects as dotted paths, skips Salesforce attributes, and offers short text columns as options', () => {
    const fields = byName(
      fieldsFromRecords([
        {
          data: {
            Id: '006A',
            StageName: 'Closed Won',
            Account: { attributes: { type: 'Account', url: '/x' }, Industry: 'Retail' },
            _derived: { stageHistory: [{ stage: 'Won', enteredAt: '2026-01-01' }] },
          },
        },
        { data: { Id: '006B', StageName: 'Prospecting', Account: null, _derived: { stageHistory: [] } } },
      ]),
    );

    expect([...fields.keys()].sort()).toEqual(['Account.Industry', 'Id', 'StageName', '_derived.stageHistory']);
    expect(fields.get('Account.Industry')).toMatchObject({ origin: 'related', options: ['Retail'] });
    expect(fields.get('StageName')).toMatchObject({ origin: 'field', options: ['Closed Won', 'Prospecting'] });
    expect(fields.get('_derived.stageHistory')).toMatchObject({ origin: 'derived', valueType: 'stage_history' });
  });
});

describe('the CSV connector lists its columns', () => {
  it("lists the file's columns and its lookups' as the mapping names them, typed from the rows", async () => {
    const file = path.join(dir, 'opportunities.csv');
    writeFileSync(
      file,
      'Opportunity ID,Account,Stage,Amount,Created\nOPP-1,ACC-1,Closed Won,"$12,500",27-Mar-12\nOPP-2,ACC-2,Closed Lost,"$8,000",3-Apr-12\nOPP-3,ACC-9,Negotiation,"$30,000",15-Jan-13\n',
    );
    writeFileSync(path.join(dir, 'accounts.csv'), 'Account ID,Industry,Employees\nACC-1,Manufacturing,1200\nACC-2,Retail,300\n');
    const mapping = parseMapping(
      {
        source: 'csv',
        object: 'opportunities',
        id: 'Opportunity ID',
        lookups: { accounts: { file: 'accounts.csv', key: 'Account ID', on: 'Account' } },
        fields: { 'stage.status': { from: 'Stage', values: { 'Closed Won': 'won', 'Closed Lost': 'lost' }, otherwise: 'open' } },
      },
      'test mapping',
    );
    const fields = byName(await createCsvConnector({ tenantId: 't', mapping, file }).describeFields());

    expect(fields.get('Amount')).toMatchObject({ type: 'number', valueType: 'number' });
    expect(fields.get('Created')).toMatchObject({ type: 'date (needs formats)' });
    expect(fields.get('Stage')?.options).toEqual(['Closed Lost', 'Closed Won', 'Negotiation']);
    expect(fields.get('accounts.Industry')).toMatchObject({ origin: 'related', options: ['Manufacturing', 'Retail'] });
    expect(fields.get('accounts.Employees')).toMatchObject({ type: 'number' });
  });
});
