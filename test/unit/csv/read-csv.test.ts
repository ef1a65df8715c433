import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCsvDeals } from '../../../connectors/csv/index.ts';
import { loadMappingFile, MAPPINGS_DIR } from '../../../src/mapping/load.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'dealrisk-csv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const mapping = loadMappingFile(path.join(MAPPINGS_DIR, 'skygeni.csv.yaml'));
const HEADER =
  'deal_id,created_date,closed_date,sales_rep_id,industry,region,product_type,lead_source,deal_stage,deal_amount,sales_cycle_days,outcome';
const row = (id: string, rep = 'rep_1') => `${id},2024-01-02,2024-02-01,${rep},SaaS,Europe,Core,Inbound,Closed,1000,30,Won`;
const read = (name: string, lines: string[]) => {
  const file = path.join(dir, name);
  writeFileSync(file, lines.join('\n'));
  return readCsvDeals({ file, mapping, tenantId: 't' });
};

describe('reading a CSV with malformed lines', () => {
  it('reports a stray quote once, by the line it is on, and reads the lines around it', async () => {
    const r = await read('open.csv', [HEADER, row('A'), row('B', 'x "bad" y'), '', row('C')]);
    expect(r.deals.map((d) => d.externalId)).toEqual(['A', 'C']);
    expect(r.rows).toBe(3);
    expect(r.rejected).toEqual([
      {
        recordId: 'line-3',
        row: 3,
        field: 'sales_rep_id',
        reason: expect.stringMatching(/^INVALID_OPENING_QUOTE: Invalid Opening Quote: .* at line 3/),
      },
    ]);
  });

  it('says which lines a quote left open swallowed, rather than losing them silently', async () => {
    const r = await read('closing.csv', [HEADER, row('A'), row('B', '"rep"x'), row('C'), row('D')]);
    expect(r.deals.map((d) => d.externalId)).toEqual(['A']);
    expect(r.rejected).toEqual([
      { recordId: 'line-3', row: 3, field: 'sales_rep_id', reason: expect.stringContaining('CSV_INVALID_CLOSING_QUOTE') },
      {
        recordId: 'line-4',
        row: 4,
        field: 'sales_rep_id',
        reason: expect.stringMatching(/^CSV_QUOTE_NOT_CLOSED: .*\(lines 4-5 were not read\)$/),
      },
    ]);
  });

  it('says which lines were not read when csv-parse stops at text after a closing quote ("Acme" Inc), rather than losing them silently', async () => {
    // Found by the fuzz suite: csv-parse 6 (skip_records_with_error, trim) reads nothing more after
    // CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE, and 1,500 rows of a file vanished without a word.
    const r = await read('stopped.csv', [HEADER, row('A'), row('B', '"Acme" Inc'), row('C'), row('D')]);
    expect(r.deals.map((d) => d.externalId)).toEqual(['A']);
    expect(r.rejected).toEqual([
      { recordId: 'line-3', row: 3, field: 'sales_rep_id', reason: expect.stringContaining('CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE') },
      { recordId: 'line-4', row: 4, field: '(row)', reason: expect.stringContaining('lines 4 to the end of the file were not read') },
    ]);
    // Carriage returns inside quotes make csv-parse's line numbers run ahead of the file's lines.
    const cr = await read('stopped-cr.csv', [HEADER, row('A', '"r\r\r\r\r\r\r1"'), row('B', '"Acme" Inc'), row('C')]);
    expect(cr.deals.map((d) => d.externalId)).toEqual(['A']);
    expect(cr.rejected.map((x) => x.reason)).toEqual([
      expect.stringContaining('CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE'),
      expect.stringContaining('to the end of the file were not read'),
    ]);
    // Blank lines after the last row are nothing lost.
    expect((await read('trailing.csv', [HEADER, row('A'), row('B'), '', '', '  '])).rejected).toEqual([]);
  });
});
