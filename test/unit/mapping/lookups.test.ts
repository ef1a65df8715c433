import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCsvConnector, readCsvDeals } from '../../../connectors/csv/index.ts';
import type { FetchPage } from '../../../connectors/types.ts';
import { type MappingInput, parseMapping } from '../../../src/mapping/schema.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'dealrisk-lookups-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** Writes files into a fresh folder; returns the folder. */
function files(contents: Record<string, string[]>): string {
  const d = path.join(dir, `case-${n++}`);
  mkdirSync(d);
  for (const [name, lines] of Object.entries(contents)) writeFileSync(path.join(d, name), `${lines.join('\n')}\n`);
  return d;
}

const OPPS = ['Id,Status,Account', 'O1,Won,A1', 'O2,Lost,A2', 'O3,Open,A9', 'O4,Won,'];
const ACCOUNTS = ['Account ID,Industry,Region,Owner', 'A1,Biotech,EMEA,U1', 'A2,Retail,APAC,U2'];

function mapping(overrides: Partial<MappingInput> = {}, lookup: Record<string, unknown> = {}) {
  return parseMapping(
    {
      source: 'csv',
      object: 'opportunities',
      id: 'Id',
      lookups: { accounts: { file: 'accounts.csv', key: 'Account ID', on: 'Account', ...lookup } },
      fields: {
        'stage.status': { from: 'Status', values: { Won: 'won', Lost: 'lost', Open: 'open' } },
        'account.id': { from: 'Account' },
        'account.industry': { from: 'accounts.Industry' },
        'account.region': { from: 'accounts.Region', default: 'Unknown' },
      },
      ...overrides,
    },
    'test mapping',
  );
}

