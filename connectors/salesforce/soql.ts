/**
 * Pure SOQL builders: every query the connector sends is built here (test/unit/salesforce/
 * soql-reference.test.ts parses each shape with an independent parser). Every literal goes
 * through `soqlString`/`soqlDateTime`.
 */

/** Fields the connector needs whatever the mapping says (cursor, dedupe, status, deletes). */
export const SYSTEM_FIELDS = ['Id', 'SystemModstamp', 'IsClosed', 'IsWon', 'IsDeleted'] as const;

/** Relationship columns the connector derives values from when the mapping selects them. */
export const EMPLOYEES_PATH = 'Account.NumberOfEmployees';

const FIELD_PATH = /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$/;

/** Quotes a string literal: SOQL escapes `\` and `'` with a backslash. */
export function soqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** SOQL datetime literal in UTC, whole seconds (the overlap window covers the truncation). */
export function soqlDateTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Validated, de-duplicated select list: system fields first, then the mapping's paths. */
export function selectList(paths: readonly string[]): string[] {
  const out = new Set<string>(SYSTEM_FIELDS);
  for (const p of paths) {
    if (!FIELD_PATH.test(p)) throw new Error(`not a Salesforce field path: "${p}"`);
    if (!out.has(p)) out.add(p);
  }
  return [...out];
}

export interface OpportunityQuery {
  fields: readonly string[];
  /** Lower bound on SystemModstamp (inclusive); null for a full read. */
  since: Date | null;
  /** Keyset resume instead of `since`: rows strictly after (SystemModstamp, Id) = (ts, lastId). */
  after?: { ts: Date; lastId: string };
  /** Bulk API 2.0 does not take ORDER BY (it disables PK chunking). */
  ordered?: boolean;
}

/**
 * The change query, ordered by (SystemModstamp, Id) for paging: `SystemModstamp >= since`, or
 * the keyset `SystemModstamp > ts OR (SystemModstamp = ts AND Id > lastId)` (ts in whole seconds).
 */
export function opportunityQuery(q: OpportunityQuery): string {
  let soql = `SELECT ${q.fields.join(', ')} FROM Opportunity`;
  if (q.after) {
    const ts = soqlDateTime(q.after.ts);
    soql += ` WHERE (SystemModstamp > ${ts} OR (SystemModstamp = ${ts} AND Id > ${soqlString(q.after.lastId)}))`;
  } else if (q.since) soql += ` WHERE SystemModstamp >= ${soqlDateTime(q.since)}`;
  if (q.ordered !== false) soql += ' ORDER BY SystemModstamp ASC, Id ASC';
  return soql;
}

/** Named opportunities (real-time rescoring): at most IN_LIST_MAX ids, through chunkForUri. */
export function opportunitiesByIdQuery(fields: readonly string[], ids: readonly string[]): string {
  return `SELECT ${fields.join(', ')} FROM Opportunity WHERE Id IN (${ids.map(soqlString).join(', ')})`;
}

/**
 * The change poll: ids changed since `since` (whole seconds; at or after it, or strictly after
 * with `after`), oldest first, at most `limit`; with `since` null, the latest change alone (where
 * the poll starts from).
 */
export function changedOpportunitiesQuery(since: Date | null, limit: number, after = false): string {
  return since
    ? `SELECT Id, SystemModstamp FROM Opportunity WHERE SystemModstamp ${after ? '>' : '>='} ${soqlDateTime(since)} ORDER BY SystemModstamp ASC, Id ASC LIMIT ${limit}`
    : 'SELECT Id, SystemModstamp FROM Opportunity ORDER BY SystemModstamp DESC, Id DESC LIMIT 1';
}

/**
 * Which opportunities a history query covers. Small pages name their ids; larger ones use a
 * semi-join on the page's range of the order key, which keeps the URL short (an IN list of
 * 2,000 ids would pass the 16 KB URI limit). Rows for opportunities outside the page that
 * share the range are dropped by the caller.
 */
export type PageScope =
  | { kind: 'ids'; ids: readonly string[] }
  | { kind: 'modstamp'; from: Date; to: Date }
  | { kind: 'id-range'; from: string; to: string };

/** Pages up to this many records name their ids in an IN list (about 5 KB of URL). */
export const IN_LIST_MAX = 200;

