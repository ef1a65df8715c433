import { describe, expect, it } from 'vitest';
import { runSoql, soqlErrorMessage } from '../../../sandbox/soql/evaluate.ts';
import { SoqlError } from '../../../sandbox/soql/parse.ts';
import type { Catalog, FieldDef, ObjectDef, Row } from '../../../sandbox/soql/schema.ts';

const NOW = Date.UTC(2026, 10, 24, 9);
const DAY = 86_400_000;

const field = (name: string, type: FieldDef['type'], extra: Partial<FieldDef> = {}): FieldDef => ({
  name,
  type,
  label: name,
  custom: false,
  updateable: true,
  createable: true,
  nillable: true,
  ...extra,
});
const OPP: ObjectDef = {
  name: 'Opportunity',
  label: 'Opportunity',
  labelPlural: 'Opportunities',
  keyPrefix: '006',
  createable: true,
  updateable: true,
  deletable: true,
  fields: [
    field('Id', 'id'),
    field('Name', 'string'),
    field('Amount', 'currency'),
    field('CloseDate', 'date'),
    field('SystemModstamp', 'datetime'),
    field('IsClosed', 'boolean'),
    field('StageName', 'picklist'),
    field('AccountId', 'reference', { referenceTo: ['Account'], relationshipName: 'Account' }),
  ],
  childRelationships: [{ relationshipName: 'OpportunityContactRoles', childSObject: 'OpportunityContactRole', field: 'OpportunityId' }],
};
const ACC: ObjectDef = {
  ...OPP,
  name: 'Account',
  keyPrefix: '001',
  fields: [field('Id', 'id'), field('Name', 'string'), field('Industry', 'picklist')],
  childRelationships: [],
};
const OCR: ObjectDef = {
  ...OPP,
  name: 'OpportunityContactRole',
  keyPrefix: '00K',
  fields: [
    field('Id', 'id'),
    field('OpportunityId', 'reference', { referenceTo: ['Opportunity'], relationshipName: 'Opportunity' }),
    field('Role', 'picklist'),
  ],
  childRelationships: [],
};

const row = (values: Record<string, unknown>): Row => ({ id: String(values.Id), get: (f) => values[f] ?? null });
const anOpp = (over: Record<string, unknown> = {}) => ({
  Id: '006000000000001AAA',
  Name: 'Acme',
  Amount: 1000,
  CloseDate: NOW + 10 * DAY,
  SystemModstamp: NOW - DAY,
  IsClosed: false,
  StageName: 'Prospecting',
  AccountId: '001000000000001AAA',
  ...over,
});

function catalog(opps: Array<Record<string, unknown>>): Catalog {
  const accounts = [row({ Id: '001000000000001AAA', Name: 'Acme Corp', Industry: 'Technology' })];
  const roles = [row({ Id: '00K000000000001AAA', OpportunityId: '006000000000001AAA', Role: 'Decision Maker' })];
  const objects: Record<string, ObjectDef> = { opportunity: OPP, account: ACC, opportunitycontactrole: OCR };
  const rows: Record<string, Row[]> = { Opportunity: opps.map(row), Account: accounts, OpportunityContactRole: roles };
  return {
    describe: (o) => objects[o.toLowerCase()] ?? null,
    rows: (o) => rows[o] ?? [],
    byId: (o, id) => (rows[o] ?? []).find((r) => r.id === id) ?? null,
    children: (rel, parent) => (rows[rel.childSObject] ?? []).filter((r) => r.get(rel.field) === parent),
    now: () => NOW,
  };
}

const ids = (cat: Catalog, q: string) => {
  const a = runSoql(cat, q, { all: false });
  return a.rows.map((r) => r.id);
};

