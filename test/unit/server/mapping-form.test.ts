import { describe, expect, it } from 'vitest';
import { defaultMapping } from '../../../src/mapping/load.ts';
import { CANONICAL_FIELDS, parseMapping } from '../../../src/mapping/schema.ts';
import {
  FIELD_GROUPS,
  formToDoc,
  NULL_VALUE,
  postedFromBody,
  postedFromEntries,
  REJECT,
  validateDoc,
} from '../../../src/server/pages/mapping-form.ts';
import { previewRecord } from '../../../src/server/pages/mapping-preview.ts';

const base = {
  version: 1,
  source: 'salesforce',
  object: 'Opportunity',
  id: 'Id',
  fields: {
    name: { from: 'Name' },
    amount: { from: 'Amount', type: 'number', decimal: ',' },
    'stage.status': { template: '{IsClosed}/{IsWon}', values: { 'false/false': 'open', 'true/true': 'won', 'true/false': 'lost' } },
    'extras.vp': { from: 'VP__c', label: 'VP involved' },
    'extras.tier': { from: 'Tier__c' },
  },
  writeBack: {
    object: 'Opportunity',
    fields: { score: 'S', category: 'C', winProbability: 'W', drivers: 'D', action: 'A', scoredAt: 'T', modelStatus: 'M' },
  },
};

/** What the form posts: the base document and the given controls. */
const post = (controls: Array<[string, string]>, doc: unknown = base) => postedFromEntries([['base', JSON.stringify(doc)], ...controls]);

