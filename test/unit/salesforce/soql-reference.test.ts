import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseQuery, type Query, type WhereClause } from 'soql-parser-js';
import { describe, expect, it } from 'vitest';
import { riskFieldDefinitions } from '../../../connectors/salesforce/field-definitions.ts';
import { DEFAULT_TASK_KEY_FIELD } from '../../../connectors/salesforce/index.ts';
import * as soql from '../../../connectors/salesforce/soql.ts';
import { defaultMapping } from '../../../src/mapping/load.ts';
import { sourcePaths } from '../../../src/mapping/schema.ts';
import { OBJECT_REFERENCE, type SfFieldType } from './object-reference.ts';

// Every SOQL shape the connector can build, through its own builders, parsed by a SOQL parser
// nobody here wrote (soql-parser-js) and checked against Salesforce's object reference
// (./object-reference.ts, written from Salesforce's docs, not from the sandbox's schema).

const mapping = defaultMapping('salesforce');
const FIELDS = soql.selectList(sourcePaths(mapping));
const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `006dM0000${String(i).padStart(6, '0')}AAA`);
const AT = new Date('2026-05-02T09:00:00.250Z');
const page = (n: number) => ids(n).map((id, i) => ({ id, modifiedAt: new Date(AT.getTime() + i * 1000) }));
const SCOPES: soql.PageScope[] = [{ kind: 'ids', ids: ids(3) }, soql.pageScope(page(250), 'modstamp'), soql.pageScope(page(250), 'id')];

/** Each query builder of soql.ts, with every shape it can take. */
const SHAPES: Record<string, () => string[]> = {
  opportunityQuery: () => [
    soql.opportunityQuery({ fields: FIELDS, since: null }),
    soql.opportunityQuery({ fields: FIELDS, since: AT }),
    soql.opportunityQuery({ fields: FIELDS, since: null, after: { ts: AT, lastId: ids(1)[0]! } }),
    soql.opportunityQuery({ fields: FIELDS, since: null, ordered: false }),
    soql.opportunityQuery({ fields: [...soql.SYSTEM_FIELDS], since: AT }),
  ],
  opportunityCountQuery: () => [soql.opportunityCountQuery()],
  opportunitiesByIdQuery: () => [
    soql.opportunitiesByIdQuery(FIELDS, ids(1)),
    soql
      .chunkForUri(ids(500), soql.IN_LIST_MAX, (c) => soql.opportunitiesByIdQuery(FIELDS, c))
      .map((c) => soql.opportunitiesByIdQuery(FIELDS, c))[0]!,
  ],
  changedOpportunitiesQuery: () => [
    soql.changedOpportunitiesQuery(null, 500),
    soql.changedOpportunitiesQuery(AT, 501),
    soql.changedOpportunitiesQuery(AT, 501, true),
  ],
  stageQuery: () => [soql.stageQuery(true), soql.stageQuery(false)],
  opportunityHistoryQuery: () => SCOPES.map(soql.opportunityHistoryQuery),
  fieldHistoryQuery: () => SCOPES.map(soql.fieldHistoryQuery),
  // The count queries the connector sends: the first URI-bounded chunk of a full page of ids.
  openTaskCountQuery: () => [
    soql.openTaskCountQuery(
      soql.chunkForUri(ids(2000), soql.AGGREGATE_IDS_MAX, (c) => soql.openTaskCountQuery(c, DEFAULT_TASK_KEY_FIELD))[0]!,
      DEFAULT_TASK_KEY_FIELD,
    ),
    soql.openTaskCountQuery(ids(1), null),
  ],
  contactRoleCountQuery: () => [
    soql.contactRoleCountQuery(soql.chunkForUri(ids(2000), soql.AGGREGATE_IDS_MAX, soql.contactRoleCountQuery)[0]!),
  ],
  tasksByKeyQuery: () => [soql.tasksByKeyQuery(DEFAULT_TASK_KEY_FIELD, [`${ids(1)[0]}:call-buyer`, "o'brien\\renewal"])],
  keyedTasksChangedQuery: () => [soql.keyedTasksChangedQuery(DEFAULT_TASK_KEY_FIELD, AT)],
  ownersQuery: () => [soql.ownersQuery(ids(soql.IN_LIST_MAX))],
  permissionSetByNameQuery: () => [soql.permissionSetByNameQuery('DealRisk_Integration')],
  permissionSetAssignmentQuery: () => [soql.permissionSetAssignmentQuery('005dM00000AbCdEAAA', '0PSdM00000DealRkAA')],
  currencyTypeQuery: () => [soql.currencyTypeQuery()],
  datedConversionRateQuery: () => [soql.datedConversionRateQuery()],
};

/** Exports of soql.ts that build no query of their own (fragments and helpers the shapes above use). */
const HELPERS = ['soqlString', 'soqlDateTime', 'selectList', 'pageScope', 'scopeFilter', 'chunkForUri', 'invalidFieldIn'];

/** Custom fields the connector itself defines (setup creates them): Task fields live on Activity. */
const CUSTOM = new Map<string, Set<string>>();
for (const d of riskFieldDefinitions(mapping.writeBack!)) {
  const [object, field] = d.fullName.split('.') as [string, string];
  const on = object === 'Activity' ? 'Task' : object;
  (CUSTOM.get(on) ?? CUSTOM.set(on, new Set()).get(on)!).add(field);
}

function fieldType(object: string, field: string): SfFieldType | 'custom' | undefined {
  const ref = OBJECT_REFERENCE[object];
  if (!ref) throw new Error(`object ${object} is not in the object reference`);
  return ref.fields[field] ?? (CUSTOM.get(object)?.has(field) ? 'custom' : undefined);
}