export function pageScope(records: ReadonlyArray<{ id: string; modifiedAt: Date | null }>, order: 'modstamp' | 'id'): PageScope {
  if (records.length <= IN_LIST_MAX) return { kind: 'ids', ids: records.map((r) => r.id) };
  if (order === 'id') {
    const ids = records.map((r) => r.id).sort();
    return { kind: 'id-range', from: ids[0]!, to: ids[ids.length - 1]! };
  }
  const stamps = records.map((r) => r.modifiedAt?.getTime() ?? 0);
  return { kind: 'modstamp', from: new Date(Math.min(...stamps)), to: new Date(Math.max(...stamps)) };
}

/** `<field> IN (...)` restricting a related object to the page's opportunities. */
export function scopeFilter(field: string, scope: PageScope): string {
  switch (scope.kind) {
    case 'ids':
      return `${field} IN (${scope.ids.map(soqlString).join(', ')})`;
    case 'modstamp': {
      // SOQL datetimes are whole seconds: widen to the enclosing seconds so no record is lost.
      const to = new Date(Math.floor(scope.to.getTime() / 1000) * 1000 + 1000);
      return `${field} IN (SELECT Id FROM Opportunity WHERE SystemModstamp >= ${soqlDateTime(scope.from)} AND SystemModstamp < ${soqlDateTime(to)})`;
    }
    case 'id-range':
      return `${field} IN (SELECT Id FROM Opportunity WHERE Id >= ${soqlString(scope.from)} AND Id <= ${soqlString(scope.to)})`;
  }
}

/** How many opportunities a first sync would read (REST or Bulk API 2.0). */
export const opportunityCountQuery = (): string => 'SELECT COUNT() FROM Opportunity';

/** Setup: the permission set it saved, by API name. */
export const permissionSetByNameQuery = (name: string): string => `SELECT Id FROM PermissionSet WHERE Name = ${soqlString(name)}`;

/** Setup: whether the integration user already holds that permission set. */
export const permissionSetAssignmentQuery = (assigneeId: string, permissionSetId: string): string =>
  `SELECT Id FROM PermissionSetAssignment WHERE AssigneeId = ${soqlString(assigneeId)} AND PermissionSetId = ${soqlString(permissionSetId)}`;

export const stageQuery = (withApiName: boolean): string =>
  `SELECT ${withApiName ? 'ApiName, ' : ''}MasterLabel, IsClosed, IsWon, SortOrder, IsActive FROM OpportunityStage ORDER BY SortOrder ASC`;

export const opportunityHistoryQuery = (scope: PageScope): string =>
  `SELECT OpportunityId, StageName, CloseDate, CreatedDate FROM OpportunityHistory WHERE ${scopeFilter('OpportunityId', scope)} ORDER BY OpportunityId ASC, CreatedDate ASC`;

export const fieldHistoryQuery = (scope: PageScope): string =>
  `SELECT OpportunityId, Field, OldValue, NewValue, CreatedDate FROM OpportunityFieldHistory WHERE ${scopeFilter('OpportunityId', scope)} AND Field IN ('StageName', 'CloseDate') ORDER BY OpportunityId ASC, CreatedDate ASC`;

/**
 * Ids an aggregate query names at most. An aggregate result cannot be paged: Salesforce refuses
 * one over 2,000 rows (400 EXCEEDED_ID_LIMIT "Aggregate query does not support queryMore(), use
 * LIMIT to restrict the results to a single batch"). Grouped by the opportunity and restricted
 * to named ids, a count has at most one row per id, however many opportunities share the page's
 * SystemModstamp (a semi-join range could name them all). 400 18-character ids encode to about
 * 10,500 characters, inside the URI bound (chunkForUri), and stay under the 500 values
 * docs/crm-limits.md holds an IN list to.
 */
export const AGGREGATE_IDS_MAX = 400;

const idList = (ids: readonly string[]): string => {
  if (!ids.length || ids.length > AGGREGATE_IDS_MAX)
    throw new Error(`an aggregate query names 1 to ${AGGREGATE_IDS_MAX} ids, got ${ids.length}`);
  return ids.map(soqlString).join(', ');
};

/** Open tasks per opportunity; our own risk tasks (keyed) are left out to avoid a feedback loop. */
export function openTaskCountQuery(ids: readonly string[], keyField: string | null): string {
  const notOurs = keyField ? ` AND ${keyField} = null` : '';
  return `SELECT WhatId, COUNT(Id) n FROM Task WHERE WhatId IN (${idList(ids)}) AND IsClosed = false${notOurs} GROUP BY WhatId`;
}

