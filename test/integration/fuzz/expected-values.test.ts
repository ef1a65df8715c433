import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadMappingFile, MAPPINGS_DIR } from '../../../src/mapping/load.ts';
import { compileMapping } from '../../../src/mapping/to-deal.ts';
import { csvExpected, csvRow } from './helpers/csv-target.ts';
import { type SalesforceEdit, salesforceExpected } from './helpers/salesforce-target.ts';

/**
 * The fuzz suite's expected values are its own model of the shipped mappings: where that model
 * and the mapping disagree, the suite blames a correct sync. Text that names what every plain
 * object inherits ("constructor", "toString", "__proto__") finds nothing in a mapping's `values`,
 * and must find nothing in the model either.
 */
const INHERITED = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'];
const map = (file: string) => compileMapping(loadMappingFile(path.join(MAPPINGS_DIR, file)));

describe('fuzz: the expected-value model agrees with the shipped mappings', () => {
  it('expects a Salesforce Type the mapping does not list to land as no deal type, whatever its name', () => {
    const toDeal = map('salesforce.yaml');
    const edit = (Type: string): SalesforceEdit => ({
      Name: 'Deal',
      Amount: { kind: 'number', value: 1000 },
      amountAsText: false,
      CloseDate: { kind: 'instant', at: Date.parse('2027-01-01T00:00:00Z') },
      NextStep: '',
      LeadSource: '',
      Type,
      Probability: { kind: 'blank' },
    });
    for (const Type of [...INHERITED, ' Renewal\u0000', 'Existing Customer - Upgrade']) {
      const r = toDeal(
        {
          id: '006Dx000000014eIAA',
          data: {
            Id: '006Dx000000014eIAA',
            Name: 'Deal',
            Amount: 1000,
            IsClosed: false,
            IsWon: false,
            StageName: 'Prospecting',
            CloseDate: '2027-01-01',
            // As a sync maps it: the text made storable (NUL removed) first.
            Type: Type.replaceAll('\u0000', ''),
            _derived: { stageHistory: [] },
          },
        },
        { tenantId: 't', source: 'salesforce' },
      );
      if (!r.ok) throw new Error(`the mapping refused Type ${JSON.stringify(Type)}: ${r.error.reason}`);
      const want = salesforceExpected('006Dx000000014eIAA', edit(Type), { createdAt: 0, closed: false });
      expect(want.verdict, Type).toBe('good');
      expect(want.values.dealType, Type).toBe(r.deal.dealType ?? null);
    }
  });

  it('expects a CSV outcome the mapping does not list to be rejected naming stage.status, whatever its name', () => {
    const toDeal = map('skygeni.csv.yaml');
    // A valid row (the generator's first branch) with its outcome replaced.
    const good = fc.sample(csvRow, { seed: 1, numRuns: 200 }).find((r) => csvExpected(r, 'd-1', 2).verdict === 'good')!;
    for (const outcome of INHERITED) {
      const r = toDeal(
        { id: 'line-2', row: 2, data: { deal_id: 'd-1', outcome, deal_amount: '1000', created_date: '2026-01-05' } },
        { tenantId: 't', source: 'csv' },
      );
      expect(r.ok ? null : r.error.field, outcome).toBe('stage.status');
      const want = csvExpected({ ...good, outcome }, 'd-1', 2);
      expect(want.verdict, outcome).toBe('bad');
      expect(want.suspects, outcome).toContain('stage.status');
    }
  });
});