/** Walks a (relationship) path from an object; returns the leaf's type or throws naming the part. */
function resolvePath(object: string, pathText: string): SfFieldType | 'custom' {
  const parts = pathText.split('.');
  let current = object;
  for (const rel of parts.slice(0, -1)) {
    const target = OBJECT_REFERENCE[current]?.relationships[rel];
    if (!target) throw new Error(`${current} has no relationship ${rel} (in ${pathText})`);
    current = target;
  }
  const type = fieldType(current, parts.at(-1)!);
  if (!type) throw new Error(`${current} has no field ${parts.at(-1)} (in ${pathText})`);
  return type;
}

const LITERALS: Record<string, ReadonlyArray<SfFieldType | 'custom'>> = {
  DATETIME: ['datetime'],
  DATE: ['date'],
  BOOLEAN: ['boolean'],
  STRING: ['id', 'reference', 'string', 'picklist', 'textarea', 'custom'],
  INTEGER: ['int', 'double', 'currency', 'percent'],
  DECIMAL: ['double', 'currency', 'percent'],
};

function checkWhere(object: string, where: WhereClause | undefined, problems: string[]): void {
  if (!where) return;
  const left = where.left as unknown as Record<string, unknown> | null;
  if (left && typeof left.field === 'string') {
    const type = resolvePath(object, left.field);
    if (left.valueQuery) {
      const sub = left.valueQuery as Query;
      if (type !== 'id' && type !== 'reference') problems.push(`${object}.${left.field} takes a semi-join but is ${type}`);
      checkQuery(sub, problems);
    } else {
      for (const lit of [left.literalType ?? []].flat() as string[]) {
        if (lit === 'NULL') continue;
        if (!LITERALS[lit]?.includes(type)) problems.push(`${object}.${left.field} (${type}) compared with a ${lit} literal`);
      }
    }
  }
  if ('right' in where && where.right) checkWhere(object, where.right, problems);
}

function checkQuery(q: Query, problems: string[]): void {
  const object = q.sObject!;
  if (!OBJECT_REFERENCE[object]) {
    problems.push(`unknown object ${object}`);
    return;
  }
  const check = (p: string) => {
    try {
      resolvePath(object, p);
    } catch (e) {
      problems.push((e as Error).message);
    }
  };
  for (const f of q.fields ?? []) {
    if (f.type === 'Field') check(f.field);
    else if (f.type === 'FieldRelationship') check([...f.relationships, f.field].join('.'));
    else if (f.type === 'FieldFunctionExpression')
      for (const p of f.parameters) typeof p === 'string' ? check(p) : problems.push(`nested function ${p.rawValue}`);
    else problems.push(`unexpected select item ${f.type}`);
  }
  for (const o of [q.orderBy ?? []].flat()) 'field' in o ? check(o.field) : problems.push('ORDER BY a function');
  for (const g of [q.groupBy ?? []].flat()) 'field' in g ? check(g.field) : problems.push('GROUP BY a function');
  try {
    checkWhere(object, q.where, problems);
  } catch (e) {
    problems.push((e as Error).message);
  }
}

describe('every SOQL shape the Salesforce connector builds', () => {
  it('has a shape here for every query builder soql.ts exports (a new builder must add its shapes)', () => {
    const exported = Object.entries(soql)
      .filter(([, v]) => typeof v === 'function')
      .map(([k]) => k)
      .sort();
    expect(exported).toEqual([...Object.keys(SHAPES), ...HELPERS].sort());
  });

  it('keeps every query of connectors/salesforce in soql.ts', () => {
    const dir = path.resolve('connectors/salesforce');
    const offenders = readdirSync(dir)
      .filter((f) => f.endsWith('.ts') && f !== 'soql.ts')
      .filter((f) => /['"`]\s*SELECT\s/i.test(readFileSync(path.join(dir, f), 'utf8')));
    expect(offenders).toEqual([]);
  });

  for (const [builder, shapes] of Object.entries(SHAPES)) {
    it(`${builder}: parses with soql-parser-js, names only real objects, fields and relationships, and fits a GET URI`, () => {
      for (const text of shapes()) {
        const parsed = parseQuery(text);
        const problems: string[] = [];
        checkQuery(parsed, problems);
        expect(problems, text.slice(0, 200)).toEqual([]);
        // Sent in a GET URI: within the connector's bound, far inside Salesforce's 100,000-character statement limit.
        expect(encodeURIComponent(text).length, text.slice(0, 200)).toBeLessThanOrEqual(soql.ENCODED_SOQL_MAX);
      }
    });
  }

  it('would catch a misspelt field, a wrong relationship and a literal of the wrong type', () => {
    const problemsOf = (text: string) => {
      const problems: string[] = [];
      checkQuery(parseQuery(text), problems);
      return problems;
    };
    expect(problemsOf('SELECT Id, SystemModStampp FROM Opportunity')).toEqual([
      'Opportunity has no field SystemModStampp (in SystemModStampp)',
    ]);
    expect(problemsOf('SELECT Id, Owners.Name FROM Opportunity')).toEqual(['Opportunity has no relationship Owners (in Owners.Name)']);
    expect(problemsOf("SELECT Id FROM Opportunity WHERE SystemModstamp >= '2026-05-02'")).toEqual([
      'Opportunity.SystemModstamp (datetime) compared with a STRING literal',
    ]);
    expect(problemsOf('SELECT Id FROM Task WHERE Risk_Task_Key__c = null AND Other__c = null')).toEqual([
      'Task has no field Other__c (in Other__c)',
    ]);
  });
});