export const contactRoleCountQuery = (ids: readonly string[]): string =>
  `SELECT OpportunityId, COUNT(Id) n FROM OpportunityContactRole WHERE OpportunityId IN (${idList(ids)}) GROUP BY OpportunityId`;

/**
 * A REST query travels in the GET URI, and Salesforce refuses a request whose URI and headers
 * pass 16,384 bytes (431; knowledge article 000386264). A query built from a list of values
 * keeps its encoded SOQL under this many characters, which leaves room for the instance URL,
 * the path and the headers (the bearer token alone is about 110).
 */
export const ENCODED_SOQL_MAX = 12_000;

const encodedLength = (soql: string): number => encodeURIComponent(soql).length;

/**
 * Splits values into runs of at most `maxItems` whose query (`build`) stays within
 * ENCODED_SOQL_MAX once URI-encoded, whatever the values hold (a key of non-ASCII characters
 * encodes to six times its length). A run grows by each value's encoded `, 'value'` and is then
 * built once to check; a run that still does not fit gives back values until it does.
 */
export function chunkForUri(values: readonly string[], maxItems: number, build: (chunk: readonly string[]) => string): string[][] {
  const out: string[][] = [];
  let at = 0;
  while (at < values.length) {
    let size = encodedLength(build([values[at]!]));
    let end = at + 1;
    while (end < values.length && end - at < maxItems) {
      const more = encodedLength(`, ${soqlString(values[end]!)}`);
      if (size + more > ENCODED_SOQL_MAX) break;
      size += more;
      end++;
    }
    while (end - at > 1 && encodedLength(build(values.slice(at, end))) > ENCODED_SOQL_MAX) end--;
    out.push(values.slice(at, end));
    at = end;
  }
  return out;
}

/**
 * Our keyed tasks changed at or after `since` (whole seconds), oldest first: the read-back of what
 * reps did with them. Sent through queryAll so a deleted task is seen as deleted.
 */
export function keyedTasksChangedQuery(keyField: string, since: Date): string {
  return `SELECT Id, IsClosed, IsDeleted, Status, CompletedDateTime, SystemModstamp FROM Task WHERE ${keyField} != null AND SystemModstamp >= ${soqlDateTime(since)} ORDER BY SystemModstamp ASC, Id ASC`;
}

/** Existing tasks by key; queryAll so closed-and-archived or deleted tasks still count. */
export function tasksByKeyQuery(keyField: string, keys: readonly string[]): string {
  return `SELECT Id, ${keyField}, WhatId, IsClosed, IsDeleted, Status FROM Task WHERE ${keyField} IN (${keys.map(soqlString).join(', ')})`;
}

export const ownersQuery = (ids: readonly string[]): string =>
  `SELECT Id, OwnerId FROM Opportunity WHERE Id IN (${ids.map(soqlString).join(', ')})`;

/**
 * Which column an INVALID_FIELD error names, so an optional mapped field the org lacks (or
 * hides through field-level security) can be dropped and the query sent again.
 * Returns the path as written in the select list when it can be found.
 */
export function invalidFieldIn(message: string, selected: readonly string[], object = 'Opportunity'): string | null {
  const col = /No such column '([A-Za-z0-9_]+)' on entity '([A-Za-z0-9_]+)'/.exec(message);
  if (col) {
    const [, name, entity] = col;
    if (entity === object) return selected.includes(name!) ? name! : null;
    const related = selected.filter((p) => p.includes('.') && p.split('.').pop() === name);
    // Relationship names usually equal the parent entity (Account.*); Owner.* is a User.
    return related.find((p) => p.split('.')[0] === entity) ?? (related.length === 1 ? related[0]! : null);
  }
  const rel = /Didn't understand relationship '([A-Za-z0-9_]+)'/.exec(message);
  if (rel) return selected.find((p) => p.startsWith(`${rel[1]}.`)) ?? null;
  return null;
}

/** The org's currencies and their single rates against the corporate currency (multi-currency orgs). */
export const currencyTypeQuery = (): string => 'SELECT IsoCode, ConversionRate, IsCorporate, IsActive FROM CurrencyType';

/** Dated rates per [StartDate, NextStartDate) range: only orgs with advanced currency management have the object. */
export const datedConversionRateQuery = (): string =>
  'SELECT IsoCode, ConversionRate, StartDate, NextStartDate FROM DatedConversionRate ORDER BY IsoCode, StartDate';