describe('the sandbox SOQL subset', () => {
  it('nests relationship fields and child subqueries the way Salesforce renders them', () => {
    const a = runSoql(catalog([anOpp()]), 'SELECT Name, Account.Industry, (SELECT Role FROM OpportunityContactRoles) FROM Opportunity', {
      all: false,
    });
    expect(a.render(a.rows[0]!, '66.0')).toEqual({
      attributes: { type: 'Opportunity', url: '/services/data/v66.0/sobjects/Opportunity/006000000000001AAA' },
      Name: 'Acme',
      Account: { attributes: { type: 'Account', url: '/services/data/v66.0/sobjects/Account/001000000000001AAA' }, Industry: 'Technology' },
      OpportunityContactRoles: {
        totalSize: 1,
        done: true,
        records: [
          {
            attributes: { type: 'OpportunityContactRole', url: '/services/data/v66.0/sobjects/OpportunityContactRole/00K000000000001AAA' },
            Role: 'Decision Maker',
          },
        ],
      },
    });
    const none = runSoql(catalog([anOpp({ AccountId: null })]), 'SELECT Account.Industry FROM Opportunity', { all: false });
    expect(none.render(none.rows[0]!, '66.0').Account).toBeNull();
  });

  it('binds AND tighter than OR and honours parentheses', () => {
    const cat = catalog([
      anOpp({ Id: 'a', Amount: 10, IsClosed: true }),
      anOpp({ Id: 'b', Amount: 5000, IsClosed: false }),
      anOpp({ Id: 'c', Amount: 10, IsClosed: false }),
    ]);
    expect(ids(cat, 'SELECT Id FROM Opportunity WHERE IsClosed = true OR Amount > 100 AND IsClosed = false')).toEqual(['a', 'b']);
    expect(ids(cat, 'SELECT Id FROM Opportunity WHERE (IsClosed = true OR Amount > 100) AND IsClosed = false')).toEqual(['b']);
    expect(ids(cat, 'SELECT Id FROM Opportunity WHERE NOT IsClosed = true AND Amount < 100')).toEqual(['c']);
  });

  it('compares datetimes with offsets, and LAST_N_DAYS against the sandbox clock', () => {
    const cat = catalog([anOpp({ Id: 'old', SystemModstamp: NOW - 40 * DAY }), anOpp({ Id: 'new', SystemModstamp: NOW - 2 * DAY })]);
    expect(
      ids(cat, `SELECT Id FROM Opportunity WHERE SystemModstamp >= ${new Date(NOW - 3 * DAY).toISOString().replace('Z', '+00:00')}`),
    ).toEqual(['new']);
    expect(ids(cat, 'SELECT Id FROM Opportunity WHERE SystemModstamp = LAST_N_DAYS:30')).toEqual(['new']);
    expect(ids(cat, `SELECT Id FROM Opportunity WHERE CloseDate > ${new Date(NOW).toISOString().slice(0, 10)}`)).toEqual(['old', 'new']);
  });

  it('matches IN, NOT IN and LIKE case-insensitively, and 15-character ids against 18', () => {
    const cat = catalog([
      anOpp({ Id: 'x', StageName: 'Closed Won', Name: 'Big Deal' }),
      anOpp({ Id: 'y', StageName: 'Prospecting', Name: 'small deal' }),
    ]);
    expect(ids(cat, "SELECT Id FROM Opportunity WHERE StageName IN ('closed won', 'Negotiation/Review')")).toEqual(['x']);
    expect(ids(cat, "SELECT Id FROM Opportunity WHERE StageName NOT IN ('Closed Won')")).toEqual(['y']);
    expect(ids(cat, "SELECT Id FROM Opportunity WHERE Name LIKE '%DEAL'")).toEqual(['x', 'y']);
    expect(ids(cat, "SELECT Id FROM Opportunity WHERE Name LIKE 'big%'")).toEqual(['x']);
    const acc = runSoql(catalog([]), "SELECT Id FROM Account WHERE Id = '001000000000001'", { all: false });
    expect(acc.rows).toHaveLength(1);
  });

  it('orders by several keys with nulls first ascending and last descending, then LIMIT and OFFSET', () => {
    const cat = catalog([
      anOpp({ Id: 'a', Amount: 5 }),
      anOpp({ Id: 'b', Amount: null }),
      anOpp({ Id: 'c', Amount: 9 }),
      anOpp({ Id: 'd', Amount: 5 }),
    ]);
    expect(ids(cat, 'SELECT Id FROM Opportunity ORDER BY Amount, Id')).toEqual(['b', 'a', 'd', 'c']);
    expect(ids(cat, 'SELECT Id FROM Opportunity ORDER BY Amount DESC, Id DESC')).toEqual(['c', 'd', 'a', 'b']);
    expect(ids(cat, 'SELECT Id FROM Opportunity ORDER BY Amount NULLS LAST, Id LIMIT 2 OFFSET 1')).toEqual(['d', 'c']);
  });

  it('answers COUNT() with totalSize only, and GROUP BY aggregates as AggregateResult rows', () => {
    const cat = catalog([
      anOpp({ Id: 'a', StageName: 'Won' }),
      anOpp({ Id: 'b', StageName: 'Won', Amount: 3000 }),
      anOpp({ Id: 'c', StageName: 'Lost' }),
    ]);
    const count = runSoql(cat, "SELECT COUNT() FROM Opportunity WHERE StageName = 'Won'", { all: false });
    expect(count.totalSize).toBe(2);
    const grouped = runSoql(cat, 'SELECT StageName, COUNT(Id), MAX(Amount) biggest FROM Opportunity GROUP BY StageName', { all: false });
    expect(grouped.aggregate).toEqual([
      { attributes: { type: 'AggregateResult' }, StageName: 'Won', expr0: 2, biggest: 3000 },
      { attributes: { type: 'AggregateResult' }, StageName: 'Lost', expr0: 1, biggest: 1000 },
    ]);
  });

  it("reports Salesforce's errors with the column of the offending token", () => {
    const cat = catalog([anOpp()]);
    const fail = (q: string) => {
      try {
        runSoql(cat, q, { all: false });
      } catch (e) {
        if (e instanceof SoqlError) return { code: e.code, message: soqlErrorMessage(q, e) };
      }
      return null;
    };
    expect(fail('SELECT Id, Risk_Score__c FROM Opportunity')).toEqual({
      code: 'INVALID_FIELD',
      message:
        "\nSELECT Id, Risk_Score__c FROM Opportunity\n           ^\nERROR at Row:1:Column:12\nNo such column 'Risk_Score__c' on entity 'Opportunity'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.",
    });
    expect(fail("SELECT Id FROM Opportunity WHERE SystemModstamp > '2026-01-01'")?.message).toContain(
      "value of filter criterion for field 'SystemModstamp' must be of type dateTime and should not be enclosed in quotes",
    );
    expect(fail('SELECT Id FROM Deal__c')?.code).toBe('INVALID_TYPE');
    expect(fail('SELECT Id FROM Opportunity WHERE')?.code).toBe('MALFORMED_QUERY');
    expect(fail('SELECT Id FROM Opportunity WHERE Amount > 5 AND')?.message).toContain('unexpected token: <EOF>');
  });
});