describe('the mapping form as data', () => {
  it('groups every canonical field exactly once', () => {
    const keys = FIELD_GROUPS.flatMap((g) => g.keys);
    expect([...keys].sort()).toEqual(Object.keys(CANONICAL_FIELDS).sort());
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('changes only what the rows say and keeps every key it has no control for', () => {
    const { doc, issues } = formToDoc(
      post([
        ['f.amount.from', 'ExpectedRevenue'],
        ['f.amount.type', 'number'],
        ['f.amount.default', '0'],
      ]),
    );

    expect(issues).toEqual([]);
    expect(doc).toEqual({
      ...base,
      fields: { ...base.fields, amount: { from: 'ExpectedRevenue', type: 'number', decimal: ',', default: 0 } },
    });
  });

  it('unmaps a field whose source, template and default are all emptied, and maps a new one', () => {
    const { doc } = formToDoc(
      post([
        ['f.name.from', ''],
        ['f.name.default', ''],
        ['f.leadSource.from', 'LeadSource'],
        ['f.leadSource.default', 'Unknown'],
      ]),
    );
    const fields = doc.fields as Record<string, unknown>;

    expect(fields.name).toBeUndefined();
    expect(fields.leadSource).toEqual({ from: 'LeadSource', default: 'Unknown' });
  });

  it('writes a type only when it differs from the field default, or was written before', () => {
    const fields = (c: Array<[string, string]>) => formToDoc(post(c)).doc.fields as Record<string, Record<string, unknown>>;

    expect(
      fields([
        ['f.crmProbability.from', 'Probability'],
        ['f.crmProbability.type', 'fraction'],
      ]).crmProbability,
    ).toEqual({ from: 'Probability' });
    expect(
      fields([
        ['f.crmProbability.from', 'Probability'],
        ['f.crmProbability.type', 'percent'],
      ]).crmProbability,
    ).toEqual({ from: 'Probability', type: 'percent' });
    expect(
      fields([
        ['f.amount.from', 'Amount'],
        ['f.amount.type', 'number'],
      ]).amount!.type,
    ).toBe('number');
  });

  it('reads fallbacks, date formats (one a line) and a time zone', () => {
    const { doc } = formToDoc(
      post([
        ['f.closedAt.from', 'ClosedOn__c'],
        ['f.closedAt.from', ' CloseDate '],
        ['f.closedAt.from', ''],
        ['f.closedAt.formats', 'd-MMM-yy\r\n\r\nM/d/yyyy h:mm a\n'],
        ['f.closedAt.timezone', 'Europe/Paris'],
      ]),
    );

    expect((doc.fields as Record<string, unknown>).closedAt).toEqual({
      from: ['ClosedOn__c', 'CloseDate'],
      formats: ['d-MMM-yy', 'M/d/yyyy h:mm a'],
      timezone: 'Europe/Paris',
    });
  });

  it('builds a value map, with "(empty)" as null and the fallback for other values', () => {
    const status = (otherwise: string) =>
      (
        formToDoc(
          post([
            ['f.stage.status.from', 'StageName'],
            ['f.stage.status.template', ''],
            ['f.stage.status.vraw', 'Closed Won'],
            ['f.stage.status.vto', 'won'],
            ['f.stage.status.vraw', ' Closed Lost '],
            ['f.stage.status.vto', 'lost'],
            ['f.stage.status.vraw', 'Parked'],
            ['f.stage.status.vto', NULL_VALUE],
            ['f.stage.status.vraw', ''],
            ['f.stage.status.vto', ''],
            ['f.stage.status.otherwise', otherwise],
          ]),
        ).doc.fields as Record<string, unknown>
      )['stage.status'];

    expect(status('open')).toEqual({
      from: 'StageName',
      values: { 'Closed Won': 'won', 'Closed Lost': 'lost', Parked: null },
      otherwise: 'open',
    });
    expect(status(REJECT)).not.toHaveProperty('otherwise');
    expect(status(NULL_VALUE)).toMatchObject({ otherwise: null });
  });

  it('refuses a listed value left without a target, naming the value on its row', () => {
    const { issues } = formToDoc(
      post([
        ['f.dealType.from', 'Type'],
        ['f.dealType.vraw', 'Upsell'],
        ['f.dealType.vto', ''],
      ]),
    );

    expect(issues).toEqual([{ row: 'dealType', path: 'fields.dealType.values.Upsell', message: 'say what "Upsell" becomes, or clear it' }]);
  });

  it('renames an extra in place, keeps its other options, adds one and removes one', () => {
    const { doc, issues } = formToDoc(
      post([
        ['x.0.orig', 'extras.vp'],
        ['x.0.name', 'vice_president'],
        ['x.0.label', 'VP involved'],
        ['x.0.from', 'VP__c'],
        ['x.0.type', 'string'],
        ['x.1.orig', 'extras.tier'],
        ['x.1.name', 'tier'],
        ['x.1.remove', '1'],
        ['x.2.name', 'extras.seats'],
        ['x.2.from', 'Seats__c'],
        ['x.2.type', 'number'],
        ['x.2.label', ''],
      ]),
    );
    const fields = doc.fields as Record<string, unknown>;

    expect(issues).toEqual([]);
    expect(Object.keys(fields)).toEqual(['name', 'amount', 'stage.status', 'extras.vice_president', 'extras.seats']);
    expect(fields['extras.vice_president']).toEqual({ from: 'VP__c', label: 'VP involved' });
    expect(fields['extras.seats']).toEqual({ from: 'Seats__c', type: 'number' });
  });

  it('says which extra has no name, and which name is taken twice', () => {
    const nameless = formToDoc(
      post([
        ['x.5.name', ''],
        ['x.5.from', 'Seats__c'],
      ]),
    ).issues;
    const twice = formToDoc(
      post([
        ['x.5.name', 'seats'],
        ['x.5.from', 'A'],
        ['x.6.name', 'seats'],
        ['x.6.from', 'B'],
      ]),
    ).issues;

    expect(nameless).toEqual([{ row: 'x.5', path: 'fields.extras', message: 'give the extra a name: letters, digits and _' }]);
    expect(twice).toEqual([{ row: 'extras.seats', path: 'fields.extras.seats', message: 'extras.seats is named twice' }]);
  });

  it("places the loader's errors on their rows and the others above the form", () => {
    const { doc } = formToDoc(
      post([
        ['f.closedAt.from', 'CloseDate'],
        ['f.closedAt.formats', 'YYYY-MM-DD'],
        ['x.9.name', 'bad name'],
        ['x.9.from', 'X'],
      ]),
    );
    const { mapping, issues } = validateDoc({ ...doc, source: 'hubspot' }, 'salesforce');

    expect(mapping).toBeNull();
    expect(issues).toEqual(
      expect.arrayContaining([
        { row: 'closedAt', path: 'fields.closedAt.formats.0', message: 'unknown token "YYYY" (years are y, yy or yyyy)' },
        expect.objectContaining({ row: 'extras.bad name', path: 'fields.extras.bad name' }),
      ]),
    );
    expect(validateDoc({ ...base, source: 'hubspot', writeBack: undefined }, 'salesforce').issues).toEqual([
      { row: null, path: 'source', message: 'expected "salesforce", got "hubspot"' },
    ]);
    expect(validateDoc(base, 'salesforce').mapping).not.toBeNull();
  });

  it('refuses what no form of ours posts: no base, a base that is not a document, too many controls, non-text values', () => {
    expect(() => formToDoc(postedFromEntries([['f.name.from', 'Name']]))).toThrow(/base: missing/);
    expect(() => formToDoc(postedFromEntries([['base', '{"fields":']]))).toThrow(/base: not JSON/);
    expect(() => formToDoc(postedFromEntries([['base', '[1]']]))).toThrow(/expected a mapping document/);
    expect(() => postedFromEntries(Array.from({ length: 201 }, (_, i): [string, string] => [`f.x${i}`, '']))).toThrow(
      /201 controls posted/,
    );
    expect(() => postedFromBody({ 'f.name.from': { $gt: '' } })).toThrow(/f\.name\.from: expected text/);
    expect(() => postedFromBody({ 'f.name.from': ['a', 2] })).toThrow(/expected text/);
  });
});

describe('previewRecord', () => {
  const mapping = parseMapping(
    {
      ...base,
      fields: { ...base.fields, amount: { from: 'Amount', type: 'number' }, crmProbability: { from: 'Probability', type: 'percent' } },
    },
    'test',
  );

  it('names every field that rejects a record and keeps the values of the others', () => {
    const r = previewRecord(
      mapping,
      { id: '006A', data: { Id: '006A', Name: 'Acme', Amount: 'lots', Probability: 'high', IsClosed: false, IsWon: false } },
      { tenantId: 't', source: 'salesforce' },
    );

    expect(r.deal).toBeNull();
    expect([...r.problems.keys()]).toEqual(['amount', 'crmProbability']);
    expect(r.problems.get('amount')).toBe('not a number: "lots"');
    expect(r.values?.name).toBe('Acme');
    expect(r.values?.stage.status).toBe('open');
  });

  it('still shows the other values when stage.status itself rejects the record', () => {
    const r = previewRecord(
      mapping,
      { id: '006B', data: { Id: '006B', Name: 'Globex', Amount: 10, IsClosed: 'maybe', IsWon: false } },
      { tenantId: 't', source: 'salesforce' },
    );

    expect([...r.problems.keys()]).toEqual(['stage.status']);
    expect(r.values?.amount).toBe(10);
  });

  it('maps a good record as the sync would', () => {
    const r = previewRecord(
      defaultMapping('salesforce'),
      {
        id: '006C',
        data: {
          Id: '006C',
          Name: 'Initech',
          Amount: 5,
          IsClosed: true,
          IsWon: true,
          StageName: 'Closed Won',
          _derived: { stageHistory: [] },
        },
      },
      { tenantId: 't', source: 'salesforce' },
    );

    expect(r.problems.size).toBe(0);
    expect(r.deal).toMatchObject({ name: 'Initech', amount: 5, stage: { status: 'won', label: 'Closed Won' } });
  });
});