describe('lookups: joining a related CSV file', () => {
  it('reads account fields from accounts.csv next to the main file, by key', async () => {
    const d = files({ 'opps.csv': OPPS, 'accounts.csv': ACCOUNTS });
    const r = await readCsvDeals({ file: path.join(d, 'opps.csv'), mapping: mapping(), tenantId: 't' });
    expect(r.rejected).toEqual([]);
    expect(r.deals.map((x) => [x.externalId, x.account.industry, x.account.region])).toEqual([
      ['O1', 'Biotech', 'EMEA'],
      ['O2', 'Retail', 'APAC'],
      ['O3', null, 'Unknown'],
      ['O4', null, 'Unknown'],
    ]);
    expect(r.lookups).toEqual([
      expect.objectContaining({
        lookup: 'accounts',
        file: path.join(d, 'accounts.csv'),
        rows: 2,
        missed: [{ row: 4, recordId: 'O3', key: 'A9' }],
      }),
    ]);
  });

  it('rejects a row whose key matches nothing when the lookup is required, naming the key and file', async () => {
    const d = files({ 'opps.csv': OPPS, 'accounts.csv': ACCOUNTS });
    const r = await readCsvDeals({ file: path.join(d, 'opps.csv'), mapping: mapping({}, { required: true }), tenantId: 't' });
    expect(r.deals.map((x) => x.externalId)).toEqual(['O1', 'O2']);
    expect(r.rejected).toEqual([
      { recordId: 'O3', row: 4, field: 'lookups.accounts', reason: 'no row of accounts.csv has Account ID "A9"' },
      { recordId: 'O4', row: 5, field: 'lookups.accounts', reason: 'Account is empty, so no row of accounts.csv can be joined' },
    ]);
  });

  it('reports a repeated key and rejects the rows that join it when its lines differ', async () => {
    const d = files({ 'opps.csv': OPPS, 'accounts.csv': [...ACCOUNTS, 'A1,Pharma,EMEA,U1', 'A2,Retail,APAC,U2'] });
    const r = await readCsvDeals({ file: path.join(d, 'opps.csv'), mapping: mapping(), tenantId: 't' });
    expect(r.lookups[0]!.repeated).toEqual([
      { key: 'A1', lines: [2, 4], identical: false },
      { key: 'A2', lines: [3, 5], identical: true },
    ]);
    expect(r.rejected).toEqual([
      {
        recordId: 'O1',
        row: 2,
        field: 'lookups.accounts',
        reason: 'Account ID "A1" is on lines 2 and 4 of accounts.csv with different values: which one is meant is unknown',
      },
    ]);
    expect(r.deals.find((x) => x.externalId === 'O2')!.account.industry).toBe('Retail');
  });

  it('joins a lookup on an earlier one (opportunity → account → owner)', async () => {
    const d = files({ 'opps.csv': OPPS, 'accounts.csv': ACCOUNTS, 'users.csv': ['User ID,Name', 'U1,Ada Lovelace', 'U2,Grace Hopper'] });
    const m = mapping({
      lookups: {
        accounts: { file: 'accounts.csv', key: 'Account ID', on: 'Account' },
        owners: { file: 'users.csv', key: 'User ID', on: 'accounts.Owner' },
      },
      fields: {
        'stage.status': { from: 'Status', values: { Won: 'won', Lost: 'lost', Open: 'open' } },
        'owner.name': { from: 'owners.Name' },
      },
    });
    const r = await readCsvDeals({ file: path.join(d, 'opps.csv'), mapping: m, tenantId: 't' });
    expect(r.deals.map((x) => x.owner.name)).toEqual(['Ada Lovelace', 'Grace Hopper', null, null]);
  });

  it('reads a lookup file by absolute path', async () => {
    const elsewhere = files({ 'accounts.csv': ACCOUNTS });
    const d = files({ 'opps.csv': OPPS });
    const m = mapping({}, { file: path.join(elsewhere, 'accounts.csv') });
    const r = await readCsvDeals({ file: path.join(d, 'opps.csv'), mapping: m, tenantId: 't' });
    expect(r.deals[0]!.account.industry).toBe('Biotech');
  });

  it('stops naming the lookup when its file or key column is missing', async () => {
    const d = files({ 'opps.csv': OPPS, 'accounts.csv': ['Id,Industry', 'A1,Biotech'] });
    await expect(
      readCsvDeals({ file: path.join(d, 'opps.csv'), mapping: mapping({}, { file: 'nope.csv' }), tenantId: 't' }),
    ).rejects.toThrow(`lookups.accounts.file: cannot read ${path.join(d, 'nope.csv')}`);
    await expect(readCsvDeals({ file: path.join(d, 'opps.csv'), mapping: mapping(), tenantId: 't' })).rejects.toThrow(
      `${path.join(d, 'accounts.csv')}: no column "Account ID" (lookups.accounts.key); its columns are Id, Industry`,
    );
  });

  it('refuses a main file with a column named like a lookup', async () => {
    const d = files({ 'opps.csv': ['Id,Status,Account,accounts', 'O1,Won,A1,x'], 'accounts.csv': ACCOUNTS });
    await expect(readCsvDeals({ file: path.join(d, 'opps.csv'), mapping: mapping(), tenantId: 't' })).rejects.toThrow(
      /has a column named "accounts"/,
    );
  });

  it('re-reads the files in a sync when only the lookup file changed', async () => {
    const d = files({ 'opps.csv': OPPS, 'accounts.csv': ACCOUNTS });
    const c = createCsvConnector({ tenantId: 't', mapping: mapping({}, { required: true }), file: path.join(d, 'opps.csv') });
    const pages = async (cursor: string | null): Promise<FetchPage[]> => {
      const out: FetchPage[] = [];
      for await (const p of c.fetchChanges({ cursor })) out.push(p);
      return out;
    };
    const first = await pages(null);
    expect(first[0]!.records.map((r) => (r.data.accounts as Record<string, string> | null)?.Industry)).toEqual(['Biotech', 'Retail']);
    expect(first[0]!.unreadable).toEqual([
      { id: 'O3', row: 4, field: 'lookups.accounts', reason: 'no row of accounts.csv has Account ID "A9"' },
      { id: 'O4', row: 5, field: 'lookups.accounts', reason: 'Account is empty, so no row of accounts.csv can be joined' },
    ]);
    const cursor = first.at(-1)!.cursor;
    expect(await pages(cursor)).toEqual([]);
    writeFileSync(path.join(d, 'accounts.csv'), `${[...ACCOUNTS, 'A9,Energy,AMER,U1'].join('\n')}\n`);
    const again = await pages(cursor);
    expect(again[0]!.records.map((r) => r.data.Id)).toEqual(['O1', 'O2', 'O3']);
  });
});

describe('lookups in the mapping schema', () => {
  const base = { object: 'x', id: 'Id', fields: { 'stage.status': { from: 'S' } } };

  it('are for CSV sources only', () => {
    expect(() =>
      parseMapping({ ...base, source: 'salesforce', lookups: { a: { file: 'a.csv', key: 'Id', on: 'AccountId' } } }, 'm.yaml'),
    ).toThrow('m.yaml: lookups: only csv sources read lookup files');
  });

  it('must be listed before a lookup that reads them', () => {
    const lookups = { owners: { file: 'u.csv', key: 'Id', on: 'accounts.Owner' }, accounts: { file: 'a.csv', key: 'Id', on: 'Account' } };
    expect(() => parseMapping({ ...base, source: 'csv', lookups }, 'm.yaml')).toThrow(
      'm.yaml: lookups.owners.on: reads lookup "accounts", which is not joined yet: list it before "owners"',
    );
  });
});
