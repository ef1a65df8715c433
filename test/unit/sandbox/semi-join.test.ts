import { describe, expect, it } from 'vitest';
import { runSoql, soqlErrorMessage } from '../../../sandbox/soql/evaluate.ts';
import { SoqlError } from '../../../sandbox/soql/parse.ts';
import type { Catalog, FieldDef, ObjectDef, Row } from '../../../sandbox/soql/schema.ts';

const NOW = Date.UTC(2026, 10, 24, 9);
const field = (name: string, type: FieldDef['type'], extra: Partial<FieldDef> = {}): FieldDef => ({
  name,
  type,
  label: name,
  custom: false,
  updateable: false,
  createable: false,
  nillable: true,
  ...extra,
});
const toOpp = { referenceTo: ['Opportunity'], relationshipName: 'Opportunity' };
const object = (name: string, fields: FieldDef[], extra: Partial<ObjectDef> = {}): ObjectDef => ({
  name,
  label: name,
  labelPlural: name,
  keyPrefix: '000',
  createable: true,
  updateable: true,
  deletable: true,
  fields,
  childRelationships: [],
  ...extra,
});
const OBJECTS = [
  object(
    'Opportunity',
    [
      field('Id', 'id'),
      field('Name', 'string'),
      field('SystemModstamp', 'datetime'),
      field('IsClosed', 'boolean'),
      field('AccountId', 'reference', { referenceTo: ['Account'], relationshipName: 'Account' }),
    ],
    {
      childRelationships: [{ relationshipName: 'OpportunityHistories', childSObject: 'OpportunityHistory', field: 'OpportunityId' }],
    },
  ),
  object('OpportunityHistory', [
    field('Id', 'id'),
    field('OpportunityId', 'reference', toOpp),
    field('StageName', 'picklist'),
    field('CreatedDate', 'datetime'),
  ]),
  object('Task', [
    field('Id', 'id'),
    field('WhatId', 'reference', { referenceTo: ['Opportunity'], relationshipName: 'What' }),
    field('IsClosed', 'boolean'),
    field('Subject', 'string'),
  ]),
  object('Account', [field('Id', 'id'), field('Name', 'string')]),
];

const row = (values: Record<string, unknown>): Row => ({ id: String(values.Id), get: (f) => values[f] ?? null });
// Sandbox-shaped ids that differ only in the case of one character: 'B' sorts before 'a'.
const OPP_B = '006Dx000000000BAAA';
const OPP_a = '006Dx000000000aAAA';
const OPP_c = '006Dx000000000cAAA';
const anOpp = (over: Record<string, unknown>) => ({
  Name: 'Deal',
  SystemModstamp: NOW - 3_600_000,
  IsClosed: false,
  AccountId: null,
  ...over,
});
const aHistory = (n: number, opp: string, stage: string) => ({
  Id: `008Dx00000000${n}`,
  OpportunityId: opp,
  StageName: stage,
  CreatedDate: NOW - n * 60_000,
});
const aTask = (n: number, opp: string, closed: boolean) => ({ Id: `00TDx00000000${n}`, WhatId: opp, IsClosed: closed, Subject: 'Call' });

function catalog(): Catalog {
  const rows: Record<string, Row[]> = {
    Opportunity: [anOpp({ Id: OPP_B, SystemModstamp: NOW - 10_000 }), anOpp({ Id: OPP_a }), anOpp({ Id: OPP_c, IsClosed: true })].map(row),
    OpportunityHistory: [
      aHistory(1, OPP_B, 'Prospecting'),
      aHistory(2, OPP_B, 'Qualification'),
      aHistory(3, OPP_a, 'Prospecting'),
      aHistory(4, OPP_c, 'Closed Won'),
    ].map(row),
    Task: [aTask(1, OPP_B, false), aTask(2, OPP_B, false), aTask(3, OPP_B, true), aTask(4, OPP_a, false), aTask(5, OPP_c, false)].map(row),
    Account: [],
  };
  return {
    describe: (o) => OBJECTS.find((x) => x.name.toLowerCase() === o.toLowerCase()) ?? null,
    rows: (o) => rows[o] ?? [],
    byId: (o, id) => (rows[o] ?? []).find((r) => r.id === id) ?? null,
    children: (rel, parent) => (rows[rel.childSObject] ?? []).filter((r) => r.get(rel.field) === parent),
    now: () => NOW,
  };
}

const ids = (q: string) => runSoql(catalog(), q, { all: false }).rows.map((r) => r.id);
const since = new Date(NOW - 60_000).toISOString().replace('.000Z', 'Z');

function failure(q: string): { code: string; message: string } | null {
  try {
    runSoql(catalog(), q, { all: false });
  } catch (e) {
    if (e instanceof SoqlError) return { code: e.code, message: soqlErrorMessage(q, e).split('\n').pop()! };
    throw e;
  }
  return null;
}

describe('semi-joins and anti-joins in the sandbox SOQL subset', () => {
  it('keeps only the child rows whose parent the subquery selects, and NOT IN keeps the rest', () => {
    expect(
      ids(
        `SELECT Id FROM OpportunityHistory WHERE OpportunityId IN (SELECT Id FROM Opportunity WHERE SystemModstamp >= ${since}) ORDER BY CreatedDate`,
      ),
    ).toEqual(['008Dx000000002', '008Dx000000001']);
    expect(ids('SELECT Id FROM OpportunityHistory WHERE OpportunityId NOT IN (SELECT Id FROM Opportunity WHERE IsClosed = false)')).toEqual(
      ['008Dx000000004'],
    );
    expect(ids("SELECT Id FROM OpportunityHistory WHERE OpportunityId IN (SELECT Id FROM Opportunity WHERE Name = 'none')")).toEqual([]);
  });

  it('counts open tasks per opportunity with GROUP BY inside a semi-join, as the connector asks', () => {
    const a = runSoql(
      catalog(),
      'SELECT WhatId, COUNT(Id) n FROM Task WHERE WhatId IN (SELECT Id FROM Opportunity WHERE IsClosed = false) AND IsClosed = false GROUP BY WhatId',
      { all: false },
    );
    expect(a.aggregate).toEqual([
      { attributes: { type: 'AggregateResult' }, WhatId: OPP_B, n: 2 },
      { attributes: { type: 'AggregateResult' }, WhatId: OPP_a, n: 1 },
    ]);
  });

  it('orders and ranges ids by their case-sensitive body (0-9 < A-Z < a-z), matching 15 against 18 characters', () => {
    expect(ids('SELECT Id FROM Opportunity ORDER BY Id')).toEqual([OPP_B, OPP_a, OPP_c]);
    expect(
      ids(
        `SELECT Id FROM OpportunityHistory WHERE OpportunityId IN (SELECT Id FROM Opportunity WHERE Id >= '${OPP_B}' AND Id <= '${OPP_a}')`,
      ),
    ).toEqual(['008Dx000000001', '008Dx000000002', '008Dx000000003']);
    expect(ids(`SELECT Id FROM Opportunity WHERE Id = '${OPP_a.slice(0, 15)}'`)).toEqual([OPP_a]);
    expect(ids(`SELECT Id FROM Opportunity WHERE Id = '${OPP_a.slice(0, 15).toUpperCase()}'`)).toEqual([]);
  });

  it("refuses what Salesforce refuses, in Salesforce's words", () => {
    const semi = 'OpportunityId IN (SELECT Id FROM Opportunity WHERE IsClosed = false)';
    const cases: Array<[string, string]> = [
      [
        `SELECT Id FROM OpportunityHistory WHERE StageName = 'x' OR ${semi}`,
        "Semi join sub-selects are not allowed with the 'OR' operator",
      ],
      [
        `SELECT Id FROM OpportunityHistory WHERE StageName = 'x' AND (StageName = 'y' OR ${semi})`,
        'Semi join sub-selects are only allowed at the top level WHERE expressions and not in nested WHERE expressions.',
      ],
      [
        `SELECT Id FROM OpportunityHistory WHERE NOT ${semi}`,
        'Semi join sub-selects are only allowed at the top level WHERE expressions and not in nested WHERE expressions.',
      ],
      [`SELECT Id FROM OpportunityHistory WHERE ${semi} AND ${semi} AND ${semi}`, 'Maximum 2 semi join sub-selects are allowed'],
      [
        'SELECT Id FROM OpportunityHistory WHERE OpportunityId IN (SELECT Id FROM Opportunity WHERE Id IN (SELECT WhatId FROM Task))',
        'Nesting of semi join sub-selects is not supported',
      ],
      ['SELECT Id FROM Opportunity WHERE Id IN (SELECT WhatId FROM Task)', "Entity 'Task' is not supported for semi join inner selects"],
      ['SELECT Id FROM OpportunityHistory WHERE OpportunityId IN (SELECT Id, Name FROM Opportunity)', "unexpected token: ','"],
      [
        'SELECT Id FROM OpportunityHistory WHERE OpportunityId IN (SELECT Name FROM Opportunity)',
        "semi join sub selects can only query id fields, cannot use: 'Name'",
      ],
      [
        'SELECT Id FROM OpportunityHistory WHERE OpportunityId IN (SELECT COUNT(Id) FROM Opportunity)',
        "semi join sub selects can only query id fields, cannot use: 'COUNT(Id)'",
      ],
      [
        'SELECT Id FROM OpportunityHistory WHERE OpportunityId IN (SELECT Account.Id FROM Opportunity)',
        'inner select field cannot have more than one level of relationships',
      ],
      [
        'SELECT Id FROM Opportunity WHERE Id IN (SELECT Id FROM Opportunity)',
        'The inner and outer selects should not be on the same object type',
      ],
      ['SELECT Id FROM OpportunityHistory WHERE OpportunityId IN (SELECT Id FROM Opportunity ORDER BY Id)', 'unexpected token: ORDER'],
      [
        'SELECT Id FROM OpportunityHistory WHERE StageName IN (SELECT Id FROM Opportunity)',
        "semi join sub selects can only be compared with id fields, cannot use: 'StageName'",
      ],
      [
        `SELECT Id, (SELECT Id FROM OpportunityHistories WHERE ${semi}) FROM Opportunity`,
        'Semi join sub-selects are only allowed at the top level WHERE expressions and not in nested WHERE expressions.',
      ],
    ];
    for (const [q, message] of cases) expect(failure(q), q).toEqual({ code: 'MALFORMED_QUERY', message });
    expect(failure('SELECT Id FROM OpportunityHistory WHERE OpportunityId IN (SELECT Id FROM Opportunity WHERE Bogus__c = 1)')?.code).toBe(
      'INVALID_FIELD',
    );
    expect(failure('SELECT Id FROM OpportunityHistory WHERE OpportunityId IN (SELECT Id FROM Deal__c)')?.code).toBe('INVALID_TYPE');
  });
});
